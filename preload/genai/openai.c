/* openai.c — the OpenAI Chat Completions adapter (POST …/chat/completions, also spoken by
 * OpenAI-compatible servers and Azure OpenAI): request parameters, response or streamed
 * chunks (deltas assembled per choice and per tool-call index), usage, in-stream errors, and
 * opt-in content in the GenAI conventions' shapes (SPEC.md "Inference span", "Content").
 * Compatible providers' own fields are read where they differ: DeepSeek cache usage and
 * `reasoning_content`, Groq/OpenRouter `reasoning`, Groq's stream usage in `x_groq.usage`,
 * Mistral `random_seed` and content arrays with `thinking` chunks. Also the helpers the other
 * OpenAI-family adapters share (openai_common.h). */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "openai_common.h"

#define MAX_CHOICES 128 /* streamed choices tracked; more are ignored */
#define MAX_TOOLS 128   /* streamed tool calls tracked per choice */

/* A tool call being assembled from stream deltas. */
struct otool {
    int index;
    char *id;
    char *name;
    struct lt_buf args; /* function.arguments fragments, concatenated */
};

/* One streamed choice. Text and tools are accumulated only when capturing content. */
struct ochoice {
    int index;
    char *role;
    char *finish;            /* last non-null finish_reason */
    struct lt_buf text;      /* delta.content */
    struct lt_buf reasoning; /* delta.reasoning_content (DeepSeek and other compatibles) */
    struct otool *tools;
    size_t n_tools;
};

/* Per-exchange state: the stream's choices (sorted by index) and which ids were seen. */
struct ostate {
    struct ochoice *choices;
    size_t n_choices;
    bool have_id, have_model;
};

/* A NUL-terminated copy of `n` bytes of `s` (which hold no NUL), or NULL (c->rc set). */
static char *dup_strn(struct lt_genai_ctx *c, const char *s, size_t n)
{
    char *d = strndup(s, n);
    if (!d)
        lt_genai_oom(c);
    return d;
}

static char *dup_str(struct lt_genai_ctx *c, const char *s)
{
    return dup_strn(c, s, strlen(s));
}

