/* ollama.c — the Ollama native adapters: POST /api/chat ("chat") and /api/generate
 * ("text_completion"), per docs/api.md of ollama/ollama. Request parameters (model, options,
 * format, stream — on by default), the response as one object or as NDJSON chunks (genai.c
 * hands each line to stream_event as type "json"), text and thinking accumulated across
 * chunks, tool calls, done_reason as the finish reason, prompt_eval_count/eval_count as
 * usage, in-stream {"error": …} lines, and opt-in content (SPEC.md "Content"). Ollama sends
 * no response id. */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

/* Per-exchange state. A non-stream response is handled as a single chunk, so both paths
 * end in finish(). Text, thinking and tool calls are kept only when capturing content. */
struct ostate {
    bool generate;   /* /api/generate: text in "response", prompt/system in the request */
    bool seen;       /* a response object or chunk was seen: finish() emits results */
    bool have_model; /* gen_ai.response.model set (first chunk that names one) */
    bool have_in, have_out;
    int64_t in, out; /* prompt_eval_count, eval_count (later chunks win) */
    char *done_reason;
    struct lt_buf text;     /* message.content / response, accumulated */
    struct lt_buf thinking; /* message.thinking / thinking, accumulated */
    cJSON *tool_calls;      /* array of tool_call parts, built as calls arrive */
};

static bool streq(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

/* ---- request ---- */

/* options{} of both endpoints: Modelfile parameters (docs/modelfile.md). */
static void options(struct lt_genai_ctx *c, const cJSON *opt)
{
    static const char *const doubles[][2] = {
        {"temperature", "gen_ai.request.temperature"},
        {"top_p", "gen_ai.request.top_p"},
        {"top_k", "gen_ai.request.top_k"},
        {"frequency_penalty", "gen_ai.request.frequency_penalty"},
        {"presence_penalty", "gen_ai.request.presence_penalty"},
    };
    for (size_t i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++) {
        double d;
        if (lt_json_num(opt, doubles[i][0], &d))
            lt_genai_double(c, doubles[i][1], d);
    }
    int64_t v;
    /* num_predict -1 (no limit) and -2 (fill the context) are not a token cap. */
    if (lt_json_int(opt, "num_predict", &v) && v >= 0)
        lt_genai_int(c, "gen_ai.request.max_tokens", v);
    if (lt_json_int(opt, "seed", &v))
        lt_genai_int(c, "gen_ai.request.seed", v);
    lt_genai_stop_sequences(c, cJSON_IsObject(opt) ? cJSON_GetObjectItemCaseSensitive(opt, "stop")
                                                   : NULL);
}

/* images[]: base64 strings without a media type. */
static void images(struct lt_genai_ctx *c, cJSON *parts, const cJSON *imgs)
{
    const cJSON *i;
    cJSON_ArrayForEach(i, imgs)
    {
        if (cJSON_IsString(i))
            lt_genai_part_blob(c, parts, "image", NULL, i->valuestring);
    }
}

/* tool_calls[]: {id?, function{name, arguments (object), index?}} → tool_call parts. */
static void tool_call_parts(struct lt_genai_ctx *c, cJSON *parts, const cJSON *calls)
{
    const cJSON *tc;
    cJSON_ArrayForEach(tc, calls)
    {
        if (!cJSON_IsObject(tc))
            continue;
        const cJSON *fn = lt_json_obj(tc, "function");
        const cJSON *args = fn ? cJSON_GetObjectItemCaseSensitive(fn, "arguments") : NULL;
        const char *args_str = lt_json_as_str(args);
        if (args_str)
            lt_genai_part_tool_call(c, parts, lt_json_str(tc, "id"), lt_json_str(fn, "name"),
                                    args_str, strlen(args_str));
        else
            lt_genai_part_tool_call_json(c, parts, lt_json_str(tc, "id"), lt_json_str(fn, "name"),
                                         args);
    }
}

static void text_part(struct lt_genai_ctx *c, cJSON *parts, const char *type, const char *t)
{
    if (t && *t)
        lt_genai_part_text(c, parts, type, t, strlen(t));
}

/* /api/chat messages: role, content, thinking, images, tool_calls; role "tool" carries a
 * tool result (tool_name, and tool_call_id from clients that send one). */
static void chat_messages(struct lt_genai_ctx *c, const cJSON *req)
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
        cJSON *parts = lt_genai_message(c, out, role, NULL);
        if (streq(role, "tool")) {
            lt_genai_part_tool_response(c, parts, lt_json_str(m, "tool_call_id"),
                                        cJSON_GetObjectItemCaseSensitive(m, "content"));
            continue;
        }
        text_part(c, parts, "reasoning", lt_json_str(m, "thinking"));
        text_part(c, parts, "text", lt_json_str(m, "content"));
        images(c, parts, lt_json_arr(m, "images"));
        tool_call_parts(c, parts, lt_json_arr(m, "tool_calls"));
    }
    lt_genai_json_attr(c, "gen_ai.input.messages", out);
}

