/* openai_responses.c — the OpenAI Responses API adapter (POST …/v1/responses, adapter.h):
 * request parameters, the response object (plain, or carried whole by the stream's terminal
 * event), streamed output items assembled when the stream stops short, usage, failures, and
 * opt-in content (instructions, input items, tools, output items) in the GenAI conventions'
 * shapes (SPEC.md "Inference span", "Content"; semantic-conventions-genai
 * docs/gen-ai/openai.md: operation "chat", openai.api.type "responses").
 *
 * Finish reasons: a response has no per-output finish reason, only `status` and, when it
 * is "incomplete", `incomplete_details.reason`. SPEC.md asks for raw provider values, so
 * gen_ai.response.finish_reasons is ["<incomplete_details.reason>"] for an incomplete response
 * ("max_output_tokens", "content_filter"; "incomplete" when no reason is given) and
 * ["<status>"] otherwise ("completed", "failed", "cancelled"). No Chat Completions value
 * ("stop", "tool_calls") is invented; a non-terminal status ("queued", "in_progress", from
 * background mode) gives none. The single output message carries the same value.
 *
 * Conversation: `conversation` (request: an id string or {"id"}; response: {"id"}) is a
 * server-side conversation and becomes gen_ai.conversation.id. `previous_response_id` is not:
 * it names one earlier response and changes every turn, so it is not reported. */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "openai_common.h"

#define MAX_ITEMS 128 /* streamed output items tracked; more are ignored */

/* One output item being assembled from stream events (only when capturing content). */
struct ritem {
    int index;          /* output_index */
    cJSON *done;        /* the complete item from response.output_item.done, owned */
    char *type;         /* item type from response.output_item.added */
    char *call_id;      /* function_call */
    char *name;         /* function_call */
    struct lt_buf text; /* output_text / refusal deltas */
    struct lt_buf reasoning;
    struct lt_buf args; /* function_call_arguments deltas */
};

/* Per-exchange state. */
struct rstate {
    bool terminal;     /* a terminal event's response had output: its output messages stand */
    char *finish;      /* finish reason of the terminal event, for an output assembled here */
    size_t done_bytes; /* event bytes behind the kept `done` items, capped at c->max_text */
    struct ritem *items;
    size_t n_items;
};

static bool streq(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

static char *dup_str(struct lt_genai_ctx *c, const char *s)
{
    char *d = strdup(s);
    if (!d)
        lt_genai_oom(c);
    return d;
}

/* `conversation`: "conv_…" or {"id":"conv_…"}. */
static void conversation(struct lt_genai_ctx *c, const cJSON *o)
{
    const cJSON *conv =
        cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, "conversation") : NULL;
    const char *id = lt_json_as_str(conv);
    if (!id)
        id = lt_json_str(conv, "id");
    if (id && *id)
        lt_genai_str(c, "gen_ai.conversation.id", id);
}

/* ---- request ---- */

/* {"type":"file","modality","file_id"} — a file the provider stores (SPEC.md part `file`). */
static void file_part(struct lt_genai_ctx *c, cJSON *parts, const char *modality,
                      const char *file_id)
{
    cJSON *p = cJSON_CreateObject();
    if (!p || !cJSON_AddItemToArray(parts, p)) {
        cJSON_Delete(p);
        lt_genai_oom(c);
        return;
    }
    if (!cJSON_AddStringToObject(p, "type", "file") ||
        (modality && !cJSON_AddStringToObject(p, "modality", modality)) ||
        !cJSON_AddStringToObject(p, "file_id", file_id))
        lt_genai_oom(c);
}

/* Content of an input message: a string, or parts input_text / output_text / refusal /
 * input_image / input_file (others skipped). */
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
        const char *t = lt_json_str(p, "text");
        if (!t)
            t = lt_json_str(p, "refusal");
        if ((streq(type, "input_text") || streq(type, "output_text") || streq(type, "text") ||
             streq(type, "refusal")) &&
            t) {
            lt_genai_part_text(c, parts, "text", t, strlen(t));
        } else if (streq(type, "input_image")) {
            const char *url = lt_json_str(p, "image_url");
            const char *fid = lt_json_str(p, "file_id");
            if (url)
                lt_genai_part_image_url(c, parts, url);
            else if (fid)
                file_part(c, parts, "image", fid);
        } else if (streq(type, "input_file")) {
            const char *url = lt_json_str(p, "file_url");
            const char *fid = lt_json_str(p, "file_id");
            if (url)
                lt_genai_part_uri(c, parts, NULL, url);
            else if (fid)
                file_part(c, parts, NULL, fid);
        }
    }
}