static bool streq(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* ---- request ---- */

/* Mistral's thinking chunk {"type":"thinking","thinking":[{"type":"text","text":…}]}: its
 * texts joined, into `b` (capped) or, when `b` is NULL, as one reasoning part. */
static void thinking_chunk(struct lt_genai_ctx *c, cJSON *parts, struct lt_buf *b,
                           const cJSON *chunk)
{
    struct lt_buf tmp = {0};
    struct lt_buf *dst = b ? b : &tmp;
    const cJSON *t;
    cJSON_ArrayForEach(t, lt_json_arr(chunk, "thinking"))
    {
        const char *txt = lt_json_str(t, "text");
        if (txt)
            lt_genai_acc(c, dst, txt, strlen(txt));
    }
    const char *flat = lt_json_str(chunk, "thinking"); /* a plain string from some servers */
    if (flat)
        lt_genai_acc(c, dst, flat, strlen(flat));
    if (!b && tmp.len)
        lt_genai_part_text(c, parts, "reasoning", tmp.data, tmp.len);
    lt_buf_cleanup(&tmp);
}

/* Message content: a string, or an array of parts (text, image_url, Mistral thinking; others
 * skipped). */
static void content_parts(struct lt_genai_ctx *c, cJSON *parts, const cJSON *content)
{
    if (cJSON_IsString(content)) {
        lt_genai_part_text(c, parts, "text", content->valuestring, strlen(content->valuestring));
        return;
    }
    const cJSON *p;
    const cJSON *arr = cJSON_IsArray(content) ? content : NULL;
    cJSON_ArrayForEach(p, arr)
    {
        const char *type = lt_json_str(p, "type");
        if (streq(type, "text")) {
            const char *t = lt_json_str(p, "text");
            if (t)
                lt_genai_part_text(c, parts, "text", t, strlen(t));
        } else if (streq(type, "image_url")) {
            const char *url = lt_json_str(lt_json_obj(p, "image_url"), "url");
            lt_genai_part_image_url(c, parts, url ? url : lt_json_str(p, "image_url"));
        } else if (streq(type, "thinking")) {
            thinking_chunk(c, parts, NULL, p);
        }
    }
}

/* Reasoning text of a message or delta: DeepSeek, xAI and Qwen send `reasoning_content`,
 * Groq (reasoning_format=parsed) and OpenRouter `reasoning`. */
static const char *reasoning_of(const cJSON *m)
{
    const char *r = lt_json_str(m, "reasoning_content");
    return r ? r : lt_json_str(m, "reasoning");
}

/* One tool call {id, function{name, arguments}} (arguments a JSON string, or an object from
 * some compatible servers). */
static void tool_call_part(struct lt_genai_ctx *c, cJSON *parts, const char *id, const cJSON *fn)
{
    const char *name = lt_json_str(fn, "name");
    const cJSON *args =
        cJSON_IsObject(fn) ? cJSON_GetObjectItemCaseSensitive(fn, "arguments") : NULL;
    const char *args_str = lt_json_as_str(args);
    if (args_str)
        lt_genai_part_tool_call(c, parts, id, name, args_str, strlen(args_str));
    else
        lt_genai_part_tool_call_json(c, parts, id, name, args);
}

static void input_messages(struct lt_genai_ctx *c, const cJSON *req)
{
    const cJSON *msgs = lt_json_arr(req, "messages");
    if (!msgs)
        return;
    cJSON *out = lt_genai_array(c);
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs)
    {
        if (!cJSON_IsObject(m))
            continue;
        const char *role = lt_json_str(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        cJSON *parts = lt_genai_message(c, out, role, NULL);
        if (streq(role, "tool") || streq(role, "function")) {
            lt_genai_part_tool_response(c, parts, lt_json_str(m, "tool_call_id"), content);
            continue;
        }
        /* system and developer messages stay here: they are part of the chat history. */
        content_parts(c, parts, content);
        const cJSON *tc;
        cJSON_ArrayForEach(tc, lt_json_arr(m, "tool_calls"))
        {
            tool_call_part(c, parts, lt_json_str(tc, "id"), lt_json_obj(tc, "function"));
        }
        const cJSON *fc = lt_json_obj(m, "function_call"); /* legacy functions API */
        if (fc)
            tool_call_part(c, parts, NULL, fc);
    }
    lt_genai_json_attr(c, "gen_ai.input.messages", out);
}

static void tool_definitions(struct lt_genai_ctx *c, const cJSON *req)
{
    const cJSON *tools = lt_json_arr(req, "tools");
    const cJSON *functions = lt_json_arr(req, "functions"); /* legacy */
    if (!tools && !functions)
        return;
    cJSON *defs = lt_genai_array(c);
    const cJSON *t;
    cJSON_ArrayForEach(t, tools)
    {
        const char *type = lt_json_str(t, "type");
        const cJSON *fn = lt_json_obj(t, "function");
        if ((type && strcmp(type, "function") != 0) || !fn)
            continue;
        lt_genai_tool_def(c, defs, lt_json_str(fn, "name"), lt_json_str(fn, "description"),
                          cJSON_GetObjectItemCaseSensitive(fn, "parameters"));
    }
    cJSON_ArrayForEach(t, functions)
    {
        if (cJSON_IsObject(t))
            lt_genai_tool_def(c, defs, lt_json_str(t, "name"), lt_json_str(t, "description"),
                              cJSON_GetObjectItemCaseSensitive(t, "parameters"));
    }
    if (cJSON_GetArraySize(defs) == 0) {
        cJSON_Delete(defs);
        return;
    }
    lt_genai_json_attr(c, "gen_ai.tool.definitions", defs);
}

void lt_openai_azure_model(struct lt_genai_ctx *c)
{
    static const char marker[] = "/openai/deployments/";
    const char *t = c->x->target ? strstr(c->x->target, marker) : NULL;
    if (!t)
        return;
    t += sizeof(marker) - 1;
    size_t n = strcspn(t, "/?#");
    if (!n)
        return;
    char *d = malloc(n + 1);
    if (!d) {
        lt_genai_oom(c);
        return;
    }
    /* Percent-decoding (RFC 3986 §2.1); a malformed escape is kept as it is. */
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (t[i] == '%' && i + 2 < n && (hi = hexval(t[i + 1])) >= 0 &&
            (lo = hexval(t[i + 2])) >= 0 && (hi || lo)) {
            d[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            d[o++] = t[i];
        }
    }
    d[o] = '\0';
    lt_genai_str(c, "gen_ai.request.model", d);
    free(d);
}

static void begin(void *st, struct lt_genai_ctx *c)
{
    lt_genai_str(c, "openai.api.type", "chat_completions");
    lt_openai_azure_model(c);
}

/* gen_ai.output.type from response_format.type (`fmt`, `n` bytes, NULL when absent). */
static void output_type(struct lt_genai_ctx *c, const char *fmt, size_t n)
{
    if (!fmt)
        return;
    if (lt_json_scan_eq(fmt, n, "json_object") || lt_json_scan_eq(fmt, n, "json_schema"))
        lt_genai_str(c, "gen_ai.output.type", "json");
    else if (lt_json_scan_eq(fmt, n, "text"))
        lt_genai_str(c, "gen_ai.output.type", "text");
}

/* openai.request.service_tier, unless absent or "auto" (`n` bytes). */
static void request_tier(struct lt_genai_ctx *c, const char *tier, size_t n)
{
    if (tier && !lt_json_scan_eq(tier, n, "auto"))
        lt_genai_strn(c, "openai.request.service_tier", tier, n);
}

/* The request parameters lt_openai_sampling reports, in its order: doubles, then integers,
 * then the stop sequences (from the tree only), then stream. */
enum { S_TEMPERATURE, S_TOP_P, S_FREQUENCY, S_PRESENCE, S_ND };
enum { S_MAX_TOKENS, S_SEED, S_N, S_NI };
struct osampling {
    double d[S_ND];
    bool has_d[S_ND];
    int64_t i[S_NI];
    bool has_i[S_NI];
    bool stream;
};

static const char *const SAMPLING_DOUBLE[S_ND][2] = {
    {"temperature", "gen_ai.request.temperature"},
    {"top_p", "gen_ai.request.top_p"},
    {"frequency_penalty", "gen_ai.request.frequency_penalty"},
    {"presence_penalty", "gen_ai.request.presence_penalty"},
};

static void sampling_emit(struct lt_genai_ctx *c, const struct osampling *o, const cJSON *stop)
{
    for (int k = 0; k < S_ND; k++)
        if (o->has_d[k])
            lt_genai_double(c, SAMPLING_DOUBLE[k][1], o->d[k]);
    if (o->has_i[S_MAX_TOKENS])
        lt_genai_int(c, "gen_ai.request.max_tokens", o->i[S_MAX_TOKENS]);
    if (o->has_i[S_SEED])
        lt_genai_int(c, "gen_ai.request.seed", o->i[S_SEED]);
    if (o->has_i[S_N] && o->i[S_N] != 1)
        lt_genai_int(c, "gen_ai.request.choice.count", o->i[S_N]);

    lt_genai_stop_sequences(c, stop);

    if (o->stream) {
        c->req_stream = true;
        lt_genai_bool(c, "gen_ai.request.stream", true);
    }
}

void lt_openai_sampling(struct lt_genai_ctx *c, const cJSON *req)
{
    struct osampling o = {0};
    for (int k = 0; k < S_ND; k++)
        o.has_d[k] = lt_json_num(req, SAMPLING_DOUBLE[k][0], &o.d[k]);
    int64_t *v = o.i;
    o.has_i[S_MAX_TOKENS] = lt_json_int(req, "max_completion_tokens", &v[S_MAX_TOKENS]) ||
                            lt_json_int(req, "max_tokens", &v[S_MAX_TOKENS]);
    o.has_i[S_SEED] = lt_json_int(req, "seed", &v[S_SEED]) ||
                      lt_json_int(req, "random_seed", &v[S_SEED]); /* Mistral */
    o.has_i[S_N] = lt_json_int(req, "n", &v[S_N]);
    o.stream = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "stream"));
    sampling_emit(c, &o, cJSON_GetObjectItemCaseSensitive(req, "stop"));
}

