/* ids.h — random trace and span ids (W3C Trace Context §3.2.2.3: random, non-zero). */
#ifndef LT_IDS_H
#define LT_IDS_H

#include <stdint.h>

/** Fill a 16-byte trace id with random bytes, never all zero. Thread-safe. */
void lt_ids_trace(uint8_t id[16]);

/** Fill an 8-byte span id with random bytes, never all zero. Thread-safe. */
void lt_ids_span(uint8_t id[8]);

#endif