/* Reasoning item: summary[] {type:summary_text, text} and content[] {type:reasoning_text}. */
static void reasoning_parts(struct lt_genai_ctx *c, cJSON *parts, const cJSON *item)
{
    static const char *const keys[] = {"summary", "content"};
    for (size_t k = 0; k < 2; k++) {
        const cJSON *s;
        cJSON_ArrayForEach(s, lt_json_arr(item, keys[k]))
        {
            const char *t = lt_json_str(s, "text");
            if (t)
                lt_genai_part_text(c, parts, "reasoning", t, strlen(t));
        }
    }
}

static void function_call_part(struct lt_genai_ctx *c, cJSON *parts, const cJSON *item)
{
    const char *args = lt_json_str(item, "arguments");
    lt_genai_part_tool_call(c, parts, lt_json_str(item, "call_id"), lt_json_str(item, "name"), args,
                            args ? strlen(args) : 0);
}

/* `input`: a string (one user message) or a list of items. Assistant-side items that follow
 * each other (reasoning, function calls, assistant messages) share one assistant message. */
static void input_messages(struct lt_genai_ctx *c, const cJSON *req)
{
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(req, "input");
    if (!cJSON_IsString(input) && !cJSON_IsArray(input))
        return;
    cJSON *out = lt_genai_array(c);
    if (!out)
        return;
    if (cJSON_IsString(input)) {
        cJSON *parts = lt_genai_message(c, out, "user", NULL);
        lt_genai_part_text(c, parts, "text", input->valuestring, strlen(input->valuestring));
        lt_genai_json_attr(c, "gen_ai.input.messages", out);
        return;
    }
    cJSON *asst = NULL; /* parts of the assistant message being continued, or NULL */
    const cJSON *it;
    cJSON_ArrayForEach(it, input)
    {
        const char *type = lt_json_str(it, "type");
        const char *role = lt_json_str(it, "role");
        if (streq(type, "function_call") || streq(type, "reasoning")) {
            if (!asst)
                asst = lt_genai_message(c, out, "assistant", NULL);
            if (streq(type, "function_call"))
                function_call_part(c, asst, it);
            else
                reasoning_parts(c, asst, it);
        } else if (streq(type, "function_call_output")) {
            cJSON *parts = lt_genai_message(c, out, "tool", NULL);
            lt_genai_part_tool_response(c, parts, lt_json_str(it, "call_id"),
                                        cJSON_GetObjectItemCaseSensitive(it, "output"));
            asst = NULL;
        } else if (role && (!type || streq(type, "message"))) {
            const cJSON *content = cJSON_GetObjectItemCaseSensitive(it, "content");
            if (streq(role, "assistant")) {
                if (!asst)
                    asst = lt_genai_message(c, out, "assistant", NULL);
                content_parts(c, asst, content);
            } else {
                /* system and developer messages stay here: they are in the history. */
                content_parts(c, lt_genai_message(c, out, role, NULL), content);
                asst = NULL;
            }
        }
        /* item_reference and hosted-tool calls carry no content of their own: skipped. */
    }
    lt_genai_json_attr(c, "gen_ai.input.messages", out);
}

/* Function tools are flat in the Responses API: {type:function, name, description,
 * parameters}. Hosted tools (web_search, file_search, …) have no definition to report. */
static void tool_definitions(struct lt_genai_ctx *c, const cJSON *req)
{
    const cJSON *tools = lt_json_arr(req, "tools");
    if (!tools)
        return;
    cJSON *defs = lt_genai_array(c);
    const cJSON *t;
    cJSON_ArrayForEach(t, tools)
    {
        if (streq(lt_json_str(t, "type"), "function"))
            lt_genai_tool_def(c, defs, lt_json_str(t, "name"), lt_json_str(t, "description"),
                              cJSON_GetObjectItemCaseSensitive(t, "parameters"));
    }
    if (cJSON_GetArraySize(defs) == 0) {
        cJSON_Delete(defs);
        return;
    }
    lt_genai_json_attr(c, "gen_ai.tool.definitions", defs);
}

static void begin(void *st, struct lt_genai_ctx *c)
{
    lt_genai_str(c, "openai.api.type", "responses");
    lt_openai_azure_model(c);
}