static void request(void *st, struct lt_genai_ctx *c, const cJSON *req)
{
    lt_genai_str(c, "gen_ai.request.model", lt_json_str(req, "model"));
    lt_openai_sampling(c, req);
    const char *fmt = lt_json_str(lt_json_obj(req, "response_format"), "type");
    output_type(c, fmt, fmt ? strlen(fmt) : 0);
    const char *tier = lt_json_str(req, "service_tier");
    request_tier(c, tier, tier ? strlen(tier) : 0);

    if (c->capture) {
        input_messages(c, req);
        tool_definitions(c, req);
    }
}

/* ---- response ---- */

/* The counts of a Chat-style usage object lt_openai_usage reports, in its order. */
enum { U_INPUT, U_OUTPUT, U_CACHE_READ, U_REASONING, U_N };
struct ousage {
    int64_t v[U_N]; /* tokens */
    bool has[U_N];
};

static const char *const USAGE_ATTR[U_N] = {
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.reasoning.output_tokens",
};

static void usage_emit(struct lt_genai_ctx *c, const struct ousage *u)
{
    for (int i = 0; i < U_N; i++)
        if (u->has[i])
            lt_genai_int(c, USAGE_ATTR[i], u->v[i]);
}

void lt_openai_usage(struct lt_genai_ctx *c, const cJSON *u)
{
    struct ousage o = {0};
    o.has[U_INPUT] = lt_json_int(u, "prompt_tokens", &o.v[U_INPUT]);
    o.has[U_OUTPUT] = lt_json_int(u, "completion_tokens", &o.v[U_OUTPUT]);
    /* DeepSeek: prompt_tokens = prompt_cache_hit_tokens + prompt_cache_miss_tokens, so the
     * hit count is the cache read and prompt_tokens already includes it (SPEC.md "Usage"). */
    o.has[U_CACHE_READ] =
        lt_json_int(lt_json_obj(u, "prompt_tokens_details"), "cached_tokens", &o.v[U_CACHE_READ]) ||
        lt_json_int(u, "prompt_cache_hit_tokens", &o.v[U_CACHE_READ]);
    /* Perplexity reports reasoning_tokens at the top level of usage. */
    o.has[U_REASONING] = lt_json_int(lt_json_obj(u, "completion_tokens_details"),
                                     "reasoning_tokens", &o.v[U_REASONING]) ||
                         lt_json_int(u, "reasoning_tokens", &o.v[U_REASONING]);
    usage_emit(c, &o);
}

/* An error object in a 2xx body or a stream chunk: {"error":{"message","type","code"}}. */
bool lt_openai_body_error(struct lt_genai_ctx *c, const cJSON *j)
{
    const cJSON *err = lt_json_obj(j, "error");
    if (!err)
        return false;
    char buf[32];
    lt_genai_fail(c, lt_json_error_type(err, buf, sizeof(buf)), lt_json_str(err, "message"));
    return true;
}

