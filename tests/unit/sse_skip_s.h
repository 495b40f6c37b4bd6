/* sse_skip_s.h — the skip hook (lt_sse_skip_fn, http/sse.h) that test_sse.c and fuzz_sse.c
 * install, and the events their consumer ignores to match it: data that starts with 's'
 * and is one line. A parser with the hook must yield the events of one without it, minus
 * those. */
#ifndef LT_TEST_SSE_SKIP_S_H
#define LT_TEST_SSE_SKIP_S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** True for an event the consumer ignores: `data` (`n` bytes) starts with 's', no LF. */
static inline bool sse_ignored_s(const char *data, size_t n)
{
    return n && data[0] == 's' && !memchr(data, '\n', n);
}

/** lt_sse_skip_fn for exactly those events: the value up to its line end, when it starts
 *  with 's'; else SIZE_MAX. */
static inline size_t sse_skip_s(void *ud, const char *type, size_t type_len, const char *data,
                                size_t avail)
{
    (void)ud, (void)type, (void)type_len;
    if (!avail || data[0] != 's')
        return SIZE_MAX;
    size_t n = 0;
    while (n < avail && data[n] != '\r' && data[n] != '\n')
        n++;
    return n;
}

#endif