static void request(void *st, struct lt_genai_ctx *c, const cJSON *req)
{
    lt_genai_str(c, "gen_ai.request.model", lt_json_str(req, "model"));
    double d;
    if (lt_json_num(req, "temperature", &d))
        lt_genai_double(c, "gen_ai.request.temperature", d);
    if (lt_json_num(req, "top_p", &d))
        lt_genai_double(c, "gen_ai.request.top_p", d);
    int64_t v;
    if (lt_json_int(req, "max_output_tokens", &v))
        lt_genai_int(c, "gen_ai.request.max_tokens", v);
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "stream"))) {
        c->req_stream = true;
        lt_genai_bool(c, "gen_ai.request.stream", true);
    }
    const char *fmt = lt_json_str(lt_json_obj(lt_json_obj(req, "text"), "format"), "type");
    if (streq(fmt, "json_schema") || streq(fmt, "json_object"))
        lt_genai_str(c, "gen_ai.output.type", "json");
    else if (streq(fmt, "text"))
        lt_genai_str(c, "gen_ai.output.type", "text");
    const char *tier = lt_json_str(req, "service_tier");
    if (tier && strcmp(tier, "auto") != 0)
        lt_genai_str(c, "openai.request.service_tier", tier);
    conversation(c, req);

    if (!c->capture)
        return;
    const char *instr = lt_json_str(req, "instructions");
    if (instr) {
        cJSON *si = lt_genai_array(c);
        lt_genai_part_text(c, si, "text", instr, strlen(instr));
        lt_genai_json_attr(c, "gen_ai.system_instructions", si);
    }
    input_messages(c, req);
    tool_definitions(c, req);
}

/* ---- response object ---- */

/* The raw finish reason of a response (see the file comment), or NULL. */
static const char *finish_reason(const cJSON *resp)
{
    const char *status = lt_json_str(resp, "status");
    if (streq(status, "incomplete")) {
        const char *r = lt_json_str(lt_json_obj(resp, "incomplete_details"), "reason");
        return r && *r ? r : status;
    }
    if (streq(status, "completed") || streq(status, "failed") || streq(status, "cancelled"))
        return status;
    return NULL;
}

static void usage(struct lt_genai_ctx *c, const cJSON *u)
{
    int64_t v;
    if (lt_json_int(u, "input_tokens", &v))
        lt_genai_int(c, "gen_ai.usage.input_tokens", v);
    if (lt_json_int(u, "output_tokens", &v))
        lt_genai_int(c, "gen_ai.usage.output_tokens", v);
    if (lt_json_int(lt_json_obj(u, "input_tokens_details"), "cached_tokens", &v))
        lt_genai_int(c, "gen_ai.usage.cache_read.input_tokens", v);
    if (lt_json_int(lt_json_obj(u, "output_tokens_details"), "reasoning_tokens", &v))
        lt_genai_int(c, "gen_ai.usage.reasoning.output_tokens", v);
}

/* Parts of one output item (message, reasoning, function_call; others skipped). */
static void output_item_parts(struct lt_genai_ctx *c, cJSON *parts, const cJSON *item)
{
    const char *type = lt_json_str(item, "type");
    if (streq(type, "message"))
        content_parts(c, parts, cJSON_GetObjectItemCaseSensitive(item, "content"));
    else if (streq(type, "reasoning"))
        reasoning_parts(c, parts, item);
    else if (streq(type, "function_call"))
        function_call_part(c, parts, item);
}

/* A whole response object: from a plain body or a stream's terminal event (then `s` is the
 * stream state: it keeps the finish reason, and learns whether the output was reported). */
static void response_object(struct lt_genai_ctx *c, struct rstate *s, const cJSON *resp)
{
    const char *id = lt_json_str(resp, "id");
    if (id && *id)
        lt_genai_str(c, "gen_ai.response.id", id);
    const char *model = lt_json_str(resp, "model");
    if (model && *model)
        lt_genai_str(c, "gen_ai.response.model", model);
    lt_genai_str(c, "openai.response.service_tier", lt_json_str(resp, "service_tier"));
    conversation(c, resp);
    const char *fr = finish_reason(resp);
    if (fr)
        lt_genai_str_array(c, "gen_ai.response.finish_reasons", &fr, 1);
    if (s && fr && !s->finish)
        s->finish = dup_str(c, fr);
    const cJSON *output = lt_json_arr(resp, "output");
    /* A failed stream's terminal response may list no output although text had streamed:
     * then finish() reports what the deltas assembled. */
    if (c->capture && cJSON_GetArraySize(output) > 0) {
        if (s)
            s->terminal = true;
        cJSON *out = lt_genai_array(c);
        cJSON *parts = lt_genai_message(c, out, "assistant", fr);
        const cJSON *it;
        cJSON_ArrayForEach(it, output)
        {
            output_item_parts(c, parts, it);
        }
        lt_genai_json_attr(c, "gen_ai.output.messages", out);
    }
    usage(c, lt_json_obj(resp, "usage"));
    /* status "failed": {"error":{"code","message"}} (the error member is null otherwise). */
    const cJSON *err = lt_json_obj(resp, "error");
    if (err && !c->error) {
        char buf[32];
        lt_genai_fail(c, lt_json_error_type(err, buf, sizeof(buf)), lt_json_str(err, "message"));
    }
}