static void response(void *st, struct lt_genai_ctx *c, const cJSON *resp)
{
    if (lt_openai_body_error(c, resp))
        return;
    lt_genai_str(c, "gen_ai.response.id", lt_json_str(resp, "id"));
    lt_genai_str(c, "gen_ai.response.model", lt_json_str(resp, "model"));
    lt_genai_str(c, "openai.response.system_fingerprint", lt_json_str(resp, "system_fingerprint"));
    lt_genai_str(c, "openai.response.service_tier", lt_json_str(resp, "service_tier"));

    const cJSON *choices = lt_json_arr(resp, "choices");
    int n = cJSON_GetArraySize(choices);
    if (n > 0) {
        const char **fr = calloc((size_t)n, sizeof(*fr));
        size_t nfr = 0;
        cJSON *out = c->capture ? lt_genai_array(c) : NULL;
        const cJSON *ch;
        cJSON_ArrayForEach(ch, choices)
        {
            const char *finish = lt_json_str(ch, "finish_reason");
            if (finish && fr)
                fr[nfr++] = finish;
            if (!out)
                continue;
            const cJSON *msg = lt_json_obj(ch, "message");
            const char *role = lt_json_str(msg, "role");
            cJSON *parts = lt_genai_message(c, out, role ? role : "assistant", finish);
            const char *reasoning = reasoning_of(msg);
            if (reasoning && *reasoning)
                lt_genai_part_text(c, parts, "reasoning", reasoning, strlen(reasoning));
            content_parts(c, parts, cJSON_GetObjectItemCaseSensitive(msg, "content"));
            const cJSON *tc;
            cJSON_ArrayForEach(tc, lt_json_arr(msg, "tool_calls"))
            {
                tool_call_part(c, parts, lt_json_str(tc, "id"), lt_json_obj(tc, "function"));
            }
            const cJSON *fc = lt_json_obj(msg, "function_call");
            if (fc)
                tool_call_part(c, parts, NULL, fc);
        }
        if (!fr)
            lt_genai_oom(c);
        else if (nfr)
            lt_genai_str_array(c, "gen_ai.response.finish_reasons", fr, nfr);
        free(fr);
        lt_genai_json_attr(c, "gen_ai.output.messages", out);
    }
    lt_openai_usage(c, lt_json_obj(resp, "usage"));
}

/* ---- stream ---- */

/* The choice with `index`, created in index order; NULL past MAX_CHOICES or on ENOMEM. */
static struct ochoice *choice_at(struct lt_genai_ctx *c, struct ostate *s, int index)
{
    return lt_genai_slot(c, &s->choices, &s->n_choices, sizeof(*s->choices),
                         offsetof(struct ochoice, index), index, MAX_CHOICES);
}

/* The position in ch->tools of the tool call a delta continues: by `index` when given, else
 * by id, else the last one; a new entry when none matches. -1 past MAX_TOOLS or on ENOMEM.
 * (A position rather than a pointer: ch->tools is never NULL while n_tools > 0.) */
static int tool_at(struct lt_genai_ctx *c, struct ochoice *ch, const cJSON *tc)
{
    int64_t index;
    bool has_index = lt_json_int(tc, "index", &index);
    const char *id = lt_json_str(tc, "id");
    for (size_t i = 0; i < ch->n_tools; i++) {
        const struct otool *t = &ch->tools[i];
        if (has_index ? t->index == index : (id && *id ? streq(t->id, id) : false))
            return (int)i;
    }
    if (!has_index && !(id && *id) && ch->n_tools)
        return (int)ch->n_tools - 1;
    if (ch->n_tools >= MAX_TOOLS)
        return -1;
    struct otool *nt = realloc(ch->tools, (ch->n_tools + 1) * sizeof(*nt));
    if (!nt) {
        lt_genai_oom(c);
        return -1;
    }
    ch->tools = nt;
    struct otool *t = &nt[ch->n_tools++];
    memset(t, 0, sizeof(*t));
    t->index = has_index && index >= 0 && index <= 0x7fffffff ? (int)index : (int)ch->n_tools - 1;
    return (int)ch->n_tools - 1;
}

static void stream_choice(struct lt_genai_ctx *c, struct ostate *s, const cJSON *chj)
{
    int64_t index = 0;
    if (!cJSON_IsObject(chj))
        return;
    if (lt_json_int(chj, "index", &index) && (index < 0 || index > 0x7fffffff))
        return;
    struct ochoice *ch = choice_at(c, s, (int)index);
    if (!ch)
        return;
    const char *finish = lt_json_str(chj, "finish_reason");
    if (finish) {
        char *f = dup_str(c, finish);
        if (f) {
            free(ch->finish);
            ch->finish = f;
        }
    }
    if (!c->capture)
        return;
    const cJSON *d = lt_json_obj(chj, "delta");
    const char *role = lt_json_str(d, "role");
    if (role && !ch->role)
        ch->role = dup_str(c, role);
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(d, "content");
    if (cJSON_IsString(content)) {
        lt_genai_acc(c, &ch->text, content->valuestring, strlen(content->valuestring));
    } else if (cJSON_IsArray(content)) { /* Mistral: [{"type":"thinking"…},{"type":"text"…}] */
        const cJSON *p;
        cJSON_ArrayForEach(p, content)
        {
            const char *type = lt_json_str(p, "type");
            const char *t = lt_json_str(p, "text");
            if (streq(type, "text") && t)
                lt_genai_acc(c, &ch->text, t, strlen(t));
            else if (streq(type, "thinking"))
                thinking_chunk(c, NULL, &ch->reasoning, p);
        }
    }
    const char *reasoning = reasoning_of(d);
    if (reasoning)
        lt_genai_acc(c, &ch->reasoning, reasoning, strlen(reasoning));
    const cJSON *tc;
    cJSON_ArrayForEach(tc, lt_json_arr(d, "tool_calls"))
    {
        int k = tool_at(c, ch, tc);
        if (k < 0)
            continue;
        struct otool *t = &ch->tools[k];
        const char *id = lt_json_str(tc, "id");
        if (id && *id && !t->id)
            t->id = dup_str(c, id);
        const cJSON *fn = lt_json_obj(tc, "function");
        const char *name = lt_json_str(fn, "name");
        if (name && *name && !t->name)
            t->name = dup_str(c, name);
        const char *args = lt_json_str(fn, "arguments");
        if (args)
            lt_genai_acc(c, &t->args, args, strlen(args));
    }
}

