/* bedrock_converse.c — the AWS Bedrock Converse adapter (POST /model/{modelId}/converse and
 * /converse-stream; Bedrock API reference "Converse", "ConverseStream",
 * "ConverseStreamOutput"): model from the path, inferenceConfig, the response message or
 * its event stream (messageStart, contentBlock*, messageStop, metadata, exceptions), usage,
 * and opt-in content (SPEC.md "Content"). Amazon Nova's InvokeModel body has the same shape,
 * so bedrock_invoke.c drives these callbacks for Nova as well. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "bedrock.h"

#define MAX_BLOCKS 256 /* streamed content blocks tracked; more are ignored */

enum block_kind { BLOCK_NONE, BLOCK_TEXT, BLOCK_TOOL, BLOCK_REASONING };

/* One streamed content block (kept only when capturing content). */
struct cblock {
    int index;
    enum block_kind kind;
    char *id;
    char *name;
    struct lt_buf text; /* text, reasoning text, or the tool input's JSON fragments */
};

/* Per-exchange state: usage, stop reason, role and the streamed blocks by index. */
struct cstate {
    bool have_in, have_out, have_cr, have_cw;
    int64_t in, out, cr, cw;
    bool streamed; /* stream events were seen: finish() emits the assembled results */
    char *stop_reason;
    char *role;
    struct cblock *blocks;
    size_t n_blocks;
};

static void begin(void *st, struct lt_genai_ctx *c)
{
    lt_bedrock_begin(c, NULL, 0);
}

/* ---- content blocks (request messages and non-stream responses) ---- */

/* image / video / audio {format, source:{bytes (base64 on the wire) | s3Location{uri}}}. */
static void media_part(struct lt_genai_ctx *c, cJSON *parts, const char *modality, const cJSON *m)
{
    const char *fmt = lt_json_str(m, "format");
    const cJSON *src = lt_json_obj(m, "source");
    const char *bytes = lt_json_str(src, "bytes");
    char mime[64];
    const char *mt = NULL;
    if (fmt && strlen(fmt) < 32) {
        snprintf(mime, sizeof(mime), "%s/%s", modality, fmt);
        mt = mime;
    }
    if (bytes) {
        lt_genai_part_blob(c, parts, modality, mt, bytes);
        return;
    }
    const char *uri = lt_json_str(lt_json_obj(src, "s3Location"), "uri");
    if (uri)
        lt_genai_part_uri(c, parts, modality, uri);
}

/* toolResult {toolUseId, content:[{text}|{json}|{image}…]}: text blocks joined into one
 * string, a lone json block as its value, anything else kept as the array. */
static void tool_result_part(struct lt_genai_ctx *c, cJSON *parts, const cJSON *tr)
{
    const char *id = lt_json_str(tr, "toolUseId");
    const cJSON *content = lt_json_arr(tr, "content");
    const cJSON *b;
    bool all_text = content && cJSON_GetArraySize(content) > 0;
    cJSON_ArrayForEach(b, content)
    {
        if (!lt_json_str(b, "text")) {
            all_text = false;
            break;
        }
    }
    if (all_text) {
        struct lt_buf joined = {0};
        cJSON_ArrayForEach(b, content)
        {
            const char *t = lt_json_str(b, "text");
            if (lt_buf_append(&joined, t, strlen(t)) < 0)
                lt_genai_oom(c);
        }
        cJSON *s = cJSON_CreateString(joined.data ? joined.data : "");
        lt_buf_cleanup(&joined);
        if (!s) {
            lt_genai_oom(c);
            return;
        }
        lt_genai_part_tool_response(c, parts, id, s);
        cJSON_Delete(s);
        return;
    }
    const cJSON *one = cJSON_GetArraySize(content) == 1 ? cJSON_GetArrayItem(content, 0) : NULL;
    const cJSON *json = one ? cJSON_GetObjectItemCaseSensitive(one, "json") : NULL;
    lt_genai_part_tool_response(c, parts, id, json ? json : content);
}

/* Converse content blocks → parts: text, image/video/audio, toolUse, toolResult,
 * reasoningContent. Documents, cache points and guard content carry no part. */
