/* fuzz_detect.c — libFuzzer target for LLM API detection (detect.c, lt_genai_detect): bytes
 * 0-1 are the port (big-endian), the rest "host\nmethod\ntarget" (missing fields are empty).
 * Each field is copied into a buffer of exactly its size so ASan catches a read past the
 * lengths detection was given. A fixed LLMTAP_PROVIDERS map makes rule 1 reachable. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "genai/genai.h"

/* The next '\n'-separated field of [*p, end) as an exact-size heap copy (NULL when empty). */
static char *field(const uint8_t **p, const uint8_t *end, size_t *n)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    const uint8_t *stop = nl ? nl : end;
    *n = (size_t)(stop - *p);
    char *f = *n ? malloc(*n) : NULL;
    if (f)
        memcpy(f, *p, *n);
    *p = nl ? nl + 1 : end;
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        lt_genai_set_providers("gw.corp=gateway,localhost:8080=ollama,[::1]:8000=vllm");
        init = true;
    }
    if (size < 2)
        return 0;
    int port = (data[0] << 8) | data[1];
    const uint8_t *p = data + 2, *end = data + size;
    size_t hn, mn, tn;
    char *host = field(&p, end, &hn);
    char *method = field(&p, end, &mn);
    char *target = field(&p, end, &tn);
    struct lt_detect d;
    static const char empty[1];
    bool yes = lt_genai_detect(host ? host : empty, hn, port, method ? method : empty, mn,
                               target ? target : empty, tn, &d);
    if (yes != (d.api != LT_API_NONE) || (!yes && d.provider[0]) || (yes && !d.provider[0]) ||
        !memchr(d.provider, '\0', sizeof(d.provider)))
        abort();
    free(host);
    free(method);
    free(target);
    return 0;
}