/* Set string attribute `key` to `v` (`n` bytes; NULL sets nothing) unless it already holds
 * exactly that (every chunk of a stream repeats the same value: re-setting it per event is
 * wasted work). */
static void set_changed_n(struct lt_genai_ctx *c, const char *key, const char *v, size_t n)
{
    const struct lt_attr *a = v ? lt_span_get(c->span, key) : NULL;
    if (a && a->type == LT_ATTR_STRING && a->u.s && lt_json_scan_eq(v, n, a->u.s))
        return;
    lt_genai_strn(c, key, v, n);
}

static void set_changed(struct lt_genai_ctx *c, const char *key, const char *v)
{
    set_changed_n(c, key, v, v ? strlen(v) : 0);
}

static void stream_event(void *st, struct lt_genai_ctx *c, const char *type, size_t type_len,
                         const char *data, size_t data_len, const cJSON *j)
{
    struct ostate *s = st;
    if (!cJSON_IsObject(j)) /* "[DONE]" and anything unparseable */
        return;
    if (lt_openai_body_error(c, j))
        return;
    const char *id = lt_json_str(j, "id");
    if (id && *id && !s->have_id) {
        lt_genai_str(c, "gen_ai.response.id", id);
        s->have_id = true;
    }
    const char *model = lt_json_str(j, "model");
    if (model && *model && !s->have_model) {
        lt_genai_str(c, "gen_ai.response.model", model);
        s->have_model = true;
    }
    set_changed(c, "openai.response.system_fingerprint", lt_json_str(j, "system_fingerprint"));
    set_changed(c, "openai.response.service_tier", lt_json_str(j, "service_tier"));
    const cJSON *ch;
    cJSON_ArrayForEach(ch, lt_json_arr(j, "choices"))
    {
        stream_choice(c, s, ch);
    }
    const cJSON *u = lt_json_obj(j, "usage"); /* null except on the include_usage chunk */
    if (!u)
        u = lt_json_obj(lt_json_obj(j, "x_groq"), "usage"); /* Groq: on the last chunk */
    if (u)
        lt_openai_usage(c, u);
}

/* ---- skipping events (content capture off) ---- */

struct oscan {
    const struct ostate *s;
    const struct lt_genai_ctx *c;
};

static bool have_choice(const struct ostate *s, int index)
{
    for (size_t i = 0; i < s->n_choices; i++)
        if (s->choices[i].index == index)
            return true;
    return false;
}

/* A string attribute stream_event would set with set_changed(): harmless when the value is
 * null or exactly what the span already holds. */
static bool same_attr(const struct lt_genai_ctx *c, const char *key, const char *v, size_t n)
{
    const char *p;
    size_t len;
    if (lt_json_scan_null(v, n))
        return true;
    if (!lt_json_scan_plain_str(v, n, &p, &len))
        return false;
    const struct lt_attr *a = lt_span_get(c->span, key);
    return a && a->type == LT_ATTR_STRING && a->u.s && lt_json_scan_eq(p, len, a->u.s);
}

/* One key of a chunk, at any depth, against what stream_event reads with capture off: the
 * first id and model, fingerprint and service tier, each choice's index (a new one adds a
 * choice; a choice without one is choice 0) and non-null finish_reason, non-null usage
 * (also Groq's x_groq.usage) and error. Deltas (content, role, tool calls, refusal) are read
 * only when capturing. */
static bool scan_key(void *ud, const char *k, size_t kn, const char *v, size_t vn)
{
    const struct oscan *o = ud;
    int index;
    if (lt_json_scan_eq(k, kn, "id"))
        return o->s->have_id;
    if (lt_json_scan_eq(k, kn, "model"))
        return o->s->have_model;
    if (lt_json_scan_eq(k, kn, "system_fingerprint"))
        return same_attr(o->c, "openai.response.system_fingerprint", v, vn);
    if (lt_json_scan_eq(k, kn, "service_tier"))
        return same_attr(o->c, "openai.response.service_tier", v, vn);
    if (lt_json_scan_eq(k, kn, "choices"))
        return have_choice(o->s, 0);
    if (lt_json_scan_eq(k, kn, "index"))
        return lt_json_scan_uint(v, vn, &index) && have_choice(o->s, index);
    if (lt_json_scan_eq(k, kn, "finish_reason") || lt_json_scan_eq(k, kn, "usage") ||
        lt_json_scan_eq(k, kn, "error"))
        return lt_json_scan_null(v, vn);
    return true;
}

static bool event_needed(void *st, const struct lt_genai_ctx *c, const char *type, size_t type_len,
                         const char *data, size_t data_len)
{
    (void)type, (void)type_len;
    struct oscan o = {st, c};
    return !lt_json_scan_keys(data, data_len, scan_key, &o);
}

/* ---- stream events from their text (content capture off) ---- */

/* Choices per chunk the text path takes (streams send one per chunk); more: stream_event. */
#define TEXT_CHOICES 8

