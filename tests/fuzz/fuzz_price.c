/* fuzz_price.c — libFuzzer target for the price table (preload/genai/price.c). The input up to
 * its first newline is a model id, the rest a price table: the table is parsed (never more
 * than LT_PRICE_MAX_MODELS models), the id and a few fixed ones are looked up, and a span
 * carrying usage attributes gets llmtap.cost.usd. Invariants: a found price is finite and
 * non-negative, and so is the cost, for any counts. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "genai/price.h"

static const char *const fixed[] = {
    "gpt-4o",
    "gpt-4o-mini-2024-07-18",
    "models/gemini-2.5-flash",
    "claude-3-5-sonnet-latest",
    "projects/p/locations/l/publishers/google/models/gemini-2.0-flash-001",
    "",
    "-",
    "models/",
};

static void check(const struct lt_price *p)
{
    if (!p)
        return;
    const double v[] = {p->input, p->cached_input, p->cache_write, p->output, p->reasoning};
    for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++)
        if (!isfinite(v[i]) || v[i] < 0)
            abort();
    struct lt_price_usage u = {INT64_MAX, 3, INT64_MIN, 1000, 7};
    double c = lt_price_cost(p, &u);
    if (!isfinite(c) || c < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t id_len = nl ? (size_t)(nl - data) : 0;
    const char *json = (const char *)(nl ? nl + 1 : data);
    size_t json_len = nl ? size - id_len - 1 : size;
    char *id = malloc(id_len + 1);
    if (!id)
        return 0;
    memcpy(id, data, id_len);
    id[id_len] = '\0';

    struct lt_price_table *t = NULL;
    if (lt_price_table_parse(json, json_len, &t) == 0) {
        if (lt_price_table_count(t) > LT_PRICE_MAX_MODELS)
            abort();
        check(lt_price_lookup(t, id));
        for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
            check(lt_price_lookup(t, fixed[i]));
        struct lt_span *s = lt_span_new("chat", LT_SPAN_KIND_CLIENT);
        if (s) {
            lt_span_set_str(s, "gen_ai.response.model", id);
            lt_span_set_int(s, "gen_ai.usage.input_tokens", (int64_t)size * 1000);
            lt_span_set_int(s, "gen_ai.usage.cache_read.input_tokens", (int64_t)id_len);
            lt_span_set_int(s, "gen_ai.usage.output_tokens", 17);
            lt_price_apply(t, s);
            const struct lt_attr *a = lt_span_get(s, LT_PRICE_ATTR);
            if (a && (a->type != LT_ATTR_DOUBLE || !isfinite(a->u.d) || a->u.d < 0))
                abort();
            lt_span_free(s);
        }
    } else if (t) {
        abort(); /* a failed parse leaves no table */
    }
    lt_price_table_free(t);
    free(id);
    return 0;
}
