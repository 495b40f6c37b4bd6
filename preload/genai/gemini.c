/* gemini.c — the Google Gemini API / Vertex AI generateContent adapter (adapter.h):
 * POST …/models/{model}:generateContent and :streamGenerateContent (SSE with ?alt=sse, else a
 * streamed JSON array whose elements genai.c hands over one by one). The model comes from the
 * URL; the request's generationConfig, the response candidates (text per candidate index
 * accumulated over the stream chunks, thought parts as reasoning, functionCall as tool
 * calls), usageMetadata, promptFeedback blocks and in-stream errors become span attributes;
 * opt-in content as SPEC.md "Content" describes. Request keys are read in both spellings the
 * API accepts (lowerCamelCase and the proto's snake_case). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

#define MAX_CANDIDATES 64 /* candidates tracked (the API allows up to 8); more are ignored */
#define MAX_MODEL 256     /* bytes of a model name taken from the URL */

enum text_kind { TK_NONE = 0, TK_TEXT, TK_REASONING };

/* One candidate, assembled over the chunks of a stream (a plain response is one chunk). */
struct gcand {
    int index;
    char *finish;          /* last finishReason seen, raw ("STOP", "MAX_TOKENS", …) */
    cJSON *parts;          /* output parts done so far (content capture only) */
    enum text_kind kind;   /* kind of `pending`, TK_NONE when nothing is pending */
    struct lt_buf pending; /* text or thought text still growing across chunks */
};

/* Per-exchange state. Usage counts: the last value seen for each field wins (the final
 * chunk of a stream carries the totals). */
struct gstate {
    struct gcand *cands; /* sorted by index */
    size_t n_cands;
    bool have_id, have_model;
    bool have_prompt, have_cand, have_thoughts, have_cached, have_tool;
    int64_t prompt, cand, thoughts, cached, tool;
};

static bool streq(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

/* The key under which `o` holds a field: `camel` unless only `snake` is present (the API
 * accepts proto field names too, and REST samples use them: "generation_config"). */
static const char *k(const cJSON *o, const char *camel, const char *snake)
{
    if (cJSON_IsObject(o) && !cJSON_GetObjectItemCaseSensitive(o, camel) &&
        cJSON_GetObjectItemCaseSensitive(o, snake))
        return snake;
    return camel;
}

static const cJSON *item(const cJSON *o, const char *camel, const char *snake)
{
    return cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, k(o, camel, snake)) : NULL;
}

/* ---- the model from the URL ---- */

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

/* Percent-decode `n` bytes of `s` into `out` (at most `cap` - 1 bytes, NUL-terminated); a
 * decoded NUL ends the name. Returns the decoded length. */
static size_t url_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        char ch = s[i];
        if (ch == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            ch = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        if (ch == '\0')
            break;
        out[o++] = ch;
    }
    out[o] = '\0';
    return o;
}

/* Gemini API: /v1beta/models/{model}:{method}; Vertex AI:
 * /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:{method}. The model is what
 * follows the last "/models/" (else the last path segment, e.g. a tuned model or endpoint id)
 * up to the method's ':'; the query (which may hold ?key=…) is never looked at. Sets
 * gen_ai.request.model and returns whether the method is streamGenerateContent. */
static bool url_model(struct lt_genai_ctx *c, const char *t)
{
    size_t end = strcspn(t, "?#");
    size_t seg = end; /* start of the last path segment */
    while (seg > 0 && t[seg - 1] != '/')
        seg--;
    const char *colon = memchr(t + seg, ':', end - seg);
    size_t mend = colon ? (size_t)(colon - t) : end;
    bool stream = colon && (size_t)(end - (mend + 1)) == strlen("streamGenerateContent") &&
                  memcmp(colon + 1, "streamGenerateContent", end - (mend + 1)) == 0;
    size_t start = seg;
    for (size_t i = 0; i + 8 <= mend; i++)
        if (memcmp(t + i, "/models/", 8) == 0)
            start = i + 8;
    char model[MAX_MODEL];
    size_t len = url_decode(t + start, mend - start, model, sizeof(model));
    const char *m = model;
    if (len >= 7 && memcmp(m, "models/", 7) == 0) { /* an encoded "models%2F…" */
        m += 7;
        len -= 7;
    }
    if (len)
        lt_genai_str(c, "gen_ai.request.model", m);
    return stream;
}