/* A member read as lt_json_* would read it from the parsed tree: only its first occurrence
 * counts (cJSON_GetObjectItemCaseSensitive), so later duplicates are ignored. */
struct member {
    const char *v; /* the value's text, NULL until the member is seen */
    size_t n;
};

static void first(struct member *m, const char *v, size_t n)
{
    if (!m->v) {
        m->v = v;
        m->n = n;
    }
}

static bool is_object(const struct member *m)
{
    return m->v && m->v[0] == '{';
}

/* lt_json_str on a member: NULL (*s) when absent or not a string; false when a string with
 * escapes (its decoded bytes are not at hand). */
static bool text_str(const struct member *m, const char **s, size_t *len)
{
    *s = NULL;
    *len = 0;
    if (!m->v || m->v[0] != '"')
        return true;
    return lt_json_walk_plain_str(m->v, m->n, s, len);
}

/* lt_json_int on a member into *has / *out; false when unsure (a number it may read
 * differently). */
static bool text_int(const struct member *m, bool *has, int64_t *out)
{
    enum lt_json_walk_int r = m->v ? lt_json_walk_int(m->v, m->n, out) : LT_JSON_INT_NONE;
    *has = r == LT_JSON_INT_OK;
    return r != LT_JSON_INT_UNSURE;
}

/* The members of one object (usage, a choice, a details object) a walk collects. `in[i]`,
 * when set, receives the members of name i's value when that is an object: it is walked in
 * the same pass (collect_enter), not again afterwards. */
struct members {
    const char *const *names; /* NULL-terminated, at most 16 */
    struct member m[16];
    struct members *in[16];
};

/* Start `ms` empty, collecting `names`; nothing nested. */
static void members_init(struct members *ms, const char *const *names)
{
    memset(ms, 0, sizeof(*ms));
    ms->names = names;
}

/* The index of key `k` (`kn` bytes) in ms->names, or -1. First bytes first: most names
 * differ there. */
static int name_index(const struct members *ms, const char *k, size_t kn)
{
    for (int i = 0; ms->names[i]; i++)
        if (kn && ms->names[i][0] == k[0] && lt_json_scan_eq(k, kn, ms->names[i]))
            return i;
    return -1;
}

static bool collect(void *ud, const char *k, size_t kn, const char *v, size_t vn)
{
    struct members *ms = ud;
    int i = name_index(ms, k, kn);
    if (i >= 0)
        first(&ms->m[i], v, vn);
    return true;
}

/* A container value about to be walked: the first occurrence of a name with an `in` target,
 * when it is an object, is walked into that target (as lt_json_obj reads the first). */
static int collect_enter(void *ud, const char *k, size_t kn, const char *v,
                         struct lt_json_walker *inner)
{
    struct members *ms = ud;
    int i = name_index(ms, k, kn);
    if (i < 0 || !ms->in[i] || ms->m[i].v || v[0] != '{')
        return 0;
    *inner = (struct lt_json_walker){collect, collect_enter, ms->in[i]};
    return 1;
}

/* Walk the object that starts text `p` (`n` bytes) in one pass, collecting into `ms` (set up
 * with members_init and its `in` targets). */
static bool collect_text(const char *p, size_t n, struct members *ms)
{
    struct lt_json_walker w = {collect, collect_enter, ms};
    return lt_json_walk_object_nested(p, n, &w);
}

/* An integer read from `a`, else from `b` (lt_json_int(a) || lt_json_int(b)). */
static bool text_int_or(const struct member *a, const struct member *b, bool *has, int64_t *out)
{
    if (!text_int(a, has, out))
        return false;
    return *has || text_int(b, has, out);
}

/* A usage object's members, with its two details objects walked in the same pass. */
enum { PROMPT, COMPLETION, PROMPT_DETAILS, CACHE_HIT, COMPLETION_DETAILS, REASONING };
struct tusage {
    struct members ms, pd, cd;
};

static void tusage_init(struct tusage *u)
{
    static const char *const names[] = {"prompt_tokens",
                                        "completion_tokens",
                                        "prompt_tokens_details",
                                        "prompt_cache_hit_tokens",
                                        "completion_tokens_details",
                                        "reasoning_tokens",
                                        NULL};
    static const char *const cached[] = {"cached_tokens", NULL};
    static const char *const reasoning[] = {"reasoning_tokens", NULL};
    members_init(&u->ms, names);
    members_init(&u->pd, cached);
    members_init(&u->cd, reasoning);
    u->ms.in[PROMPT_DETAILS] = &u->pd;
    u->ms.in[COMPLETION_DETAILS] = &u->cd;
}

/* lt_openai_usage's reading of a usage object's text, collected into `u`. */
static bool text_usage(const struct tusage *u, struct ousage *o)
{
    const struct member *m = u->ms.m;
    return text_int(&m[PROMPT], &o->has[U_INPUT], &o->v[U_INPUT]) &&
           text_int(&m[COMPLETION], &o->has[U_OUTPUT], &o->v[U_OUTPUT]) &&
           text_int_or(&u->pd.m[0], &m[CACHE_HIT], &o->has[U_CACHE_READ], &o->v[U_CACHE_READ]) &&
           text_int_or(&u->cd.m[0], &m[REASONING], &o->has[U_REASONING], &o->v[U_REASONING]);
}

