/* bufpool.c — storage of exchange bodies (see bufpool.h): anonymous mappings (malloc under
 * AddressSanitizer), and a pool of freed ones: a packed array of slots under one mutex that is
 * only ever tried, never waited for. */
#include "bufpool.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define USE_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define USE_MALLOC 1
#endif
#endif
#ifndef USE_MALLOC
#define USE_MALLOC 0
#endif

/* ---- storage: `size` bytes in all, `size` - 1 of them usable ---------------------------- */

/* The storage size for `want` usable bytes and the NUL: whole pages for a mapping. */
static size_t size_for(size_t want)
{
    if (want >= (size_t)-1 / 2)
        return 0;
    if (USE_MALLOC)
        return want + 1;
    long p = sysconf(_SC_PAGESIZE); /* glibc: a read of the auxiliary vector's value */
    size_t page = p > 0 ? (size_t)p : 4096;
    return (want + 1 + page - 1) / page * page;
}

static char *map_new(size_t size)
{
    if (USE_MALLOC)
        return malloc(size);
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static char *map_grow(char *data, size_t old, size_t size)
{
    if (USE_MALLOC)
        return realloc(data, size);
    void *p = mremap(data, old, size, MREMAP_MAYMOVE);
    return p == MAP_FAILED ? NULL : p;
}

static void map_free(char *data, size_t size)
{
    if (!data)
        return;
    if (USE_MALLOC)
        free(data);
    else
        munmap(data, size);
}

/* ---- the pool ------------------------------------------------------------------------------ */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot {
    char *data;
    size_t size; /* storage bytes (cap + 1) */
} slots[LT_BUFPOOL_SLOTS];
static int n_slots;         /* slots[0, n_slots) are used (lock) */
static size_t pooled_bytes; /* sum of their sizes (lock) */

/* Take slot `i` out (lock held); the last slot fills its place. */
static struct slot take_slot(int i)
{
    struct slot s = slots[i];
    pooled_bytes -= s.size;
    slots[i] = slots[--n_slots];
    return s;
}

char *lt_bufpool_grow(char *data, size_t *cap, size_t want)
{
    size_t size = size_for(want);
    if (!data || !size)
        return NULL;
    if (size <= *cap + 1)
        return data;
    char *p = map_grow(data, *cap + 1, size);
    if (p)
        *cap = size - 1;
    return p;
}

char *lt_bufpool_alloc(size_t want, size_t *cap)
{
    size_t size = size_for(want);
    if (!size)
        return NULL;
    struct slot s = {NULL, 0};
    if (pthread_mutex_trylock(&lock) == 0) {
        int fit = -1, largest = -1;
        for (int i = n_slots - 1; i >= 0; i--) { /* newest first: its pages are warmest */
            size_t z = slots[i].size;
            if (z >= size && (fit < 0 || z < slots[fit].size)) {
                fit = i;
                if (z == size) /* whole pages: bodies of a stream come out the same size */
                    break;
            }
            if (largest < 0 || z > slots[largest].size)
                largest = i;
        }
        int i = fit >= 0 ? fit : largest;
        if (i >= 0)
            s = take_slot(i);
        pthread_mutex_unlock(&lock);
    }
    if (s.data && s.size < size) { /* the largest, still too small: grown, else given up */
        size_t c = s.size - 1;
        char *grown = lt_bufpool_grow(s.data, &c, want);
        if (!grown)
            map_free(s.data, s.size);
        s.data = grown;
        s.size = c + 1;
    }
    if (!s.data) {
        s.data = map_new(size);
        s.size = size;
    }
    if (s.data)
        *cap = s.size - 1;
    return s.data;
}

void lt_bufpool_release(char *data, size_t cap)
{
    if (!data)
        return;
    size_t size = cap + 1;
    struct slot out = {data, size}; /* what is unmapped in the end */
    if (size <= LT_BUFPOOL_MAX_BUF && pthread_mutex_trylock(&lock) == 0) {
        if (n_slots < LT_BUFPOOL_SLOTS && pooled_bytes + size <= LT_BUFPOOL_MAX_BYTES) {
            slots[n_slots++] = (struct slot){data, size};
            pooled_bytes += size;
            out.data = NULL;
        } else {
            /* Full: this one replaces the smallest pooled one when larger and it then fits. */
            int small = -1;
            for (int i = 0; i < n_slots; i++)
                if (small < 0 || slots[i].size < slots[small].size)
                    small = i;
            if (small >= 0 && slots[small].size < size &&
                pooled_bytes - slots[small].size + size <= LT_BUFPOOL_MAX_BYTES) {
                out = slots[small];
                pooled_bytes += size - out.size;
                slots[small] = (struct slot){data, size};
            }
        }
        pthread_mutex_unlock(&lock);
    }
    map_free(out.data, out.size);
}

int lt_bufpool_drain(void)
{
    int n = 0;
    pthread_mutex_lock(&lock);
    while (n_slots) {
        struct slot s = take_slot(n_slots - 1);
        map_free(s.data, s.size);
        n++;
    }
    pthread_mutex_unlock(&lock);
    return n;
}

void lt_bufpool_after_fork(void)
{
    pthread_mutex_init(&lock, NULL);
}