static void begin(void *st, struct lt_genai_ctx *c)
{
    (void)st;
    if (c->x->target && url_model(c, c->x->target)) {
        /* An application/json streamed array is then framed as a JSON sequence (genai.c). */
        c->req_stream = true;
        lt_genai_bool(c, "gen_ai.request.stream", true);
    }
}

/* ---- parts (request contents, system instruction, response candidates) ---- */

/* The modality of a MIME type, as the content schema names them. */
static const char *modality(const char *mime)
{
    if (!mime)
        return NULL;
    if (strncmp(mime, "image/", 6) == 0)
        return "image";
    if (strncmp(mime, "video/", 6) == 0)
        return "video";
    if (strncmp(mime, "audio/", 6) == 0)
        return "audio";
    return "document";
}

/* Append a fresh object {"type":type} to `parts`, or NULL (ENOMEM recorded). */
static cJSON *new_part(struct lt_genai_ctx *c, cJSON *parts, const char *type)
{
    if (!parts)
        return NULL;
    cJSON *p = cJSON_CreateObject();
    if (!p || !cJSON_AddItemToArray(parts, p)) {
        cJSON_Delete(p);
        lt_genai_oom(c);
        return NULL;
    }
    if (!cJSON_AddStringToObject(p, "type", type)) {
        lt_genai_oom(c);
        return NULL;
    }
    return p;
}

static void put_str(struct lt_genai_ctx *c, cJSON *o, const char *key, const char *v)
{
    if (o && v && !cJSON_AddStringToObject(o, key, v))
        lt_genai_oom(c);
}

/* Add a duplicate of `v` under `key` (with "type":type added when it is an object). */
static void put_dup(struct lt_genai_ctx *c, cJSON *o, const char *key, const cJSON *v,
                    const char *type)
{
    if (!o || !v)
        return;
    cJSON *d = cJSON_Duplicate(v, true);
    if (!d || !cJSON_AddItemToObject(o, key, d)) {
        cJSON_Delete(d);
        lt_genai_oom(c);
        return;
    }
    if (type && cJSON_IsObject(d) && !cJSON_GetObjectItemCaseSensitive(d, "type"))
        put_str(c, d, "type", type);
}

/* A part that is not text → its content part: inlineData → blob, fileData → uri,
 * functionCall → tool_call, functionResponse → tool_call_response (with the function's name,
 * since Gemini rarely sends ids), executableCode / codeExecutionResult → server tool call /
 * response. Anything else (thoughtSignature-only parts, videoMetadata) adds nothing. */
static void other_part(struct lt_genai_ctx *c, cJSON *parts, const cJSON *p)
{
    const cJSON *v;
    if ((v = item(p, "inlineData", "inline_data")) && cJSON_IsObject(v)) {
        const char *mime = lt_json_str(v, k(v, "mimeType", "mime_type"));
        lt_genai_part_blob(c, parts, modality(mime), mime, lt_json_str(v, "data"));
    } else if ((v = item(p, "fileData", "file_data")) && cJSON_IsObject(v)) {
        const char *mime = lt_json_str(v, k(v, "mimeType", "mime_type"));
        cJSON *o = new_part(c, parts, "uri");
        put_str(c, o, "modality", modality(mime));
        put_str(c, o, "mime_type", mime);
        put_str(c, o, "uri", lt_json_str(v, k(v, "fileUri", "file_uri")));
    } else if ((v = item(p, "functionCall", "function_call")) && cJSON_IsObject(v)) {
        lt_genai_part_tool_call_json(c, parts, lt_json_str(v, "id"), lt_json_str(v, "name"),
                                     cJSON_GetObjectItemCaseSensitive(v, "args"));
    } else if ((v = item(p, "functionResponse", "function_response")) && cJSON_IsObject(v)) {
        cJSON *o = new_part(c, parts, "tool_call_response");
        put_str(c, o, "id", lt_json_str(v, "id"));
        put_str(c, o, "name", lt_json_str(v, "name"));
        put_dup(c, o, "response", cJSON_GetObjectItemCaseSensitive(v, "response"), NULL);
    } else if ((v = item(p, "executableCode", "executable_code")) && cJSON_IsObject(v)) {
        cJSON *o = new_part(c, parts, "server_tool_call");
        put_str(c, o, "name", "code_execution");
        put_dup(c, o, "server_tool_call", v, "code_execution");
    } else if ((v = item(p, "codeExecutionResult", "code_execution_result")) && cJSON_IsObject(v)) {
        cJSON *o = new_part(c, parts, "server_tool_call_response");
        put_dup(c, o, "server_tool_call_response", v, "code_execution");
    }
}

