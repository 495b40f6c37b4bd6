/* cohere.c — the Cohere v2 chat adapter (POST /v2/chat, docs.cohere.com/reference/chat and
 * chat-stream): request parameters (p → top_p, k → top_k), the response or its event stream
 * (message-start, content-start/delta, tool-plan-delta, tool-call-start/delta/end,
 * message-end; the event is named by the JSON "type", so SSE and JSON-lines framings both
 * work), the raw finish_reason (COMPLETE, MAX_TOKENS, TOOL_CALL, …), usage.tokens (else
 * usage.billed_units) and opt-in content (SPEC.md "Content"). A tool_plan is the model's
 * reasoning before its tool calls and becomes a "reasoning" part. Cohere names no model in
 * its response. */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

#define MAX_ITEMS 128 /* streamed content blocks + tool calls tracked; more are ignored */

enum item_kind { ITEM_TEXT, ITEM_THINKING, ITEM_TOOL };

/* One streamed content block or tool call, by kind and index (kept only when capturing). */
struct citem {
    enum item_kind kind;
    int index;
    char *id, *name;    /* tool calls */
    struct lt_buf text; /* text, thinking, or the tool call's argument fragments */
};

/* Per-exchange state. */
struct cstate {
    bool streamed; /* stream events were seen: finish() emits the assembled message */
    bool have_id;
    bool have_in, have_out, have_cached;
    bool usage_from_tokens; /* usage.tokens seen: billed_units no longer count */
    int64_t in, out, cached;
    char *finish_reason;
    struct lt_buf plan; /* tool-plan-delta fragments */
    /* Text and tool calls count indexes separately; the message lists texts first. */
    struct citem *texts; /* text and thinking blocks, sorted by index */
    size_t n_texts;
    struct citem *tools; /* tool calls, sorted by index */
    size_t n_tools;
};

static bool streq(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

/* ---- content ---- */

/* One content object: {type:text,text}, {type:thinking,thinking},
 * {type:image_url,image_url:{url}}; documents and others carry nothing recorded here. */
static void content_part(struct lt_genai_ctx *c, cJSON *parts, const cJSON *p)
{
    const char *type = lt_json_str(p, "type");
    if (streq(type, "text")) {
        const char *t = lt_json_str(p, "text");
        if (t)
            lt_genai_part_text(c, parts, "text", t, strlen(t));
    } else if (streq(type, "thinking")) {
        const char *t = lt_json_str(p, "thinking");
        if (t)
            lt_genai_part_text(c, parts, "reasoning", t, strlen(t));
    } else if (streq(type, "image_url")) {
        const cJSON *iu = cJSON_GetObjectItemCaseSensitive(p, "image_url");
        const char *url = lt_json_as_str(iu);
        lt_genai_part_image_url(c, parts, url ? url : lt_json_str(iu, "url"));
    }
}

/* Content: a string, one content object, or an array of them. */
static void content_parts(struct lt_genai_ctx *c, cJSON *parts, const cJSON *content)
{
    if (cJSON_IsString(content)) {
        lt_genai_part_text(c, parts, "text", content->valuestring, strlen(content->valuestring));
        return;
    }
    if (cJSON_IsObject(content)) {
        content_part(c, parts, content);
        return;
    }
    if (!cJSON_IsArray(content))
        return;
    const cJSON *p;
    cJSON_ArrayForEach(p, content)
    {
        content_part(c, parts, p);
    }
}

/* tool_calls[]: {id, type:function, function{name, arguments (a JSON string)}}. */
static void tool_call_parts(struct lt_genai_ctx *c, cJSON *parts, const cJSON *calls)
{
    const cJSON *tc;
    cJSON_ArrayForEach(tc, calls)
    {
        const cJSON *fn = lt_json_obj(tc, "function");
        if (!fn)
            continue;
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
        if (cJSON_IsString(args))
            lt_genai_part_tool_call(c, parts, lt_json_str(tc, "id"), lt_json_str(fn, "name"),
                                    args->valuestring, strlen(args->valuestring));
        else
            lt_genai_part_tool_call_json(c, parts, lt_json_str(tc, "id"), lt_json_str(fn, "name"),
                                         args);
    }
}

static void plan_part(struct lt_genai_ctx *c, cJSON *parts, const char *plan)
{
    if (plan && *plan)
        lt_genai_part_text(c, parts, "reasoning", plan, strlen(plan));
}

/* ---- request ---- */

/* messages[]: system/user/assistant turns (content, tool_plan, tool_calls) and tool results
 * ({role:tool, tool_call_id, content: a string or text/document blocks}). */
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
        if (streq(role, "tool")) {
            lt_genai_part_tool_response(c, parts, lt_json_str(m, "tool_call_id"), content);
            continue;
        }
        plan_part(c, parts, lt_json_str(m, "tool_plan"));
        content_parts(c, parts, content);
        tool_call_parts(c, parts, lt_json_arr(m, "tool_calls"));
    }
    lt_genai_json_attr(c, "gen_ai.input.messages", out);
}