static void response(void *st, struct lt_genai_ctx *c, const cJSON *resp)
{
    if (lt_json_obj(resp, "error") && !lt_json_str(resp, "object") && lt_openai_body_error(c, resp))
        return; /* a bare {"error":{…}} body */
    response_object(c, NULL, resp);
}

/* ---- stream ---- */

/* The item at `output_index` (created in index order); NULL past MAX_ITEMS or on ENOMEM. */
static struct ritem *item_at(struct lt_genai_ctx *c, struct rstate *s, const cJSON *ev)
{
    int64_t index;
    if (!lt_json_int(ev, "output_index", &index))
        return NULL;
    return lt_genai_slot(c, &s->items, &s->n_items, sizeof(*s->items),
                         offsetof(struct ritem, index), index, MAX_ITEMS);
}

static void item_added(struct lt_genai_ctx *c, struct ritem *r, const cJSON *item)
{
    static const char *const keys[] = {"type", "call_id", "name"};
    char **dst[] = {&r->type, &r->call_id, &r->name};
    for (size_t k = 0; k < 3; k++) {
        const char *v = lt_json_str(item, keys[k]);
        if (v && !*dst[k])
            *dst[k] = dup_str(c, v);
    }
}

/* Delta events: which buffer of the item the `delta` string extends. */
static struct lt_buf *delta_buf(struct ritem *r, const char *type)
{
    if (streq(type, "response.output_text.delta") || streq(type, "response.refusal.delta"))
        return &r->text;
    if (streq(type, "response.reasoning_summary_text.delta") ||
        streq(type, "response.reasoning_text.delta"))
        return &r->reasoning;
    if (streq(type, "response.function_call_arguments.delta"))
        return &r->args;
    return NULL;
}

static void stream_event(void *st, struct lt_genai_ctx *c, const char *ev_name, size_t ev_len,
                         const char *data, size_t data_len, const cJSON *j)
{
    struct rstate *s = st;
    if (!cJSON_IsObject(j))
        return;
    const char *type = lt_json_str(j, "type");
    if (!type && ev_len == 5 && memcmp(ev_name, "error", 5) == 0)
        type = "error";
    if (!type)
        return;

    if (streq(type, "error")) {
        /* {"type":"error","code","message","param"}; some servers nest it in "error". */
        const cJSON *err = lt_json_obj(j, "error") ? lt_json_obj(j, "error") : j;
        const char *code = lt_json_str(err, "code");
        char buf[32];
        if (!code || !*code) {
            code = lt_json_error_type(err, buf, sizeof(buf));
            if (streq(code, "error"))
                code = NULL; /* the event's own type names no error */
        }
        lt_genai_fail(c, code, lt_json_str(err, "message"));
        return;
    }
    const cJSON *resp = lt_json_obj(j, "response");
    if (streq(type, "response.completed") || streq(type, "response.incomplete") ||
        streq(type, "response.failed") || streq(type, "response.cancelled")) {
        if (resp)
            response_object(c, s, resp);
        return;
    }
    if (streq(type, "response.created") || streq(type, "response.in_progress") ||
        streq(type, "response.queued")) {
        const char *id = lt_json_str(resp, "id");
        const char *model = lt_json_str(resp, "model");
        if (id && *id)
            lt_genai_str(c, "gen_ai.response.id", id);
        if (model && *model)
            lt_genai_str(c, "gen_ai.response.model", model);
        return;
    }
    if (!c->capture) /* the rest only assembles content */
        return;
    if (streq(type, "response.output_item.added") || streq(type, "response.output_item.done")) {
        struct ritem *r = item_at(c, s, j);
        const cJSON *item = lt_json_obj(j, "item");
        if (!r || !item)
            return;
        item_added(c, r, item);
        if (streq(type, "response.output_item.done") && !r->done) {
            if (data_len > c->max_text - s->done_bytes) {
                c->truncated = true; /* its deltas, if any, still stand in for it */
                return;
            }
            s->done_bytes += data_len;
            r->done = cJSON_Duplicate(item, true);
            if (!r->done)
                lt_genai_oom(c);
        }
        return;
    }
    const char *delta = lt_json_str(j, "delta");
    if (!delta)
        return;
    struct ritem *r = item_at(c, s, j);
    struct lt_buf *b = r ? delta_buf(r, type) : NULL;
    if (b)
        lt_genai_acc(c, b, delta, strlen(delta));
}