/* The text of a part and whether it is a thought; NULL when the part carries no text. */
static const char *part_text(const cJSON *p, enum text_kind *kind)
{
    const char *t = lt_json_str(p, "text");
    *kind = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "thought")) ? TK_REASONING : TK_TEXT;
    return t;
}

/* Content.parts → content parts, each part on its own (request side). */
static void parts_of(struct lt_genai_ctx *c, cJSON *parts, const cJSON *content)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, lt_json_arr(content, "parts"))
    {
        enum text_kind kind;
        const char *t = part_text(p, &kind);
        if (t)
            lt_genai_part_text(c, parts, kind == TK_REASONING ? "reasoning" : "text", t, strlen(t));
        else
            other_part(c, parts, p);
    }
}

/* ---- request ---- */

/* Content roles are "user" and "model" (and "function" in older clients); the conventions'
 * roles are user, assistant, tool. A content without a role is the user's. */
static const char *role_of(const cJSON *content)
{
    const char *r = lt_json_str(content, "role");
    if (!r || !*r)
        return "user";
    if (strcmp(r, "model") == 0)
        return "assistant";
    if (strcmp(r, "function") == 0)
        return "tool";
    return r;
}

static void input_messages(struct lt_genai_ctx *c, const cJSON *req)
{
    const cJSON *contents = lt_json_arr(req, "contents");
    if (!contents)
        return;
    cJSON *out = lt_genai_array(c);
    const cJSON *m;
    cJSON_ArrayForEach(m, contents)
    {
        if (!cJSON_IsObject(m))
            continue;
        parts_of(c, lt_genai_message(c, out, role_of(m), NULL), m);
    }
    lt_genai_json_attr(c, "gen_ai.input.messages", out);
}

static void system_instructions(struct lt_genai_ctx *c, const cJSON *req)
{
    const cJSON *sys = item(req, "systemInstruction", "system_instruction");
    if (!cJSON_IsObject(sys))
        return;
    cJSON *parts = lt_genai_array(c);
    parts_of(c, parts, sys);
    lt_genai_json_attr(c, "gen_ai.system_instructions", parts);
}

/* tools[].functionDeclarations; server tools (googleSearch, codeExecution, …) are not
 * function definitions. */
static void tool_definitions(struct lt_genai_ctx *c, const cJSON *req)
{
    const cJSON *tools = lt_json_arr(req, "tools");
    if (!tools)
        return;
    cJSON *defs = lt_genai_array(c);
    const cJSON *t;
    cJSON_ArrayForEach(t, tools)
    {
        const cJSON *f;
        cJSON_ArrayForEach(f, lt_json_arr(t, k(t, "functionDeclarations", "function_declarations")))
        {
            if (!lt_json_str(f, "name")) /* a declaration without a name declares nothing */
                continue;
            const cJSON *params = cJSON_GetObjectItemCaseSensitive(f, "parameters");
            if (!params)
                params = item(f, "parametersJsonSchema", "parameters_json_schema");
            lt_genai_tool_def(c, defs, lt_json_str(f, "name"), lt_json_str(f, "description"),
                              params);
        }
    }
    if (cJSON_GetArraySize(defs) == 0) {
        cJSON_Delete(defs);
        return;
    }
    lt_genai_json_attr(c, "gen_ai.tool.definitions", defs);
}

