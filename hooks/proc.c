/* proc.c — interposed _exit/_Exit. A fork child (Python multiprocessing, billiard, pre-fork
 * workers) normally ends with _exit, which skips atexit and with it the flush of the
 * exchanges it made: the hook flushes first (lt_exit_now decides whether it may), then
 * ends the process exactly as the real call does. */
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"
#include "real.h"

#define LT_EXPORT __attribute__((visibility("default")))

/* The real _exit; without one, the system call it makes. Never returns. */
__attribute__((noreturn)) static void really_exit(int status)
{
    if (lt_real.exit_)
        lt_real.exit_(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

LT_EXPORT void _exit(int status)
{
    lt_exit_now();
    really_exit(status);
}

LT_EXPORT void _Exit(int status)
{
    lt_exit_now();
    really_exit(status);
}
