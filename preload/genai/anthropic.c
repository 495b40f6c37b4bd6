/* anthropic.c — the Anthropic Messages adapter (POST /v1/messages): request parameters, the
 * message response or its event stream (message_start, content_block_*, message_delta,
 * error), usage with cache counts folded into input tokens as SPEC.md says, and opt-in
 * content (system → gen_ai.system_instructions, blocks → parts; SPEC.md "Content"). */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

#define MAX_BLOCKS 256 /* streamed content blocks tracked; more are ignored */

enum block_kind { BLOCK_OTHER, BLOCK_TEXT, BLOCK_TOOL, BLOCK_THINKING };

/* One streamed content block (kept only when capturing content). */
struct ablock {
    int index;
    enum block_kind kind;
    char *id;
    char *name;
    struct lt_buf text; /* text, thinking, or the tool input's partial_json fragments */
    cJSON *input;       /* tool_use input from content_block_start, when an object */
};

/* Per-exchange state: usage (later values win), stop reason, streamed blocks by index. */
struct astate {
    bool have_in, have_out, have_cr, have_cc;
    int64_t in, out, cr, cc;
    bool streamed; /* stream events were seen: finish() emits the assembled results */
    bool have_id, have_model;
    char *stop_reason;
    struct ablock *blocks;
    size_t n_blocks;
};

static bool streq(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

/* ---- content blocks (request messages and non-stream responses) ---- */

static void image_block(struct lt_genai_ctx *c, cJSON *parts, const cJSON *b)
{
    const cJSON *src = lt_json_obj(b, "source");
    const char *type = lt_json_str(src, "type");
    if (streq(type, "base64"))
        lt_genai_part_blob(c, parts, "image", lt_json_str(src, "media_type"),
                           lt_json_str(src, "data"));
    else if (streq(type, "url"))
        lt_genai_part_uri(c, parts, "image", lt_json_str(src, "url"));
}

/* Blocks (or a plain string) → parts: text, image, tool_use, tool_result, thinking. */
static void block_parts(struct lt_genai_ctx *c, cJSON *parts, const cJSON *content)
{
    if (cJSON_IsString(content)) {
        lt_genai_part_text(c, parts, "text", content->valuestring, strlen(content->valuestring));
        return;
    }
    const cJSON *b;
    const cJSON *arr = cJSON_IsArray(content) ? content : NULL;
    cJSON_ArrayForEach(b, arr)
    {
        const char *type = lt_json_str(b, "type");
        if (streq(type, "text")) {
            const char *t = lt_json_str(b, "text");
            if (t)
                lt_genai_part_text(c, parts, "text", t, strlen(t));
        } else if (streq(type, "thinking")) {
            const char *t = lt_json_str(b, "thinking");
            if (t)
                lt_genai_part_text(c, parts, "reasoning", t, strlen(t));
        } else if (streq(type, "tool_use") || streq(type, "server_tool_use")) {
            lt_genai_part_tool_call_json(c, parts, lt_json_str(b, "id"), lt_json_str(b, "name"),
                                         cJSON_GetObjectItemCaseSensitive(b, "input"));
        } else if (streq(type, "tool_result")) {
            lt_genai_part_tool_response(c, parts, lt_json_str(b, "tool_use_id"),
                                        cJSON_GetObjectItemCaseSensitive(b, "content"));
        } else if (streq(type, "image")) {
            image_block(c, parts, b);
        }
    }
}

/* ---- request ---- */

static void system_instructions(struct lt_genai_ctx *c, const cJSON *req)
{
    const cJSON *sys = cJSON_GetObjectItemCaseSensitive(req, "system");
    if (!cJSON_IsString(sys) && !cJSON_IsArray(sys))
        return;
    cJSON *parts = lt_genai_array(c);
    block_parts(c, parts, sys);
    lt_genai_json_attr(c, "gen_ai.system_instructions", parts);
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
        cJSON *parts = lt_genai_message(c, out, lt_json_str(m, "role"), NULL);
        block_parts(c, parts, cJSON_GetObjectItemCaseSensitive(m, "content"));
    }
    lt_genai_json_attr(c, "gen_ai.input.messages", out);
}