static void generation_config(struct lt_genai_ctx *c, const cJSON *g)
{
    static const char *const doubles[][3] = {
        {"temperature", "temperature", "gen_ai.request.temperature"},
        {"topP", "top_p", "gen_ai.request.top_p"},
        {"topK", "top_k", "gen_ai.request.top_k"},
        {"presencePenalty", "presence_penalty", "gen_ai.request.presence_penalty"},
        {"frequencyPenalty", "frequency_penalty", "gen_ai.request.frequency_penalty"},
    };
    for (size_t i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++) {
        double d;
        if (lt_json_num(g, k(g, doubles[i][0], doubles[i][1]), &d))
            lt_genai_double(c, doubles[i][2], d);
    }
    int64_t v;
    if (lt_json_int(g, k(g, "maxOutputTokens", "max_output_tokens"), &v))
        lt_genai_int(c, "gen_ai.request.max_tokens", v);
    if (lt_json_int(g, "seed", &v))
        lt_genai_int(c, "gen_ai.request.seed", v);
    if (lt_json_int(g, k(g, "candidateCount", "candidate_count"), &v) && v != 1)
        lt_genai_int(c, "gen_ai.request.choice.count", v);
    lt_genai_stop_sequences(c, lt_json_arr(g, k(g, "stopSequences", "stop_sequences")));
    const char *mime = lt_json_str(g, k(g, "responseMimeType", "response_mime_type"));
    if (streq(mime, "application/json"))
        lt_genai_str(c, "gen_ai.output.type", "json");
    else if (streq(mime, "text/plain"))
        lt_genai_str(c, "gen_ai.output.type", "text");
}

static void request(void *st, struct lt_genai_ctx *c, const cJSON *req)
{
    (void)st;
    const cJSON *g = item(req, "generationConfig", "generation_config");
    if (cJSON_IsObject(g))
        generation_config(c, g);
    if (c->capture) {
        system_instructions(c, req);
        input_messages(c, req);
        tool_definitions(c, req);
    }
}

/* ---- response chunks ---- */

/* The candidate with `index`, created in index order; NULL past MAX_CANDIDATES or ENOMEM. */
static struct gcand *cand_at(struct lt_genai_ctx *c, struct gstate *s, int64_t index)
{
    return lt_genai_slot(c, &s->cands, &s->n_cands, sizeof(*s->cands),
                         offsetof(struct gcand, index), index, MAX_CANDIDATES);
}

/* Move the pending text into the candidate's parts. */
static void flush(struct lt_genai_ctx *c, struct gcand *g)
{
    if (g->kind != TK_NONE && g->parts)
        lt_genai_part_text(c, g->parts, g->kind == TK_REASONING ? "reasoning" : "text",
                           g->pending.data, g->pending.len);
    g->kind = TK_NONE;
    lt_buf_reset(&g->pending);
}

/* The parts of one chunk of candidate `g`. A stream splits a text (or a thought) over chunks:
 * the first part of a chunk continues the previous chunk's last part when both are text of
 * the same kind; parts within one chunk stay separate. Empty texts (a chunk carrying only a
 * thoughtSignature) add nothing. */
static void candidate_parts(struct lt_genai_ctx *c, struct gcand *g, const cJSON *content)
{
    if (!g->parts) {
        g->parts = lt_genai_array(c);
        if (!g->parts)
            return;
    }
    bool first = true;
    const cJSON *p;
    cJSON_ArrayForEach(p, lt_json_arr(content, "parts"))
    {
        if (!cJSON_IsObject(p))
            continue;
        enum text_kind kind;
        const char *t = part_text(p, &kind);
        if (t && !*t)
            continue;
        if (t) {
            if (!first || g->kind != kind)
                flush(c, g);
            g->kind = kind;
            lt_genai_acc(c, &g->pending, t, strlen(t));
        } else {
            flush(c, g);
            other_part(c, g->parts, p);
        }
        first = false;
    }
}

