/* guard.h — the thread-local reentrancy guard. Set while a hook does llmtap work and for
 * the whole life of the exporter thread, so llmtap's own connect/SSL calls (and anything a
 * library we call does) pass straight through the hooks untraced. */
#ifndef LT_GUARD_H
#define LT_GUARD_H

#include <stdbool.h>

/** Non-zero while the current thread is inside llmtap. initial-exec: no allocation and no
 *  lock on first access (we are preloaded, so static TLS space is available). */
extern __thread int lt_guard __attribute__((tls_model("initial-exec")));

/** Enter llmtap on this thread; false when already inside (the caller must pass through). */
static inline bool lt_guard_enter(void)
{
    if (lt_guard)
        return false;
    lt_guard = 1;
    return true;
}

/** Leave llmtap on this thread. */
static inline void lt_guard_leave(void)
{
    lt_guard = 0;
}

#endif