/* A chunk's top-level members stream_event reads, and its choices' (each an object with
 * index and finish_reason) and usage's, all collected in one pass over its text. */
enum { C_ID, C_MODEL, C_FINGERPRINT, C_TIER, C_CHOICES, C_USAGE, C_X_GROQ, C_ERROR };
struct tchunk {
    struct members top;
    struct members choices[TEXT_CHOICES];
    size_t n_choices;
    struct tusage usage;
};

static const char *const CHUNK_KEYS[] = {"id",           "model",   "system_fingerprint",
                                         "service_tier", "choices", "usage",
                                         "x_groq",       "error",   NULL};

/* An element of "choices": stream_choice reads objects and ignores anything else; more
 * than TEXT_CHOICES go to stream_event. */
static int choice_enter(void *ud, const char *k, size_t kn, const char *v,
                        struct lt_json_walker *inner)
{
    (void)k, (void)kn;
    static const char *const names[] = {"index", "finish_reason", NULL};
    struct tchunk *t = ud;
    if (v[0] != '{')
        return 0;
    if (t->n_choices == TEXT_CHOICES)
        return -1;
    struct members *ms = &t->choices[t->n_choices++];
    members_init(ms, names);
    *inner = (struct lt_json_walker){collect, NULL, ms};
    return 1;
}

static bool chunk_member(void *ud, const char *k, size_t kn, const char *v, size_t vn)
{
    struct tchunk *t = ud;
    return collect(&t->top, k, kn, v, vn);
}

/* The first "choices", when an array, has its elements walked by choice_enter; the first
 * "usage" object goes to t->usage (collect_enter). */
static int chunk_enter(void *ud, const char *k, size_t kn, const char *v,
                       struct lt_json_walker *inner)
{
    struct tchunk *t = ud;
    if (v[0] == '[' && !t->top.m[C_CHOICES].v && lt_json_scan_eq(k, kn, "choices")) {
        *inner = (struct lt_json_walker){NULL, choice_enter, t};
        return 1;
    }
    return collect_enter(&t->top, k, kn, v, inner);
}

/* stream_event for a chunk read from its text: collect everything first, so that a refusal
 * anywhere leaves nothing changed, then apply in stream_event's order. An error object or
 * Groq's x_groq (rare) goes to stream_event. */
static bool stream_text(void *st, struct lt_genai_ctx *c, const char *type, size_t type_len,
                        const char *data, size_t data_len)
{
    (void)type, (void)type_len;
    struct ostate *s = st;
    struct tchunk t;
    members_init(&t.top, CHUNK_KEYS);
    t.n_choices = 0;
    tusage_init(&t.usage);
    t.top.in[C_USAGE] = &t.usage.ms;
    struct lt_json_walker w = {chunk_member, chunk_enter, &t};
    if (!lt_json_walk_object_nested(data, data_len, &w))
        return false;
    const struct member *m = t.top.m;
    if (is_object(&m[C_ERROR]) || is_object(&m[C_X_GROQ]))
        return false;
    const char *str[C_TIER + 1];
    size_t len[C_TIER + 1];
    for (int i = C_ID; i <= C_TIER; i++)
        if (!text_str(&m[i], &str[i], &len[i]))
            return false;
    struct {
        int64_t index;
        const char *finish; /* NULL: none */
        size_t finish_len;
    } ch[TEXT_CHOICES];
    for (size_t i = 0; i < t.n_choices; i++) {
        bool has;
        ch[i].index = 0;
        if (!text_int(&t.choices[i].m[0], &has, &ch[i].index) ||
            !text_str(&t.choices[i].m[1], &ch[i].finish, &ch[i].finish_len))
            return false;
    }
    struct ousage u = {0};
    bool usage = is_object(&m[C_USAGE]);
    if (usage && !text_usage(&t.usage, &u))
        return false;

    if (len[C_ID] && !s->have_id) {
        lt_genai_strn(c, "gen_ai.response.id", str[C_ID], len[C_ID]);
        s->have_id = true;
    }
    if (len[C_MODEL] && !s->have_model) {
        lt_genai_strn(c, "gen_ai.response.model", str[C_MODEL], len[C_MODEL]);
        s->have_model = true;
    }
    set_changed_n(c, "openai.response.system_fingerprint", str[C_FINGERPRINT], len[C_FINGERPRINT]);
    set_changed_n(c, "openai.response.service_tier", str[C_TIER], len[C_TIER]);
    for (size_t i = 0; i < t.n_choices; i++) {
        if (ch[i].index < 0 || ch[i].index > 0x7fffffff)
            continue;
        struct ochoice *oc = choice_at(c, s, (int)ch[i].index);
        char *f = oc && ch[i].finish ? dup_strn(c, ch[i].finish, ch[i].finish_len) : NULL;
        if (f) {
            free(oc->finish);
            oc->finish = f;
        }
    }
    if (usage)
        usage_emit(c, &u);
    return true;
}

/* lt_json_num on a member: *has false when absent or not a finite number. */
static void text_num(const struct member *m, bool *has, double *out)
{
    *has = m->v && lt_json_walk_num(m->v, m->n, out);
}

/* request() with capture off, from the request body's text. Stop sequences (rare, and an
 * array of strings to copy) go to request(). */
