/* early_init.c — test-only shim preloaded right after the sanitizer runtime by
 * `make integ-asan` and `make integ-tsan`.
 *
 * Works around a deadlock between GCC 12's sanitizer runtimes and glibc 2.36 that hangs curl
 * under ASan or TSan with or without llmtap: p11-kit's constructor calls newlocale(), which
 * holds the setlocale lock as writer when its first malloc() lazily initialises the runtime;
 * the runtime's init calls dlsym()/dlerror(), whose message lookup takes the same lock as
 * reader, fails with EDEADLK and then unlocks it anyway, leaving the lock broken for curl's
 * setlocale() in main(). Allocating once before the real newlocale() runs the sanitizer's
 * init outside the lock. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <locale.h>
#include <stdlib.h>

typedef locale_t (*newlocale_fn)(int, const char *, locale_t);

/** newlocale(3), after making sure the allocator (the sanitizer's) is initialised. */
locale_t newlocale(int category_mask, const char *locale, locale_t base)
{
    static newlocale_fn real;
    void *volatile p = malloc(1); /* volatile: the pair must not be optimised away */
    free(p);
    if (!real)
        real = (newlocale_fn)dlsym(RTLD_NEXT, "newlocale");
    return real(category_mask, locale, base);
}