static void set_finish(struct lt_genai_ctx *c, struct gcand *g, const char *r)
{
    if (!r || !*r)
        return;
    char *d = strdup(r);
    if (!d) {
        lt_genai_oom(c);
        return;
    }
    free(g->finish);
    g->finish = d;
}

static void take_usage(struct gstate *s, const cJSON *u)
{
    if (lt_json_int(u, "promptTokenCount", &s->prompt))
        s->have_prompt = true;
    if (lt_json_int(u, "candidatesTokenCount", &s->cand))
        s->have_cand = true;
    if (lt_json_int(u, "thoughtsTokenCount", &s->thoughts))
        s->have_thoughts = true;
    if (lt_json_int(u, "cachedContentTokenCount", &s->cached))
        s->have_cached = true;
    if (lt_json_int(u, "toolUsePromptTokenCount", &s->tool))
        s->have_tool = true;
}

/* {"error":{"code":500,"message":"…","status":"INTERNAL"}}: the gRPC status name is the
 * provider's error type (SPEC.md "Status"), the numeric code the fallback. */
static bool chunk_error(struct lt_genai_ctx *c, const cJSON *j)
{
    const cJSON *err = lt_json_obj(j, "error");
    if (!err)
        return false;
    if (!c->error) {
        char buf[32];
        const char *type = lt_json_str(err, "status");
        if (!type || !*type)
            type = lt_json_error_type(err, buf, sizeof(buf));
        lt_genai_fail(c, type, lt_json_str(err, "message"));
    }
    return true;
}

/* promptFeedback.blockReason: the prompt was refused and nothing was generated, which the
 * span reports as a failure whose error.type is the block reason ("SAFETY", "OTHER",
 * "BLOCKLIST", "PROHIBITED_CONTENT", …). */
static void prompt_blocked(struct lt_genai_ctx *c, const cJSON *j)
{
    const cJSON *fb = lt_json_obj(j, "promptFeedback");
    const char *reason = lt_json_str(fb, "blockReason");
    if (!reason || !*reason || streq(reason, "BLOCK_REASON_UNSPECIFIED") || c->error)
        return;
    const char *detail = lt_json_str(fb, "blockReasonMessage"); /* Vertex AI */
    if (!detail)
        detail = "";
    size_t n = strlen(reason) + strlen(detail) + sizeof("prompt blocked: : ");
    char *msg = malloc(n);
    if (!msg) {
        lt_genai_oom(c);
        lt_genai_fail(c, reason, NULL);
        return;
    }
    snprintf(msg, n, "prompt blocked: %s%s%s", reason, *detail ? ": " : "", detail);
    lt_genai_fail(c, reason, msg);
    free(msg);
}

/* One GenerateContentResponse: the whole response, or one chunk of a stream. */
static void chunk(struct gstate *s, struct lt_genai_ctx *c, const cJSON *j)
{
    if (chunk_error(c, j))
        return;
    const char *id = lt_json_str(j, "responseId");
    if (id && *id && !s->have_id) {
        lt_genai_str(c, "gen_ai.response.id", id);
        s->have_id = true;
    }
    const char *model = lt_json_str(j, "modelVersion");
    if (model && *model && !s->have_model) {
        lt_genai_str(c, "gen_ai.response.model", model);
        s->have_model = true;
    }
    take_usage(s, lt_json_obj(j, "usageMetadata"));
    prompt_blocked(c, j);
    int pos = 0;
    const cJSON *cj;
    cJSON_ArrayForEach(cj, lt_json_arr(j, "candidates"))
    {
        int64_t index = pos++;
        if (!cJSON_IsObject(cj))
            continue;
        /* "index" is absent when there is one candidate; a malformed one names none. */
        if (cJSON_GetObjectItemCaseSensitive(cj, "index") && !lt_json_int(cj, "index", &index))
            continue;
        struct gcand *g = cand_at(c, s, index);
        if (!g)
            continue;
        set_finish(c, g, lt_json_str(cj, "finishReason"));
        if (c->capture)
            candidate_parts(c, g, lt_json_obj(cj, "content"));
    }
}