static void block_parts(struct lt_genai_ctx *c, cJSON *parts, const cJSON *content)
{
    static const char *const media[] = {"image", "video", "audio"};
    const cJSON *b;
    const cJSON *arr = cJSON_IsArray(content) ? content : NULL;
    cJSON_ArrayForEach(b, arr)
    {
        const char *t = lt_json_str(b, "text");
        if (t) {
            lt_genai_part_text(c, parts, "text", t, strlen(t));
            continue;
        }
        const cJSON *o;
        if ((o = lt_json_obj(b, "toolUse"))) {
            lt_genai_part_tool_call_json(c, parts, lt_json_str(o, "toolUseId"),
                                         lt_json_str(o, "name"),
                                         cJSON_GetObjectItemCaseSensitive(o, "input"));
            continue;
        }
        if ((o = lt_json_obj(b, "toolResult"))) {
            tool_result_part(c, parts, o);
            continue;
        }
        if ((o = lt_json_obj(b, "reasoningContent"))) {
            const char *r = lt_json_str(lt_json_obj(o, "reasoningText"), "text");
            if (r)
                lt_genai_part_text(c, parts, "reasoning", r, strlen(r));
            continue;
        }
        for (size_t i = 0; i < sizeof(media) / sizeof(media[0]); i++) {
            if ((o = lt_json_obj(b, media[i]))) {
                media_part(c, parts, media[i], o);
                break;
            }
        }
    }
}

/* ---- request ---- */

static void system_instructions(struct lt_genai_ctx *c, const cJSON *req)
{
    const cJSON *sys = lt_json_arr(req, "system");
    if (!sys)
        return;
    cJSON *parts = lt_genai_array(c);
    const cJSON *b;
    cJSON_ArrayForEach(b, sys)
    {
        const char *t = lt_json_str(b, "text");
        if (t)
            lt_genai_part_text(c, parts, "text", t, strlen(t));
    }
    if (cJSON_GetArraySize(parts) == 0) {
        cJSON_Delete(parts);
        return;
    }
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
    const cJSON *tools = lt_json_arr(lt_json_obj(req, "toolConfig"), "tools");
    if (!tools)
        return;
    cJSON *defs = lt_genai_array(c);
    const cJSON *t;
    cJSON_ArrayForEach(t, tools)
    {
        const cJSON *spec = lt_json_obj(t, "toolSpec"); /* cachePoint entries have none */
        if (!spec)
            continue;
        lt_genai_tool_def(
            c, defs, lt_json_str(spec, "name"), lt_json_str(spec, "description"),
            cJSON_GetObjectItemCaseSensitive(lt_json_obj(spec, "inputSchema"), "json"));
    }
    if (cJSON_GetArraySize(defs) == 0) {
        cJSON_Delete(defs);
        return;
    }
    lt_genai_json_attr(c, "gen_ai.tool.definitions", defs);
}

/* inferenceConfig {maxTokens, temperature, topP, stopSequences}; Nova's InvokeModel body
 * also allows topK there (and older snake_case names); Converse passes top_k through
 * additionalModelRequestFields. */
static void request(void *st, struct lt_genai_ctx *c, const cJSON *req)
{
    const cJSON *ic = lt_json_obj(req, "inferenceConfig");
    const cJSON *extra = lt_json_obj(req, "additionalModelRequestFields");
    int64_t v;
    if (lt_json_int(ic, "maxTokens", &v) || lt_json_int(ic, "max_new_tokens", &v))
        lt_genai_int(c, "gen_ai.request.max_tokens", v);
    double d;
    if (lt_json_num(ic, "temperature", &d))
        lt_genai_double(c, "gen_ai.request.temperature", d);
    if (lt_json_num(ic, "topP", &d) || lt_json_num(ic, "top_p", &d))
        lt_genai_double(c, "gen_ai.request.top_p", d);
    if (lt_json_num(ic, "topK", &d) || lt_json_num(ic, "top_k", &d) ||
        lt_json_num(extra, "top_k", &d) || lt_json_num(extra, "topK", &d))
        lt_genai_double(c, "gen_ai.request.top_k", d);
    lt_genai_stop_sequences(c, lt_json_arr(ic, "stopSequences"));
    if (c->capture) {
        system_instructions(c, req);
        input_messages(c, req);
        tool_definitions(c, req);
    }
}

