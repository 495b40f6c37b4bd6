/* fuzz_shape.c — libFuzzer target for the shape cache of skipped stream events
 * (preload/genai/shape.h), as a differential check: whenever an event matches the recorded
 * shape, the adapter's own event_needed must also say "not needed" for it. The input is a
 * stream: byte 0 picks the adapter (OpenAI Chat, Anthropic Messages, OpenAI Responses), the
 * rest is split at '\n' into events, each "TYPE\tDATA" (no tab: type "message"). Events go
 * through the same steps as genai.c's needed(): shape match, else event_needed (a needed
 * event is parsed and handed to stream_event, and the shape forgotten), else recorded. The
 * unframed match (lt_shape_match_prefix) must agree with the framed one. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "genai/adapter.h"
#include "genai/shape.h"
#include "trace/span.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const struct lt_genai_adapter *const adapters[] = {
        &lt_genai_openai_chat, &lt_genai_anthropic_messages, &lt_genai_openai_responses};
    const struct lt_genai_adapter *a = adapters[data[0] % 3];
    const char *p = (const char *)data + 1, *end = (const char *)data + size;

    struct lt_span *span = lt_span_new("", LT_SPAN_KIND_CLIENT);
    struct lt_exchange *x = lt_exchange_new(0);
    void *st = calloc(1, a->state_size ? a->state_size : 1);
    if (!span || !x || !st) {
        lt_span_free(span);
        lt_exchange_free(x);
        free(st);
        return 0;
    }
    struct lt_genai_ctx c = {.span = span, .x = x, .max_text = 1 << 16, .op = "chat"};
    if (a->begin)
        a->begin(st, &c);
    struct lt_event_shape shape;
    lt_shape_init(&shape);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *tab = memchr(p, '\t', (size_t)(e - p));
        const char *type = tab ? p : "message";
        size_t type_len = tab ? (size_t)(tab - p) : 7;
        const char *ev = tab ? tab + 1 : p;
        size_t n = (size_t)(e - ev);
        /* lt_shape_match_prefix on the unframed rest of the input: a match holds no CR or
         * LF, and one that ends where the event ends is exactly lt_shape_match's answer. */
        size_t pl = lt_shape_match_prefix(&shape, type, type_len, ev, (size_t)(end - ev));
        bool one_line = shape.valid && shape.one_line && !memchr(ev, '\r', n);
        if (pl != SIZE_MAX && (pl > n || memchr(ev, '\r', pl) || memchr(ev, '\n', pl)))
            abort();
        bool exact = lt_shape_match(&shape, type, type_len, ev, n);
        if ((pl == n) != (exact && one_line))
            abort();
        if (exact) {
            /* the invariant: a matched event is one event_needed would skip too */
            if (a->event_needed(st, &c, type, type_len, ev, n))
                abort();
        } else if (a->event_needed(st, &c, type, type_len, ev, n)) {
            lt_shape_forget(&shape);
            cJSON *j = cJSON_ParseWithLength(ev, n);
            a->stream_event(st, &c, type, type_len, ev, n, j);
            cJSON_Delete(j);
        } else {
            lt_shape_record(&shape, a->free_keys, type, type_len, ev, n);
        }
        p = e + 1;
    }
    lt_shape_cleanup(&shape);
    if (a->cleanup)
        a->cleanup(st);
    free(st);
    lt_exchange_free(x);
    lt_span_free(span);
    return 0;
}