static void response(void *st, struct lt_genai_ctx *c, const cJSON *resp)
{
    if (cJSON_IsArray(resp)) { /* a streamed array read whole */
        const cJSON *e;
        cJSON_ArrayForEach(e, resp)
        {
            if (cJSON_IsObject(e))
                chunk(st, c, e);
        }
        return;
    }
    chunk(st, c, resp);
}

/* SSE events ("message") and JSON-sequence values ("json") both carry one chunk. */
static void stream_event(void *st, struct lt_genai_ctx *c, const char *type, size_t type_len,
                         const char *data, size_t data_len, const cJSON *j)
{
    (void)type, (void)type_len, (void)data, (void)data_len;
    if (cJSON_IsObject(j))
        chunk(st, c, j);
}

/* Usage (SPEC.md "Usage"; semantic-conventions-genai model/gen-ai/registry.yaml):
 * promptTokenCount already includes cachedContentTokenCount, and input_tokens SHOULD include
 * every kind of input, so the tool-use prompt (toolUsePromptTokenCount, e.g. search results
 * fed back to the model) is added. candidatesTokenCount excludes thoughtsTokenCount
 * (totalTokenCount = prompt + toolUsePrompt + candidates + thoughts), while
 * reasoning.output_tokens SHOULD be included in output_tokens: output = candidates + thoughts. */
static void emit_usage(struct gstate *s, struct lt_genai_ctx *c)
{
    if (s->have_prompt || s->have_tool)
        lt_genai_int(c, "gen_ai.usage.input_tokens",
                     (s->have_prompt ? s->prompt : 0) + (s->have_tool ? s->tool : 0));
    if (s->have_cand || s->have_thoughts)
        lt_genai_int(c, "gen_ai.usage.output_tokens",
                     (s->have_cand ? s->cand : 0) + (s->have_thoughts ? s->thoughts : 0));
    if (s->have_cached)
        lt_genai_int(c, "gen_ai.usage.cache_read.input_tokens", s->cached);
    if (s->have_thoughts)
        lt_genai_int(c, "gen_ai.usage.reasoning.output_tokens", s->thoughts);
}

static void finish(void *st, struct lt_genai_ctx *c)
{
    struct gstate *s = st;
    const char *fr[MAX_CANDIDATES];
    size_t nfr = 0;
    for (size_t i = 0; i < s->n_cands; i++)
        if (s->cands[i].finish)
            fr[nfr++] = s->cands[i].finish;
    if (nfr)
        lt_genai_str_array(c, "gen_ai.response.finish_reasons", fr, nfr);
    if (c->capture && s->n_cands) {
        cJSON *out = lt_genai_array(c);
        for (size_t i = 0; i < s->n_cands && out; i++) {
            struct gcand *g = &s->cands[i];
            cJSON *parts = lt_genai_message(c, out, "assistant", g->finish);
            flush(c, g);
            /* Move the assembled parts into the message. */
            while (parts && g->parts && g->parts->child) {
                cJSON *p = cJSON_DetachItemViaPointer(g->parts, g->parts->child);
                cJSON_AddItemToArray(parts, p);
            }
        }
        lt_genai_json_attr(c, "gen_ai.output.messages", out);
    }
    emit_usage(s, c);
}

static void cleanup(void *st)
{
    struct gstate *s = st;
    for (size_t i = 0; i < s->n_cands; i++) {
        free(s->cands[i].finish);
        cJSON_Delete(s->cands[i].parts);
        lt_buf_cleanup(&s->cands[i].pending);
    }
    free(s->cands);
}

const struct lt_genai_adapter lt_genai_gemini = {
    .api = LT_API_GEMINI,
    .operation = "generate_content",
    .state_size = sizeof(struct gstate),
    .begin = begin,
    .request = request,
    .response = response,
    .stream_event = stream_event,
    .finish = finish,
    .cleanup = cleanup,
};
