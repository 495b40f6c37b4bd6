/* init.h — process-wide switch the hooks consult before doing any llmtap work. */
#ifndef LT_INIT_H
#define LT_INIT_H

#include <stdbool.h>

/** True once llmtap is initialised and tracing (not disabled, not setuid, sampled).
 *  Written only by the constructor; hooks read it without synchronisation. */
extern bool lt_active;

#endif