static void tool_definitions(struct lt_genai_ctx *c, const cJSON *req)
{
    const cJSON *tools = lt_json_arr(req, "tools");
    if (!tools)
        return;
    cJSON *defs = lt_genai_array(c);
    const cJSON *t;
    cJSON_ArrayForEach(t, tools)
    {
        /* Client tools only; server tools (web_search_…, bash_…) carry a versioned type. */
        const char *type = lt_json_str(t, "type");
        if (!cJSON_IsObject(t) || (type && strcmp(type, "custom") != 0))
            continue;
        lt_genai_tool_def(c, defs, lt_json_str(t, "name"), lt_json_str(t, "description"),
                          cJSON_GetObjectItemCaseSensitive(t, "input_schema"));
    }
    if (cJSON_GetArraySize(defs) == 0) {
        cJSON_Delete(defs);
        return;
    }
    lt_genai_json_attr(c, "gen_ai.tool.definitions", defs);
}

static void request(void *st, struct lt_genai_ctx *c, const cJSON *req)
{
    lt_genai_str(c, "gen_ai.request.model", lt_json_str(req, "model"));
    static const char *const doubles[][2] = {
        {"temperature", "gen_ai.request.temperature"},
        {"top_p", "gen_ai.request.top_p"},
        {"top_k", "gen_ai.request.top_k"},
    };
    for (size_t i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++) {
        double d;
        if (lt_json_num(req, doubles[i][0], &d))
            lt_genai_double(c, doubles[i][1], d);
    }
    int64_t v;
    if (lt_json_int(req, "max_tokens", &v))
        lt_genai_int(c, "gen_ai.request.max_tokens", v);
    lt_genai_stop_sequences(c, lt_json_arr(req, "stop_sequences"));
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "stream"))) {
        c->req_stream = true;
        lt_genai_bool(c, "gen_ai.request.stream", true);
    }
    if (c->capture) {
        system_instructions(c, req);
        input_messages(c, req);
        tool_definitions(c, req);
    }
}

/* ---- response ---- */

/* Usage counts present in `u`; a later call overrides (message_delta is cumulative). */
static void take_usage(struct astate *s, const cJSON *u)
{
    if (lt_json_int(u, "input_tokens", &s->in))
        s->have_in = true;
    if (lt_json_int(u, "output_tokens", &s->out))
        s->have_out = true;
    if (lt_json_int(u, "cache_read_input_tokens", &s->cr))
        s->have_cr = true;
    if (lt_json_int(u, "cache_creation_input_tokens", &s->cc))
        s->have_cc = true;
}

static void set_stop_reason(struct lt_genai_ctx *c, struct astate *s, const char *r)
{
    if (!r)
        return;
    char *d = strdup(r);
    if (!d) {
        lt_genai_oom(c);
        return;
    }
    free(s->stop_reason);
    s->stop_reason = d;
}

/* {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}} */
static bool error_object(struct lt_genai_ctx *c, const cJSON *j)
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
    struct astate *s = st;
    if (streq(lt_json_str(resp, "type"), "error") && error_object(c, resp))
        return;
    lt_genai_str(c, "gen_ai.response.id", lt_json_str(resp, "id"));
    lt_genai_str(c, "gen_ai.response.model", lt_json_str(resp, "model"));
    const char *stop = lt_json_str(resp, "stop_reason");
    if (stop)
        lt_genai_str_array(c, "gen_ai.response.finish_reasons", &stop, 1);
    take_usage(s, lt_json_obj(resp, "usage"));
    const cJSON *content = lt_json_arr(resp, "content");
    if (c->capture && content) {
        cJSON *out = lt_genai_array(c);
        const char *role = lt_json_str(resp, "role");
        cJSON *parts = lt_genai_message(c, out, role ? role : "assistant", stop);
        block_parts(c, parts, content);
        lt_genai_json_attr(c, "gen_ai.output.messages", out);
    }
}

/* ---- stream ---- */

/* The block with `index`, created in index order; NULL past MAX_BLOCKS or on ENOMEM. */
static struct ablock *block_at(struct lt_genai_ctx *c, struct astate *s, const cJSON *ev)
{
    int64_t index;
    if (!lt_json_int(ev, "index", &index))
        return NULL;
    return lt_genai_slot(c, &s->blocks, &s->n_blocks, sizeof(*s->blocks),
                         offsetof(struct ablock, index), index, MAX_BLOCKS);
}

static char *dup_or_null(struct lt_genai_ctx *c, const char *v)
{
    if (!v)
        return NULL;
    char *d = strdup(v);
    if (!d)
        lt_genai_oom(c);
    return d;
}