/* tools[]: {type:function, function{name, description, parameters}}. */
static void tool_definitions(struct lt_genai_ctx *c, const cJSON *req)
{
    const cJSON *tools = lt_json_arr(req, "tools");
    if (!tools)
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
        {"p", "gen_ai.request.top_p"},
        {"k", "gen_ai.request.top_k"},
        {"frequency_penalty", "gen_ai.request.frequency_penalty"},
        {"presence_penalty", "gen_ai.request.presence_penalty"},
    };
    for (size_t i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++) {
        double d;
        if (lt_json_num(req, doubles[i][0], &d))
            lt_genai_double(c, doubles[i][1], d);
    }
    int64_t v;
    if (lt_json_int(req, "max_tokens", &v))
        lt_genai_int(c, "gen_ai.request.max_tokens", v);
    if (lt_json_int(req, "seed", &v))
        lt_genai_int(c, "gen_ai.request.seed", v);
    lt_genai_stop_sequences(c, lt_json_arr(req, "stop_sequences"));
    const char *fmt = lt_json_str(lt_json_obj(req, "response_format"), "type");
    if (streq(fmt, "json_object"))
        lt_genai_str(c, "gen_ai.output.type", "json");
    else if (streq(fmt, "text"))
        lt_genai_str(c, "gen_ai.output.type", "text");
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "stream"))) {
        c->req_stream = true;
        lt_genai_bool(c, "gen_ai.request.stream", true);
    }
    if (c->capture) {
        input_messages(c, req);
        tool_definitions(c, req);
    }
}

/* ---- response ---- */

/* usage {billed_units{input_tokens, output_tokens}, tokens{…}, cached_tokens}: the tokens
 * the model processed when sent, else the billed ones. */
static void take_usage(struct cstate *s, const cJSON *u)
{
    const cJSON *tok = lt_json_obj(u, "tokens");
    const cJSON *src = tok;
    if (!tok) {
        if (s->usage_from_tokens)
            src = NULL;
        else
            src = lt_json_obj(u, "billed_units");
    }
    if (src) {
        if (lt_json_int(src, "input_tokens", &s->in))
            s->have_in = true;
        if (lt_json_int(src, "output_tokens", &s->out))
            s->have_out = true;
        if (tok)
            s->usage_from_tokens = true;
    }
    if (lt_json_int(u, "cached_tokens", &s->cached))
        s->have_cached = true;
}

static void set_finish(struct lt_genai_ctx *c, struct cstate *s, const char *r)
{
    if (!r || !*r)
        return;
    char *d = strdup(r);
    if (!d) {
        lt_genai_oom(c);
        return;
    }
    free(s->finish_reason);
    s->finish_reason = d;
}

