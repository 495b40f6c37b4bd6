/* utf8.h — UTF-8 validation/repair for strings the encoders put on the wire. OTLP string
 * fields (proto3 `string`, JSON) must be UTF-8 and receivers reject a whole request that
 * breaks this, while bytes from the traffic or argv may be anything. */
#ifndef LT_UTF8_H
#define LT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/** NULL when `s` is valid UTF-8 (RFC 3629: no overlong forms, surrogates or code points
 *  past U+10FFFF); otherwise a heap copy (caller frees) with each bad byte replaced by
 *  U+FFFD, or NULL with *nomem set when allocation failed. */
char *lt_utf8_repair(const char *s, bool *nomem);

/** As lt_utf8_repair(), and *len gets the byte length (without the NUL) of the string to
 *  put on the wire: `s` itself when the result is NULL and *nomem is unset, else the
 *  repaired copy (0 on ENOMEM). Saves the encoders a strlen(). */
char *lt_utf8_repair_len(const char *s, size_t *len, bool *nomem);

#endif