static void block_start(struct lt_genai_ctx *c, struct astate *s, const cJSON *ev)
{
    const cJSON *cb = lt_json_obj(ev, "content_block");
    struct ablock *b = cb ? block_at(c, s, ev) : NULL;
    if (!b)
        return;
    const char *type = lt_json_str(cb, "type");
    const char *initial = NULL;
    free(b->id);
    free(b->name);
    b->id = b->name = NULL;
    if (streq(type, "text")) {
        b->kind = BLOCK_TEXT;
        initial = lt_json_str(cb, "text");
    } else if (streq(type, "thinking")) {
        b->kind = BLOCK_THINKING;
        initial = lt_json_str(cb, "thinking");
    } else if (streq(type, "tool_use") || streq(type, "server_tool_use")) {
        b->kind = BLOCK_TOOL;
        b->id = dup_or_null(c, lt_json_str(cb, "id"));
        b->name = dup_or_null(c, lt_json_str(cb, "name"));
        const cJSON *in = lt_json_obj(cb, "input");
        cJSON_Delete(b->input);
        b->input = in ? cJSON_Duplicate(in, true) : NULL;
        if (in && !b->input)
            lt_genai_oom(c);
    } else {
        b->kind = BLOCK_OTHER;
    }
    if (initial && *initial)
        lt_genai_acc(c, &b->text, initial, strlen(initial));
}

static void block_delta(struct lt_genai_ctx *c, struct astate *s, const cJSON *ev)
{
    const cJSON *d = lt_json_obj(ev, "delta");
    struct ablock *b = d ? block_at(c, s, ev) : NULL;
    if (!b)
        return;
    const char *type = lt_json_str(d, "type");
    const char *frag = NULL;
    if (streq(type, "text_delta"))
        frag = lt_json_str(d, "text");
    else if (streq(type, "input_json_delta"))
        frag = lt_json_str(d, "partial_json");
    else if (streq(type, "thinking_delta"))
        frag = lt_json_str(d, "thinking");
    /* signature_delta and citations_delta carry nothing the conventions record. */
    if (frag)
        lt_genai_acc(c, &b->text, frag, strlen(frag));
}

static void stream_event(void *st, struct lt_genai_ctx *c, const char *type, size_t type_len,
                         const char *data, size_t data_len, const cJSON *j)
{
    struct astate *s = st;
    if (!cJSON_IsObject(j))
        return;
    /* The JSON "type" names the event; the SSE event name is the fallback for relays that
     * drop one of the two. */
    char evbuf[32];
    const char *ev = lt_json_str(j, "type");
    if (!ev) {
        size_t n = type_len < sizeof(evbuf) - 1 ? type_len : sizeof(evbuf) - 1;
        memcpy(evbuf, type, n);
        evbuf[n] = '\0';
        ev = evbuf;
    }
    s->streamed = true;
    if (strcmp(ev, "message_start") == 0) {
        const cJSON *m = lt_json_obj(j, "message");
        const char *id = lt_json_str(m, "id");
        if (id && !s->have_id) {
            lt_genai_str(c, "gen_ai.response.id", id);
            s->have_id = true;
        }
        const char *model = lt_json_str(m, "model");
        if (model && !s->have_model) {
            lt_genai_str(c, "gen_ai.response.model", model);
            s->have_model = true;
        }
        set_stop_reason(c, s, lt_json_str(m, "stop_reason"));
        take_usage(s, lt_json_obj(m, "usage"));
    } else if (strcmp(ev, "content_block_start") == 0) {
        if (c->capture)
            block_start(c, s, j);
    } else if (strcmp(ev, "content_block_delta") == 0) {
        if (c->capture)
            block_delta(c, s, j);
    } else if (strcmp(ev, "message_delta") == 0) {
        set_stop_reason(c, s, lt_json_str(lt_json_obj(j, "delta"), "stop_reason"));
        take_usage(s, lt_json_obj(j, "usage"));
    } else if (strcmp(ev, "error") == 0) {
        error_object(c, j);
    }
    /* content_block_stop, message_stop, ping: nothing to record. */
}

/* ---- skipping events (content capture off) ---- */

/* Event names stream_event acts on without capture. */
static bool acted_on(const char *ev, size_t n)
{
    return lt_json_scan_eq(ev, n, "message_start") || lt_json_scan_eq(ev, n, "message_delta") ||
           lt_json_scan_eq(ev, n, "error");
}