static void response(void *st, struct lt_genai_ctx *c, const cJSON *resp)
{
    struct cstate *s = st;
    lt_genai_str(c, "gen_ai.response.id", lt_json_str(resp, "id"));
    set_finish(c, s, lt_json_str(resp, "finish_reason"));
    take_usage(s, lt_json_obj(resp, "usage"));
    const cJSON *m = lt_json_obj(resp, "message");
    if (c->capture && m) {
        cJSON *out = lt_genai_array(c);
        const char *role = lt_json_str(m, "role");
        cJSON *parts = lt_genai_message(c, out, role ? role : "assistant", s->finish_reason);
        plan_part(c, parts, lt_json_str(m, "tool_plan"));
        content_parts(c, parts, cJSON_GetObjectItemCaseSensitive(m, "content"));
        tool_call_parts(c, parts, lt_json_arr(m, "tool_calls"));
        lt_genai_json_attr(c, "gen_ai.output.messages", out);
    }
}

/* ---- stream ---- */

/* The item of `kind` with the event's index, created in index order among the texts or
 * the tool calls; NULL without an index, past MAX_ITEMS in all, or on ENOMEM. */
static struct citem *item_at(struct lt_genai_ctx *c, struct cstate *s, const cJSON *ev,
                             enum item_kind kind)
{
    int64_t index;
    if (!lt_json_int(ev, "index", &index))
        return NULL;
    bool tool = kind == ITEM_TOOL;
    struct citem **arr = tool ? &s->tools : &s->texts;
    size_t *n = tool ? &s->n_tools : &s->n_texts;
    size_t before = *n;
    size_t max = MAX_ITEMS - (tool ? s->n_texts : s->n_tools);
    struct citem *it =
        lt_genai_slot(c, arr, n, sizeof(**arr), offsetof(struct citem, index), index, max);
    if (it && *n != before)
        it->kind = kind;
    return it;
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

/* content-start / content-delta: delta.message.content {type?, text | thinking}. */
static void content_event(struct lt_genai_ctx *c, struct cstate *s, const cJSON *ev)
{
    const cJSON *ct = lt_json_obj(lt_json_obj(lt_json_obj(ev, "delta"), "message"), "content");
    if (!ct)
        return;
    const char *type = lt_json_str(ct, "type");
    const char *thinking = lt_json_str(ct, "thinking");
    bool is_thinking = streq(type, "thinking") || (!type && thinking);
    struct citem *it = item_at(c, s, ev, is_thinking ? ITEM_THINKING : ITEM_TEXT);
    if (!it)
        return;
    if (streq(type, "thinking"))
        it->kind = ITEM_THINKING;
    const char *frag = it->kind == ITEM_THINKING ? thinking : lt_json_str(ct, "text");
    if (frag && *frag)
        lt_genai_acc(c, &it->text, frag, strlen(frag));
}

/* tool-call-start / tool-call-delta: delta.message.tool_calls {id?, function{name?,
 * arguments fragment}}. */
static void tool_event(struct lt_genai_ctx *c, struct cstate *s, const cJSON *ev)
{
    const cJSON *m = lt_json_obj(lt_json_obj(ev, "delta"), "message");
    const cJSON *tc = lt_json_obj(m, "tool_calls");
    if (!tc) { /* a one-element array from some relays */
        const cJSON *first = cJSON_GetArrayItem(lt_json_arr(m, "tool_calls"), 0);
        tc = cJSON_IsObject(first) ? first : NULL;
    }
    struct citem *it = tc ? item_at(c, s, ev, ITEM_TOOL) : NULL;
    if (!it)
        return;
    const cJSON *fn = lt_json_obj(tc, "function");
    const char *id = lt_json_str(tc, "id");
    const char *name = lt_json_str(fn, "name");
    if (id && !it->id)
        it->id = dup_or_null(c, id);
    if (name && !it->name)
        it->name = dup_or_null(c, name);
    const char *args = lt_json_str(fn, "arguments");
    if (args && *args)
        lt_genai_acc(c, &it->text, args, strlen(args));
}

static void stream_event(void *st, struct lt_genai_ctx *c, const char *type, size_t type_len,
                         const char *data, size_t data_len, const cJSON *j)
{
    struct cstate *s = st;
    if (!cJSON_IsObject(j))
        return;
    const char *ev = lt_json_str(j, "type");
    if (!ev)
        return;
    s->streamed = true;
    const cJSON *delta = lt_json_obj(j, "delta");
    if (strcmp(ev, "message-start") == 0) {
        const char *id = lt_json_str(j, "id");
        if (id && !s->have_id) {
            lt_genai_str(c, "gen_ai.response.id", id);
            s->have_id = true;
        }
    } else if (strcmp(ev, "content-start") == 0 || strcmp(ev, "content-delta") == 0) {
        if (c->capture)
            content_event(c, s, j);
    } else if (strcmp(ev, "tool-plan-delta") == 0) {
        const char *p = lt_json_str(lt_json_obj(delta, "message"), "tool_plan");
        if (c->capture && p && *p)
            lt_genai_acc(c, &s->plan, p, strlen(p));
    } else if (strcmp(ev, "tool-call-start") == 0 || strcmp(ev, "tool-call-delta") == 0) {
        if (c->capture)
            tool_event(c, s, j);
    } else if (strcmp(ev, "message-end") == 0) {
        set_finish(c, s, lt_json_str(delta, "finish_reason"));
        take_usage(s, lt_json_obj(delta, "usage"));
        const char *err = lt_json_str(delta, "error");
        if (err && *err)
            lt_genai_fail(c, s->finish_reason, err);
    }
    /* content-end, tool-call-end, citation-start/end, debug: nothing to record. */
}

static void finish(void *st, struct lt_genai_ctx *c)
{
    struct cstate *s = st;
    if (s->finish_reason) {
        const char *fr = s->finish_reason;
        lt_genai_str_array(c, "gen_ai.response.finish_reasons", &fr, 1);
    }
    if (s->have_in)
        lt_genai_int(c, "gen_ai.usage.input_tokens", s->in);
    if (s->have_out)
        lt_genai_int(c, "gen_ai.usage.output_tokens", s->out);
    if (s->have_cached)
        lt_genai_int(c, "gen_ai.usage.cache_read.input_tokens", s->cached);
    if (!s->streamed || !c->capture)
        return;
    cJSON *out = lt_genai_array(c);
    cJSON *parts = lt_genai_message(c, out, "assistant", s->finish_reason);
    if (s->plan.len)
        lt_genai_part_text(c, parts, "reasoning", s->plan.data, s->plan.len);
    for (size_t i = 0; i < s->n_texts; i++) {
        struct citem *it = &s->texts[i];
        lt_genai_part_text(c, parts, it->kind == ITEM_THINKING ? "reasoning" : "text",
                           it->text.data, it->text.len);
    }
    for (size_t i = 0; i < s->n_tools; i++) {
        struct citem *it = &s->tools[i];
        lt_genai_part_tool_call(c, parts, it->id, it->name, it->text.data, it->text.len);
    }
    lt_genai_json_attr(c, "gen_ai.output.messages", out);
}

static void cleanup(void *st)
{
    struct cstate *s = st;
    for (size_t i = 0; i < s->n_texts; i++)
        lt_buf_cleanup(&s->texts[i].text);
    free(s->texts);
    for (size_t i = 0; i < s->n_tools; i++) {
        free(s->tools[i].id);
        free(s->tools[i].name);
        lt_buf_cleanup(&s->tools[i].text);
    }
    free(s->tools);
    lt_buf_cleanup(&s->plan);
    free(s->finish_reason);
}

const struct lt_genai_adapter lt_genai_cohere_chat = {
    .api = LT_API_COHERE_CHAT,
    .operation = "chat",
    .state_size = sizeof(struct cstate),
    .request = request,
    .response = response,
    .stream_event = stream_event,
    .finish = finish,
    .cleanup = cleanup,
};
