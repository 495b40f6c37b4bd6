/* machcost.c — what this machine charges for the operations llmtap's costs are made of, so
 * that docs/PERFORMANCE.md's figures can be read against another machine's: a system call,
 * a first-touch page fault on anonymous memory, and a CLOCK_REALTIME read. On a virtual
 * machine the first two can cost many times what they cost on bare metal (kernel page-table
 * isolation without PCID, shadow paging).
 *
 *   usage: machcost
 *   stdout: one JSON object, the median of 7 repetitions of each measure, in ns:
 *     {"syscall_ns": .., "page_fault_ns": .., "clock_gettime_ns": ..}
 *
 * Timed with CLOCK_THREAD_CPUTIME_ID: time the thread was not running does not count. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define REPS 7
#define PAGES 64

static double cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, REPS, sizeof(*v), cmp_double);
    return v[REPS / 2];
}

/* ns per getppid(2), made with syscall(2) so no library caches it. */
static double syscall_once(void)
{
    const int n = 20000;
    double t0 = cpu_ns();
    for (int i = 0; i < n; i++)
        syscall(SYS_getppid);
    return (cpu_ns() - t0) / n;
}

/* ns per page fault: map PAGES anonymous pages, write one byte in each, unmap; minus the
 * same map and unmap without touching. */
static double fault_once(void)
{
    const int n = 50;
    long page = sysconf(_SC_PAGESIZE);
    size_t len = (size_t)PAGES * (size_t)page;
    double touched = 0, bare = 0;
    for (int pass = 0; pass < 2; pass++) {
        double t0 = cpu_ns();
        for (int i = 0; i < n; i++) {
            volatile char *p =
                mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == (volatile char *)MAP_FAILED)
                return -1;
            if (pass == 0)
                for (size_t k = 0; k < len; k += (size_t)page)
                    p[k] = 1;
            munmap((void *)p, len);
        }
        double dt = cpu_ns() - t0;
        if (pass == 0)
            touched = dt;
        else
            bare = dt;
    }
    return (touched - bare) / ((double)n * PAGES);
}

/* ns per clock_gettime(CLOCK_REALTIME) (vDSO where the clock source allows it). */
static double clock_once(void)
{
    const int n = 200000;
    struct timespec ts;
    double t0 = cpu_ns();
    for (int i = 0; i < n; i++)
        clock_gettime(CLOCK_REALTIME, &ts);
    return (cpu_ns() - t0) / n;
}

int main(void)
{
    double sc[REPS], pf[REPS], cg[REPS];
    for (int r = 0; r < REPS; r++) {
        sc[r] = syscall_once();
        pf[r] = fault_once();
        cg[r] = clock_once();
    }
    printf("{\"syscall_ns\": %.0f, \"page_fault_ns\": %.0f, \"clock_gettime_ns\": %.1f}\n",
           median(sc), median(pf), median(cg));
    return 0;
}