/* tools[]: {type:"function", function{name, description, parameters}}. */
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

/* /api/generate: prompt (+ images) is the user's turn, system the instructions. */
static void generate_input(struct lt_genai_ctx *c, const cJSON *req)
{
    const char *sys = lt_json_str(req, "system");
    if (sys && *sys) {
        cJSON *parts = lt_genai_array(c);
        text_part(c, parts, "text", sys);
        lt_genai_json_attr(c, "gen_ai.system_instructions", parts);
    }
    const char *prompt = lt_json_str(req, "prompt");
    const cJSON *imgs = lt_json_arr(req, "images");
    if ((!prompt || !*prompt) && !cJSON_GetArraySize(imgs))
        return;
    cJSON *out = lt_genai_array(c);
    cJSON *parts = lt_genai_message(c, out, "user", NULL);
    text_part(c, parts, "text", prompt);
    images(c, parts, imgs);
    lt_genai_json_attr(c, "gen_ai.input.messages", out);
}

static void request(void *st, struct lt_genai_ctx *c, const cJSON *req)
{
    struct ostate *s = st;
    lt_genai_str(c, "gen_ai.request.model", lt_json_str(req, "model"));
    options(c, lt_json_obj(req, "options"));
    /* format: "json" or a JSON schema object (structured outputs). */
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(req, "format");
    if ((cJSON_IsString(fmt) && strcmp(fmt->valuestring, "json") == 0) || cJSON_IsObject(fmt))
        lt_genai_str(c, "gen_ai.output.type", "json");
    /* Both endpoints stream unless the request says "stream": false. */
    if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(req, "stream"))) {
        c->req_stream = true;
        lt_genai_bool(c, "gen_ai.request.stream", true);
    }
    if (c->capture) {
        if (s->generate) {
            generate_input(c, req);
        } else {
            chat_messages(c, req);
            tool_definitions(c, req);
        }
    }
}

/* ---- response ---- */

static void set_done_reason(struct lt_genai_ctx *c, struct ostate *s, const char *r)
{
    if (!r || !*r)
        return;
    char *d = strdup(r);
    if (!d) {
        lt_genai_oom(c);
        return;
    }
    free(s->done_reason);
    s->done_reason = d;
}

static void acc(struct lt_genai_ctx *c, struct lt_buf *b, const char *t)
{
    if (t && *t)
        lt_genai_acc(c, b, t, strlen(t));
}