static bool request_text(void *st, struct lt_genai_ctx *c, const char *data, size_t data_len)
{
    (void)st;
    enum {
        R_MODEL,
        R_TEMPERATURE,
        R_TOP_P,
        R_FREQUENCY,
        R_PRESENCE,
        R_MAX_COMPLETION,
        R_MAX_TOKENS,
        R_SEED,
        R_RANDOM_SEED,
        R_N,
        R_STOP,
        R_STREAM,
        R_FORMAT,
        R_TIER,
    };
    static const char *const names[] = {"model",
                                        "temperature",
                                        "top_p",
                                        "frequency_penalty",
                                        "presence_penalty",
                                        "max_completion_tokens",
                                        "max_tokens",
                                        "seed",
                                        "random_seed",
                                        "n",
                                        "stop",
                                        "stream",
                                        "response_format",
                                        "service_tier",
                                        NULL};
    static const char *const type[] = {"type", NULL};
    _Static_assert(sizeof(names) / sizeof(names[0]) <= 16 + 1, "struct members holds 16");
    struct members ms, rf;
    members_init(&ms, names);
    members_init(&rf, type);
    ms.in[R_FORMAT] = &rf;
    if (!collect_text(data, data_len, &ms))
        return false;
    const struct member *stop = &ms.m[R_STOP];
    if (stop->v && !lt_json_scan_eq(stop->v, stop->n, "null"))
        return false;
    const char *model, *fmt, *tier;
    size_t model_len, fmt_len, tier_len;
    if (!text_str(&ms.m[R_MODEL], &model, &model_len) || !text_str(&rf.m[0], &fmt, &fmt_len) ||
        !text_str(&ms.m[R_TIER], &tier, &tier_len))
        return false;
    struct osampling o = {0};
    for (int k = 0; k < S_ND; k++)
        text_num(&ms.m[R_TEMPERATURE + k], &o.has_d[k], &o.d[k]);
    if (!text_int_or(&ms.m[R_MAX_COMPLETION], &ms.m[R_MAX_TOKENS], &o.has_i[S_MAX_TOKENS],
                     &o.i[S_MAX_TOKENS]) ||
        !text_int_or(&ms.m[R_SEED], &ms.m[R_RANDOM_SEED], &o.has_i[S_SEED], &o.i[S_SEED]) ||
        !text_int(&ms.m[R_N], &o.has_i[S_N], &o.i[S_N]))
        return false;
    const struct member *stream = &ms.m[R_STREAM];
    o.stream = stream->v && lt_json_scan_eq(stream->v, stream->n, "true");

    lt_genai_strn(c, "gen_ai.request.model", model, model_len);
    sampling_emit(c, &o, NULL);
    output_type(c, fmt, fmt_len);
    request_tier(c, tier, tier_len);
    return true;
}

static void finish(void *st, struct lt_genai_ctx *c)
{
    struct ostate *s = st;
    if (!s->n_choices)
        return;
    const char *fr[MAX_CHOICES];
    size_t nfr = 0;
    for (size_t i = 0; i < s->n_choices; i++)
        if (s->choices[i].finish)
            fr[nfr++] = s->choices[i].finish;
    if (nfr)
        lt_genai_str_array(c, "gen_ai.response.finish_reasons", fr, nfr);
    if (!c->capture)
        return;
    cJSON *out = lt_genai_array(c);
    for (size_t i = 0; i < s->n_choices; i++) {
        struct ochoice *ch = &s->choices[i];
        cJSON *parts = lt_genai_message(c, out, ch->role ? ch->role : "assistant", ch->finish);
        if (ch->reasoning.len)
            lt_genai_part_text(c, parts, "reasoning", ch->reasoning.data, ch->reasoning.len);
        if (ch->text.len)
            lt_genai_part_text(c, parts, "text", ch->text.data, ch->text.len);
        for (size_t k = 0; k < ch->n_tools; k++) {
            struct otool *t = &ch->tools[k];
            lt_genai_part_tool_call(c, parts, t->id, t->name, t->args.len ? t->args.data : NULL,
                                    t->args.len);
        }
    }
    lt_genai_json_attr(c, "gen_ai.output.messages", out);
}

static void cleanup(void *st)
{
    struct ostate *s = st;
    for (size_t i = 0; i < s->n_choices; i++) {
        struct ochoice *ch = &s->choices[i];
        free(ch->role);
        free(ch->finish);
        lt_buf_cleanup(&ch->text);
        lt_buf_cleanup(&ch->reasoning);
        for (size_t k = 0; k < ch->n_tools; k++) {
            free(ch->tools[k].id);
            free(ch->tools[k].name);
            lt_buf_cleanup(&ch->tools[k].args);
        }
        free(ch->tools);
    }
    free(s->choices);
}

/* scan_key reads none of these (deltas only matter when capturing); "obfuscation" pads streamed
 * chunks */
static const char *const free_keys[] = {
    "content", "refusal", "arguments", "reasoning_content", "reasoning", "obfuscation", NULL};

const struct lt_genai_adapter lt_genai_openai_chat = {
    .api = LT_API_OPENAI_CHAT,
    .operation = "chat",
    .state_size = sizeof(struct ostate),
    .begin = begin,
    .request = request,
    .response = response,
    .stream_event = stream_event,
    .event_needed = event_needed,
    .free_keys = free_keys,
    .stream_text = stream_text,
    .request_text = request_text,
    .finish = finish,
    .cleanup = cleanup,
};
