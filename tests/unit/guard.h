/* guard.h — test helper: place bytes flush against a PROT_NONE page so that any read past
 * the end faults, and iterate every two-way split of a fixture (STYLE.md "Parsers"). */
#ifndef LT_TEST_GUARD_H
#define LT_TEST_GUARD_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/** A copy of `n` bytes ending exactly at a no-access page. Release with guard_free(). */
struct guarded {
    void *map;
    size_t map_len;
    char *p;
};

static inline struct guarded guard_copy(const void *src, size_t n)
{
    struct guarded g;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (n + page - 1) / page;
    g.map_len = (data_pages + 1) * page;
    g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g.map == MAP_FAILED)
        abort();
    char *guard_page = (char *)g.map + data_pages * page;
    if (mprotect(guard_page, page, PROT_NONE) != 0)
        abort();
    g.p = guard_page - n;
    if (n)
        memcpy(g.p, src, n);
    return g;
}

static inline void guard_free(struct guarded *g)
{
    munmap(g->map, g->map_len);
}

#endif