/* One response object: the whole non-stream response or one NDJSON chunk. */
static void chunk(struct ostate *s, struct lt_genai_ctx *c, const cJSON *j)
{
    if (!cJSON_IsObject(j))
        return;
    const char *err = lt_json_str(j, "error");
    if (err) { /* {"error":"…"}: in a 200 stream when generation fails midway */
        lt_genai_fail(c, NULL, err);
        return;
    }
    s->seen = true;
    const char *model = lt_json_str(j, "model");
    if (model && !s->have_model) {
        lt_genai_str(c, "gen_ai.response.model", model);
        s->have_model = true;
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "done")))
        set_done_reason(c, s, lt_json_str(j, "done_reason"));
    if (lt_json_int(j, "prompt_eval_count", &s->in))
        s->have_in = true;
    if (lt_json_int(j, "eval_count", &s->out))
        s->have_out = true;
    if (!c->capture)
        return;
    if (s->generate) {
        acc(c, &s->thinking, lt_json_str(j, "thinking"));
        acc(c, &s->text, lt_json_str(j, "response"));
        return;
    }
    const cJSON *m = lt_json_obj(j, "message");
    acc(c, &s->thinking, lt_json_str(m, "thinking"));
    acc(c, &s->text, lt_json_str(m, "content"));
    const cJSON *calls = lt_json_arr(m, "tool_calls");
    if (cJSON_GetArraySize(calls)) {
        if (!s->tool_calls && !(s->tool_calls = lt_genai_array(c)))
            return;
        tool_call_parts(c, s->tool_calls, calls);
    }
}

static void response(void *st, struct lt_genai_ctx *c, const cJSON *resp)
{
    chunk(st, c, resp);
}

static void stream_event(void *st, struct lt_genai_ctx *c, const char *type, size_t type_len,
                         const char *data, size_t data_len, const cJSON *j)
{
    chunk(st, c, j);
}

static void finish(void *st, struct lt_genai_ctx *c)
{
    struct ostate *s = st;
    if (s->done_reason) {
        const char *fr = s->done_reason;
        lt_genai_str_array(c, "gen_ai.response.finish_reasons", &fr, 1);
    }
    if (s->have_in)
        lt_genai_int(c, "gen_ai.usage.input_tokens", s->in);
    if (s->have_out)
        lt_genai_int(c, "gen_ai.usage.output_tokens", s->out);
    if (!c->capture || !s->seen)
        return;
    cJSON *out = lt_genai_array(c);
    cJSON *parts = lt_genai_message(c, out, "assistant", s->done_reason);
    if (s->thinking.len)
        lt_genai_part_text(c, parts, "reasoning", s->thinking.data, s->thinking.len);
    int n_tools = cJSON_GetArraySize(s->tool_calls);
    if (s->text.len || (!s->thinking.len && !n_tools))
        lt_genai_part_text(c, parts, "text", s->text.data, s->text.len);
    if (parts && n_tools) {
        /* Move the assembled tool_call parts over (no copy). */
        cJSON *tc;
        while ((tc = cJSON_DetachItemFromArray(s->tool_calls, 0)))
            cJSON_AddItemToArray(parts, tc);
    }
    lt_genai_json_attr(c, "gen_ai.output.messages", out);
}

static void begin_generate(void *st, struct lt_genai_ctx *c)
{
    ((struct ostate *)st)->generate = true;
}

static void cleanup(void *st)
{
    struct ostate *s = st;
    free(s->done_reason);
    lt_buf_cleanup(&s->text);
    lt_buf_cleanup(&s->thinking);
    cJSON_Delete(s->tool_calls);
}

const struct lt_genai_adapter lt_genai_ollama_chat = {
    .api = LT_API_OLLAMA_CHAT,
    .operation = "chat",
    .state_size = sizeof(struct ostate),
    .request = request,
    .response = response,
    .stream_event = stream_event,
    .finish = finish,
    .cleanup = cleanup,
};

const struct lt_genai_adapter lt_genai_ollama_generate = {
    .api = LT_API_OLLAMA_GENERATE,
    .operation = "text_completion",
    .state_size = sizeof(struct ostate),
    .begin = begin_generate,
    .request = request,
    .response = response,
    .stream_event = stream_event,
    .finish = finish,
    .cleanup = cleanup,
};
