/* log.c — rate-limited stderr diagnostics (see log.h). */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* Module state: threshold and a one-second rate window (approximate under races: a few
 * extra lines at worst, never a lock). */
static struct {
    int level;
    long window; /* current second (CLOCK_MONOTONIC) */
    int lines;   /* lines written in the window */
} logst;

#define LINES_PER_SECOND 20

void lt_log_set_level(int level)
{
    logst.level = level;
}

void lt_log(enum lt_log_level level, const char *fmt, ...)
{
    if ((int)level > logst.level)
        return;
    int saved = errno;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long sec = (long)ts.tv_sec;
    if (__atomic_load_n(&logst.window, __ATOMIC_RELAXED) != sec) {
        __atomic_store_n(&logst.window, sec, __ATOMIC_RELAXED);
        __atomic_store_n(&logst.lines, 0, __ATOMIC_RELAXED);
    }
    if (__atomic_add_fetch(&logst.lines, 1, __ATOMIC_RELAXED) > LINES_PER_SECOND) {
        errno = saved;
        return;
    }
    char line[520];
    int n = snprintf(line, sizeof(line), "llmtap[%d]: ", (int)getpid());
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
    errno = saved;
}