/* A "type" key at any depth: harmless when a plain string naming another event (or a delta
 * or block type). Counts the type keys seen. */
static bool scan_key(void *ud, const char *k, size_t kn, const char *v, size_t vn)
{
    size_t *n_types = ud;
    if (!lt_json_scan_eq(k, kn, "type"))
        return true;
    const char *t;
    size_t tn;
    ++*n_types;
    return lt_json_scan_plain_str(v, vn, &t, &tn) && !acted_on(t, tn);
}

/* Without capture only message_start, message_delta and error matter (plus the first event,
 * which marks the exchange streamed): content_block_* and ping events are skipped. The
 * event's name comes from its JSON "type", so an event with none is always parsed. */
static bool event_needed(void *st, const struct lt_genai_ctx *c, const char *type, size_t type_len,
                         const char *data, size_t data_len)
{
    const struct astate *s = st;
    (void)c;
    if (!s->streamed)
        return true;
    size_t n = strnlen(type, type_len < 31 ? type_len : 31); /* as stream_event's evbuf */
    if (acted_on(type, n))
        return true;
    size_t n_types = 0;
    return !lt_json_scan_keys(data, data_len, scan_key, &n_types) || n_types == 0;
}

static void finish(void *st, struct lt_genai_ctx *c)
{
    struct astate *s = st;
    if (s->streamed) {
        if (s->stop_reason) {
            const char *fr = s->stop_reason;
            lt_genai_str_array(c, "gen_ai.response.finish_reasons", &fr, 1);
        }
        if (c->capture && (s->n_blocks || s->stop_reason)) {
            cJSON *out = lt_genai_array(c);
            cJSON *parts = lt_genai_message(c, out, "assistant", s->stop_reason);
            for (size_t i = 0; i < s->n_blocks; i++) {
                struct ablock *b = &s->blocks[i];
                if (b->kind == BLOCK_TEXT)
                    lt_genai_part_text(c, parts, "text", b->text.data, b->text.len);
                else if (b->kind == BLOCK_THINKING)
                    lt_genai_part_text(c, parts, "reasoning", b->text.data, b->text.len);
                else if (b->kind == BLOCK_TOOL && b->text.len)
                    lt_genai_part_tool_call(c, parts, b->id, b->name, b->text.data, b->text.len);
                else if (b->kind == BLOCK_TOOL)
                    lt_genai_part_tool_call_json(c, parts, b->id, b->name, b->input);
            }
            lt_genai_json_attr(c, "gen_ai.output.messages", out);
        }
    }
    /* Anthropic's input_tokens excludes cached input: the convention's input count is
     * input + cache_read + cache_creation (SPEC.md "Usage"). */
    if (s->have_in)
        lt_genai_int(c, "gen_ai.usage.input_tokens",
                     s->in + (s->have_cr ? s->cr : 0) + (s->have_cc ? s->cc : 0));
    if (s->have_out)
        lt_genai_int(c, "gen_ai.usage.output_tokens", s->out);
    if (s->have_cr)
        lt_genai_int(c, "gen_ai.usage.cache_read.input_tokens", s->cr);
    if (s->have_cc) {
        lt_genai_int(c, "gen_ai.usage.cache_creation.input_tokens", s->cc);
        lt_genai_int(c, "gen_ai.usage.cache_write.input_tokens", s->cc);
    }
}

static void cleanup(void *st)
{
    struct astate *s = st;
    for (size_t i = 0; i < s->n_blocks; i++) {
        free(s->blocks[i].id);
        free(s->blocks[i].name);
        lt_buf_cleanup(&s->blocks[i].text);
        cJSON_Delete(s->blocks[i].input);
    }
    free(s->blocks);
    free(s->stop_reason);
}

/* scan_key reads only "type" values: the delta payloads are free */
static const char *const free_keys[] = {"text", "partial_json", "thinking", "signature", NULL};

const struct lt_genai_adapter lt_genai_anthropic_messages = {
    .api = LT_API_ANTHROPIC_MESSAGES,
    .operation = "chat",
    .state_size = sizeof(struct astate),
    .request = request,
    .response = response,
    .stream_event = stream_event,
    .event_needed = event_needed,
    .free_keys = free_keys,
    .finish = finish,
    .cleanup = cleanup,
};