/* ---- response ---- */

/* TokenUsage; Nova's InvokeModel spells the cache counts …InputTokenCount. */
static void take_usage(struct cstate *s, const cJSON *u)
{
    if (lt_json_int(u, "inputTokens", &s->in))
        s->have_in = true;
    if (lt_json_int(u, "outputTokens", &s->out))
        s->have_out = true;
    if (lt_json_int(u, "cacheReadInputTokens", &s->cr) ||
        lt_json_int(u, "cacheReadInputTokenCount", &s->cr))
        s->have_cr = true;
    if (lt_json_int(u, "cacheWriteInputTokens", &s->cw) ||
        lt_json_int(u, "cacheWriteInputTokenCount", &s->cw))
        s->have_cw = true;
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

static void replace(struct lt_genai_ctx *c, char **slot, const char *v)
{
    if (!v)
        return;
    char *d = dup_or_null(c, v);
    if (!d)
        return;
    free(*slot);
    *slot = d;
}

static void response(void *st, struct lt_genai_ctx *c, const cJSON *resp)
{
    struct cstate *s = st;
    const char *stop = lt_json_str(resp, "stopReason");
    if (stop)
        lt_genai_str_array(c, "gen_ai.response.finish_reasons", &stop, 1);
    take_usage(s, lt_json_obj(resp, "usage"));
    /* metrics.latencyMs has no attribute in the conventions. */
    const cJSON *msg = lt_json_obj(lt_json_obj(resp, "output"), "message");
    if (c->capture && msg) {
        cJSON *out = lt_genai_array(c);
        const char *role = lt_json_str(msg, "role");
        cJSON *parts = lt_genai_message(c, out, role ? role : "assistant", stop);
        block_parts(c, parts, cJSON_GetObjectItemCaseSensitive(msg, "content"));
        lt_genai_json_attr(c, "gen_ai.output.messages", out);
    }
}

/* ---- stream ---- */

/* The block with "contentBlockIndex", created in index order; NULL past MAX_BLOCKS. */
static struct cblock *block_at(struct lt_genai_ctx *c, struct cstate *s, const cJSON *ev)
{
    int64_t index;
    if (!lt_json_int(ev, "contentBlockIndex", &index))
        return NULL;
    return lt_genai_slot(c, &s->blocks, &s->n_blocks, sizeof(*s->blocks),
                         offsetof(struct cblock, index), index, MAX_BLOCKS);
}

/* contentBlockStart {contentBlockIndex, start:{toolUse:{toolUseId, name}}}. */
static void block_start(struct lt_genai_ctx *c, struct cstate *s, const cJSON *ev)
{
    const cJSON *tu = lt_json_obj(lt_json_obj(ev, "start"), "toolUse");
    struct cblock *b = tu ? block_at(c, s, ev) : NULL;
    if (!b)
        return;
    b->kind = BLOCK_TOOL;
    replace(c, &b->id, lt_json_str(tu, "toolUseId"));
    replace(c, &b->name, lt_json_str(tu, "name"));
}

/* contentBlockDelta {contentBlockIndex, delta:{text | toolUse:{input} |
 * reasoningContent:{text}}}; a block's first delta fixes its kind. */
static void block_delta(struct lt_genai_ctx *c, struct cstate *s, const cJSON *ev)
{
    const cJSON *d = lt_json_obj(ev, "delta");
    if (!d)
        return;
    enum block_kind kind = BLOCK_NONE;
    const char *frag = lt_json_str(d, "text");
    if (frag) {
        kind = BLOCK_TEXT;
    } else if ((frag = lt_json_str(lt_json_obj(d, "toolUse"), "input"))) {
        kind = BLOCK_TOOL;
    } else if ((frag = lt_json_str(lt_json_obj(d, "reasoningContent"), "text"))) {
        kind = BLOCK_REASONING;
    }
    /* reasoningContent.signature / redactedContent carry nothing the conventions record. */
    if (kind == BLOCK_NONE)
        return;
    struct cblock *b = block_at(c, s, ev);
    if (!b)
        return;
    if (b->kind == BLOCK_NONE)
        b->kind = kind;
    if (b->kind == kind)
        lt_genai_acc(c, &b->text, frag, strlen(frag));
}

static void stream_event(void *st, struct lt_genai_ctx *c, const char *type, size_t type_len,
                         const char *data, size_t data_len, const cJSON *j)
{
    struct cstate *s = st;
    if (lt_bedrock_exception(c, type, type_len, j))
        return;
    if (!cJSON_IsObject(j))
        return;
    char ev[32];
    size_t n = type_len < sizeof(ev) - 1 ? type_len : sizeof(ev) - 1;
    memcpy(ev, type, n);
    ev[n] = '\0';
    s->streamed = true;
    if (strcmp(ev, "messageStart") == 0) {
        replace(c, &s->role, lt_json_str(j, "role"));
    } else if (strcmp(ev, "contentBlockStart") == 0) {
        if (c->capture)
            block_start(c, s, j);
    } else if (strcmp(ev, "contentBlockDelta") == 0) {
        if (c->capture)
            block_delta(c, s, j);
    } else if (strcmp(ev, "messageStop") == 0) {
        replace(c, &s->stop_reason, lt_json_str(j, "stopReason"));
    } else if (strcmp(ev, "metadata") == 0) {
        take_usage(s, lt_json_obj(j, "usage"));
    }
    /* contentBlockStop: nothing to record. */
}

static void finish(void *st, struct lt_genai_ctx *c)
{
    struct cstate *s = st;
    if (s->streamed) {
        if (s->stop_reason) {
            const char *fr = s->stop_reason;
            lt_genai_str_array(c, "gen_ai.response.finish_reasons", &fr, 1);
        }
        if (c->capture && (s->n_blocks || s->stop_reason)) {
            cJSON *out = lt_genai_array(c);
            cJSON *parts =
                lt_genai_message(c, out, s->role ? s->role : "assistant", s->stop_reason);
            for (size_t i = 0; i < s->n_blocks; i++) {
                struct cblock *b = &s->blocks[i];
                if (b->kind == BLOCK_TEXT)
                    lt_genai_part_text(c, parts, "text", b->text.data, b->text.len);
                else if (b->kind == BLOCK_REASONING)
                    lt_genai_part_text(c, parts, "reasoning", b->text.data, b->text.len);
                else if (b->kind == BLOCK_TOOL)
                    lt_genai_part_tool_call(c, parts, b->id, b->name, b->text.data, b->text.len);
            }
            lt_genai_json_attr(c, "gen_ai.output.messages", out);
        }
    }
    /* With prompt caching, Bedrock's inputTokens counts only the uncached input; the cache
     * reads and writes are reported beside it ("total input tokens = inputTokens +
     * cacheReadInputTokens + cacheWriteInputTokens", Bedrock user guide, "Prompt caching").
     * The convention's input count includes cached input (SPEC.md "Usage"). */
    if (s->have_in)
        lt_genai_int(c, "gen_ai.usage.input_tokens",
                     s->in + (s->have_cr ? s->cr : 0) + (s->have_cw ? s->cw : 0));
    if (s->have_out)
        lt_genai_int(c, "gen_ai.usage.output_tokens", s->out);
    if (s->have_cr)
        lt_genai_int(c, "gen_ai.usage.cache_read.input_tokens", s->cr);
    if (s->have_cw) {
        lt_genai_int(c, "gen_ai.usage.cache_creation.input_tokens", s->cw);
        lt_genai_int(c, "gen_ai.usage.cache_write.input_tokens", s->cw);
    }
}

static void cleanup(void *st)
{
    struct cstate *s = st;
    for (size_t i = 0; i < s->n_blocks; i++) {
        free(s->blocks[i].id);
        free(s->blocks[i].name);
        lt_buf_cleanup(&s->blocks[i].text);
    }
    free(s->blocks);
    free(s->stop_reason);
    free(s->role);
}

const struct lt_genai_adapter lt_genai_bedrock_converse = {
    .api = LT_API_BEDROCK_CONVERSE,
    .operation = "chat",
    .state_size = sizeof(struct cstate),
    .begin = begin,
    .request = request,
    .response = response,
    .stream_event = stream_event,
    .finish = finish,
    .cleanup = cleanup,
};