/* ---- skipping events (content capture off) ---- */

/* A "type" key at any depth: harmless unless its value could name an event stream_event acts
 * on without capture (lifecycle events with the response's id, model, usage, status; error
 * events). Everything else (deltas, item and part events) only assembles content. */
static bool scan_key(void *ud, const char *k, size_t kn, const char *v, size_t vn)
{
    static const char *const acted[] = {
        "error",
        "response.completed",
        "response.incomplete",
        "response.failed",
        "response.cancelled",
        "response.created",
        "response.in_progress",
        "response.queued",
    };
    (void)ud;
    if (!lt_json_scan_eq(k, kn, "type"))
        return true;
    const char *t;
    size_t tn;
    if (!lt_json_scan_plain_str(v, vn, &t, &tn))
        return false;
    for (size_t i = 0; i < sizeof(acted) / sizeof(acted[0]); i++)
        if (lt_json_scan_eq(t, tn, acted[i]))
            return false;
    return true;
}

static bool event_needed(void *st, const struct lt_genai_ctx *c, const char *ev_name, size_t ev_len,
                         const char *data, size_t data_len)
{
    (void)st, (void)c;
    if (ev_len == 5 && memcmp(ev_name, "error", 5) == 0) /* the fallback event type */
        return true;
    return !lt_json_scan_keys(data, data_len, scan_key, NULL);
}

/* A stream that ended without a terminal event whose response listed the output: what its
 * items had assembled so far. */
static void finish(void *st, struct lt_genai_ctx *c)
{
    struct rstate *s = st;
    if (s->terminal || !c->capture || !s->n_items)
        return;
    cJSON *out = lt_genai_array(c);
    cJSON *parts = lt_genai_message(c, out, "assistant", s->finish);
    for (size_t i = 0; i < s->n_items; i++) {
        struct ritem *r = &s->items[i];
        if (r->done) {
            output_item_parts(c, parts, r->done);
            continue;
        }
        if (r->reasoning.len)
            lt_genai_part_text(c, parts, "reasoning", r->reasoning.data, r->reasoning.len);
        if (r->text.len)
            lt_genai_part_text(c, parts, "text", r->text.data, r->text.len);
        if (streq(r->type, "function_call"))
            lt_genai_part_tool_call(c, parts, r->call_id, r->name,
                                    r->args.len ? r->args.data : NULL, r->args.len);
    }
    if (cJSON_GetArraySize(parts) == 0) {
        cJSON_Delete(out);
        return;
    }
    lt_genai_json_attr(c, "gen_ai.output.messages", out);
}

static void cleanup(void *st)
{
    struct rstate *s = st;
    for (size_t i = 0; i < s->n_items; i++) {
        struct ritem *r = &s->items[i];
        cJSON_Delete(r->done);
        free(r->type);
        free(r->call_id);
        free(r->name);
        lt_buf_cleanup(&r->text);
        lt_buf_cleanup(&r->reasoning);
        lt_buf_cleanup(&r->args);
    }
    free(s->items);
    free(s->finish);
}

/* scan_key reads only "type" values: deltas and their counters are free (the item ids and
 * indexes are too, but stay the same while one part streams) */
static const char *const free_keys[] = {"delta", "sequence_number", "obfuscation", NULL};

const struct lt_genai_adapter lt_genai_openai_responses = {
    .api = LT_API_OPENAI_RESPONSES,
    .operation = "chat",
    .state_size = sizeof(struct rstate),
    .begin = begin,
    .request = request,
    .response = response,
    .stream_event = stream_event,
    .event_needed = event_needed,
    .free_keys = free_keys,
    .finish = finish,
    .cleanup = cleanup,
};
