/* ids.c — random ids from getrandom(2). Each call asks the kernel, so a forked child can
 * never repeat its parent's ids (no user-space generator state to reseed). Ids are made on
 * the exporter thread or once at start, never on a host thread's hot path. */
#include "ids.h"

#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static void fill(uint8_t *b, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(b + got, n - got, GRND_NONBLOCK);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    if (got < n) {
        /* Early boot without entropy: fall back to a clock/pid mix (unique, not secret). */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                     ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)b;
        for (size_t i = got; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b[i] = (uint8_t)x;
        }
    }
}

static bool zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

void lt_ids_trace(uint8_t id[16])
{
    do
        fill(id, 16);
    while (zero(id, 16));
}

void lt_ids_span(uint8_t id[8])
{
    do
        fill(id, 8);
    while (zero(id, 8));
}
