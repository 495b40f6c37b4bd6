/* bedrock_invoke.c — the AWS Bedrock InvokeModel adapter (POST /model/{modelId}/invoke and
 * /invoke-with-response-stream; Bedrock API reference "InvokeModel",
 * "InvokeModelWithResponseStream", user guide "Inference request parameters and response
 * fields for foundation models"). The body is the model family's native format, chosen by
 * the model id (region prefix and ARN stripped), else sniffed from the request body:
 *   anthropic.*        Anthropic Messages → the Anthropic adapter's callbacks (anthropic.c)
 *   amazon.nova-*      Converse-shaped   → the Converse adapter's callbacks (bedrock_converse.c)
 *   amazon.titan-text-*, meta.llama*, mistral.*, cohere.command-r*: handled here.
 * Streams carry events "chunk" with {"bytes":"<base64 of the family's stream chunk>"}; the
 * last chunk's "amazon-bedrock-invocationMetrics" gives usage when the family sent none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "base64.h"
#include "bedrock.h"

#define MODEL_MAX 256  /* model id bytes kept for the family decision */
#define MAX_CHOICES 16 /* outputs / results recorded */

enum family {
    FAM_UNKNOWN = 0,
    FAM_ANTHROPIC, /* Anthropic Messages, "anthropic_version":"bedrock-2023-05-31" */
    FAM_NOVA,      /* Amazon Nova: messages/inferenceConfig → output.message */
    FAM_TITAN,     /* Amazon Titan Text: inputText → results[] */
    FAM_LLAMA,     /* Meta Llama: prompt → generation */
    FAM_MISTRAL,   /* Mistral: prompt → outputs[], or messages → choices[] */
    FAM_COHERE,    /* Cohere Command R: message → text */
};

/* Per-exchange state. `sub` is the delegate adapter's state (Anthropic or Converse). */
struct istate {
    enum family fam;
    const struct lt_genai_adapter *sub_a;
    void *sub;
    bool have_in, have_out; /* the family's own usage */
    int64_t in, out;
    bool m_in, m_out; /* amazon-bedrock-invocationMetrics */
    int64_t min, mout;
    bool streamed;
    char *stop;         /* streamed finish reason (latest) */
    struct lt_buf text; /* streamed output text (capture only) */
};

static bool streq(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Providers that start a foundation model id; any other first segment ("us.", "eu.",
 * "apac.", "global.", …) is an inference profile's geography and is skipped. */
static const char *const providers[] = {"anthropic", "amazon",     "meta",   "mistral", "cohere",
                                        "ai21",      "deepseek",   "openai", "qwen",    "writer",
                                        "stability", "twelvelabs", "luma"};

static enum family family_of(const char *model)
{
    const char *id = model;
    if (starts(id, "arn:")) { /* …:foundation-model/<id>, …:inference-profile/<id> */
        const char *sl = strrchr(id, '/');
        if (!sl)
            return FAM_UNKNOWN;
        id = sl + 1;
    }
    const char *dot = strchr(id, '.');
    if (dot) {
        bool known = false;
        for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++) {
            size_t n = strlen(providers[i]);
            if ((size_t)(dot - id) == n && memcmp(id, providers[i], n) == 0)
                known = true;
        }
        if (!known)
            id = dot + 1;
    }
    if (starts(id, "anthropic."))
        return FAM_ANTHROPIC;
    if (starts(id, "amazon.nova"))
        return FAM_NOVA;
    if (starts(id, "amazon.titan-text") || starts(id, "amazon.titan-tg1"))
        return FAM_TITAN;
    if (starts(id, "meta.llama"))
        return FAM_LLAMA;
    if (starts(id, "mistral."))
        return FAM_MISTRAL;
    if (starts(id, "cohere.command-r"))
        return FAM_COHERE;
    return FAM_UNKNOWN;
}

/* Custom models, provisioned throughput and application inference profiles hide the family
 * behind an opaque ARN: recognise the request body instead. */
static enum family family_of_body(const cJSON *req)
{
    if (cJSON_GetObjectItemCaseSensitive(req, "anthropic_version"))
        return FAM_ANTHROPIC;
    if (cJSON_GetObjectItemCaseSensitive(req, "inputText"))
        return FAM_TITAN;
    if (cJSON_GetObjectItemCaseSensitive(req, "max_gen_len"))
        return FAM_LLAMA;
    if (cJSON_GetObjectItemCaseSensitive(req, "schemaVersion") ||
        (lt_json_arr(req, "messages") && lt_json_obj(req, "inferenceConfig")))
        return FAM_NOVA;
    if (lt_json_str(req, "message"))
        return FAM_COHERE;
    return FAM_UNKNOWN;
}

/* Fix the family; the message-based ones are "chat", prompt-based "text_completion"
 * (Mistral's is decided by its body). Anthropic and Nova get their delegate's state. */
static void set_family(struct istate *s, struct lt_genai_ctx *c, enum family f)
{
    s->fam = f;
    if (f == FAM_TITAN || f == FAM_LLAMA || f == FAM_MISTRAL)
        c->op = "text_completion";
    else if (f != FAM_UNKNOWN)
        c->op = "chat";
    const struct lt_genai_adapter *a = f == FAM_ANTHROPIC ? &lt_genai_anthropic_messages
                                       : f == FAM_NOVA    ? &lt_genai_bedrock_converse
                                                          : NULL;
    if (!a)
        return;
    s->sub = calloc(1, a->state_size ? a->state_size : 1);
    if (!s->sub) {
        lt_genai_oom(c);
        return;
    }
    s->sub_a = a;
}

static void begin(void *st, struct lt_genai_ctx *c)
{
    struct istate *s = st;
    char model[MODEL_MAX];
    lt_bedrock_begin(c, model, sizeof(model));
    set_family(s, c, family_of(model));
}

/* ---- request ---- */

static void req_double(struct lt_genai_ctx *c, const cJSON *o, const char *key, const char *attr)
{
    double d;
    if (lt_json_num(o, key, &d))
        lt_genai_double(c, attr, d);
}

static void req_int(struct lt_genai_ctx *c, const cJSON *o, const char *key, const char *attr)
{
    int64_t v;
    if (lt_json_int(o, key, &v))
        lt_genai_int(c, attr, v);
}

static void req_stops(struct lt_genai_ctx *c, const cJSON *o, const char *key)
{
    lt_genai_stop_sequences(c, lt_json_arr(o, key));
}

/* A prompt as the one user message (gen_ai.input.messages). */
static void prompt_input(struct lt_genai_ctx *c, const char *prompt)
{
    if (!c->capture || !prompt)
        return;
    cJSON *out = lt_genai_array(c);
    cJSON *parts = lt_genai_message(c, out, "user", NULL);
    lt_genai_part_text(c, parts, "text", prompt, strlen(prompt));
    lt_genai_json_attr(c, "gen_ai.input.messages", out);
}

/* Mistral chat: messages [{role, content: string}] (OpenAI-shaped). */
static void mistral_messages(struct lt_genai_ctx *c, const cJSON *msgs)
{
    cJSON *out = lt_genai_array(c);
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs)
    {
        const char *content = lt_json_str(m, "content");
        cJSON *parts = lt_genai_message(c, out, lt_json_str(m, "role"), NULL);
        if (content)
            lt_genai_part_text(c, parts, "text", content, strlen(content));
    }
    lt_genai_json_attr(c, "gen_ai.input.messages", out);
}

/* Cohere Command R: preamble (system), chat_history [{role: USER|CHATBOT|SYSTEM, message}]
 * and the new message. */
static void cohere_input(struct lt_genai_ctx *c, const cJSON *req)
{
    const char *pre = lt_json_str(req, "preamble");
    if (pre) {
        cJSON *sys = lt_genai_array(c);
        lt_genai_part_text(c, sys, "text", pre, strlen(pre));
        lt_genai_json_attr(c, "gen_ai.system_instructions", sys);
    }
    cJSON *out = lt_genai_array(c);
    const cJSON *m;
    cJSON_ArrayForEach(m, lt_json_arr(req, "chat_history"))
    {
        const char *role = lt_json_str(m, "role");
        const char *msg = lt_json_str(m, "message");
        role = streq(role, "USER")      ? "user"
               : streq(role, "CHATBOT") ? "assistant"
               : streq(role, "SYSTEM")  ? "system"
                                        : role;
        cJSON *parts = lt_genai_message(c, out, role, NULL);
        if (msg)
            lt_genai_part_text(c, parts, "text", msg, strlen(msg));
    }
    const char *msg = lt_json_str(req, "message");
    if (msg) {
        cJSON *parts = lt_genai_message(c, out, "user", NULL);
        lt_genai_part_text(c, parts, "text", msg, strlen(msg));
    }
    lt_genai_json_attr(c, "gen_ai.input.messages", out);
}

static void request(void *st, struct lt_genai_ctx *c, const cJSON *req)
{
    struct istate *s = st;
    if (s->fam == FAM_UNKNOWN)
        set_family(s, c, family_of_body(req));
    if (s->sub_a) {
        if (s->sub_a->request)
            s->sub_a->request(s->sub, c, req);
        return;
    }
    switch (s->fam) {
    case FAM_TITAN: {
        const cJSON *g = lt_json_obj(req, "textGenerationConfig");
        req_int(c, g, "maxTokenCount", "gen_ai.request.max_tokens");
        req_double(c, g, "temperature", "gen_ai.request.temperature");
        req_double(c, g, "topP", "gen_ai.request.top_p");
        req_stops(c, g, "stopSequences");
        prompt_input(c, lt_json_str(req, "inputText"));
        break;
    }
    case FAM_LLAMA:
        req_int(c, req, "max_gen_len", "gen_ai.request.max_tokens");
        req_double(c, req, "temperature", "gen_ai.request.temperature");
        req_double(c, req, "top_p", "gen_ai.request.top_p");
        prompt_input(c, lt_json_str(req, "prompt"));
        break;
    case FAM_MISTRAL: {
        const cJSON *msgs = lt_json_arr(req, "messages");
        c->op = msgs ? "chat" : "text_completion";
        req_int(c, req, "max_tokens", "gen_ai.request.max_tokens");
        req_double(c, req, "temperature", "gen_ai.request.temperature");
        req_double(c, req, "top_p", "gen_ai.request.top_p");
        req_double(c, req, "top_k", "gen_ai.request.top_k");
        req_stops(c, req, "stop");
        if (msgs && c->capture)
            mistral_messages(c, msgs);
        else
            prompt_input(c, lt_json_str(req, "prompt"));
        break;
    }
    case FAM_COHERE:
        req_int(c, req, "max_tokens", "gen_ai.request.max_tokens");
        req_double(c, req, "temperature", "gen_ai.request.temperature");
        req_double(c, req, "p", "gen_ai.request.top_p");
        req_double(c, req, "k", "gen_ai.request.top_k");
        req_double(c, req, "frequency_penalty", "gen_ai.request.frequency_penalty");
        req_double(c, req, "presence_penalty", "gen_ai.request.presence_penalty");
        req_int(c, req, "seed", "gen_ai.request.seed");
        req_stops(c, req, "stop_sequences");
        if (c->capture)
            cohere_input(c, req);
        break;
    default:
        break;
    }
}

/* ---- non-stream response ---- */

/* One choice's output text and finish reason, collected for the span. */
struct choices {
    const char *text[MAX_CHOICES];
    const char *stop[MAX_CHOICES];
    size_t n;
};

static void add_choice(struct choices *ch, const char *text, const char *stop)
{
    if (ch->n < MAX_CHOICES) {
        ch->text[ch->n] = text;
        ch->stop[ch->n] = stop;
        ch->n++;
    }
}

/* finish_reasons (those present) and, when capturing, one assistant message per choice. */
static void emit_choices(struct lt_genai_ctx *c, const struct choices *ch)
{
    const char *fr[MAX_CHOICES];
    size_t n = 0;
    for (size_t i = 0; i < ch->n; i++)
        if (ch->stop[i])
            fr[n++] = ch->stop[i];
    if (n)
        lt_genai_str_array(c, "gen_ai.response.finish_reasons", fr, n);
    if (!c->capture || !ch->n)
        return;
    cJSON *out = lt_genai_array(c);
    for (size_t i = 0; i < ch->n; i++) {
        cJSON *parts = lt_genai_message(c, out, "assistant", ch->stop[i]);
        if (ch->text[i])
            lt_genai_part_text(c, parts, "text", ch->text[i], strlen(ch->text[i]));
    }
    lt_genai_json_attr(c, "gen_ai.output.messages", out);
}

static void response(void *st, struct lt_genai_ctx *c, const cJSON *resp)
{
    struct istate *s = st;
    if (s->sub_a) {
        if (s->sub_a->response)
            s->sub_a->response(s->sub, c, resp);
        return;
    }
    struct choices ch = {0};
    const cJSON *e;
    switch (s->fam) {
    case FAM_TITAN: {
        /* {"inputTextTokenCount":n,"results":[{"tokenCount":m,"outputText":…,
         *  "completionReason":"FINISH"}]} */
        if (lt_json_int(resp, "inputTextTokenCount", &s->in))
            s->have_in = true;
        int64_t sum = 0, v;
        cJSON_ArrayForEach(e, lt_json_arr(resp, "results"))
        {
            if (lt_json_int(e, "tokenCount", &v)) {
                sum += v;
                s->have_out = true;
            }
            add_choice(&ch, lt_json_str(e, "outputText"), lt_json_str(e, "completionReason"));
        }
        s->out = sum;
        break;
    }
    case FAM_LLAMA:
        if (lt_json_int(resp, "prompt_token_count", &s->in))
            s->have_in = true;
        if (lt_json_int(resp, "generation_token_count", &s->out))
            s->have_out = true;
        if (lt_json_str(resp, "generation") || lt_json_str(resp, "stop_reason"))
            add_choice(&ch, lt_json_str(resp, "generation"), lt_json_str(resp, "stop_reason"));
        break;
    case FAM_MISTRAL:
        cJSON_ArrayForEach(e, lt_json_arr(resp, "outputs"))
        {
            add_choice(&ch, lt_json_str(e, "text"), lt_json_str(e, "stop_reason"));
        }
        cJSON_ArrayForEach(e, lt_json_arr(resp, "choices"))
        {
            const char *stop = lt_json_str(e, "stop_reason");
            add_choice(&ch, lt_json_str(lt_json_obj(e, "message"), "content"),
                       stop ? stop : lt_json_str(e, "finish_reason"));
        }
        break;
    case FAM_COHERE:
        lt_genai_str(c, "gen_ai.response.id", lt_json_str(resp, "response_id"));
        if (lt_json_str(resp, "text") || lt_json_str(resp, "finish_reason"))
            add_choice(&ch, lt_json_str(resp, "text"), lt_json_str(resp, "finish_reason"));
        break;
    default:
        break;
    }
    emit_choices(c, &ch);
}

/* ---- stream ---- */

static void set_stop(struct lt_genai_ctx *c, struct istate *s, const char *r)
{
    if (!r)
        return;
    char *d = strdup(r);
    if (!d) {
        lt_genai_oom(c);
        return;
    }
    free(s->stop);
    s->stop = d;
}

static void acc_text(struct lt_genai_ctx *c, struct istate *s, const char *t)
{
    if (c->capture && t && *t)
        lt_genai_acc(c, &s->text, t, strlen(t));
}

/* One decoded chunk of a prompt family: partial output, finish reason, running usage. */
static void family_chunk(struct lt_genai_ctx *c, struct istate *s, const cJSON *j)
{
    switch (s->fam) {
    case FAM_TITAN:
        /* {"outputText":…,"index":0,"totalOutputTextTokenCount":n,"completionReason":…,
         *  "inputTextTokenCount":m} */
        acc_text(c, s, lt_json_str(j, "outputText"));
        set_stop(c, s, lt_json_str(j, "completionReason"));
        if (lt_json_int(j, "inputTextTokenCount", &s->in))
            s->have_in = true;
        if (lt_json_int(j, "totalOutputTextTokenCount", &s->out))
            s->have_out = true;
        break;
    case FAM_LLAMA:
        /* {"generation":…,"prompt_token_count":n|null,"generation_token_count":m,
         *  "stop_reason":null|"stop"|"length"}; the counts are running totals. */
        acc_text(c, s, lt_json_str(j, "generation"));
        set_stop(c, s, lt_json_str(j, "stop_reason"));
        if (lt_json_int(j, "prompt_token_count", &s->in))
            s->have_in = true;
        if (lt_json_int(j, "generation_token_count", &s->out))
            s->have_out = true;
        break;
    case FAM_MISTRAL: {
        const cJSON *o = cJSON_GetArrayItem(lt_json_arr(j, "outputs"), 0);
        if (o) {
            acc_text(c, s, lt_json_str(o, "text"));
            set_stop(c, s, lt_json_str(o, "stop_reason"));
        }
        o = cJSON_GetArrayItem(lt_json_arr(j, "choices"), 0);
        if (o) {
            const cJSON *m = lt_json_obj(o, "message");
            acc_text(c, s, lt_json_str(m ? m : lt_json_obj(o, "delta"), "content"));
            set_stop(c, s, lt_json_str(o, "stop_reason"));
            set_stop(c, s, lt_json_str(o, "finish_reason"));
        }
        break;
    }
    case FAM_COHERE:
        /* {"event_type":"text-generation","text":…} … {"event_type":"stream-end",
         *  "finish_reason":"COMPLETE","response":{…}} */
        if (streq(lt_json_str(j, "event_type"), "text-generation"))
            acc_text(c, s, lt_json_str(j, "text"));
        set_stop(c, s, lt_json_str(j, "finish_reason"));
        break;
    default:
        break;
    }
}

/* {"bytes":"<base64>"} → the family's chunk JSON, fed to the delegate or family_chunk. */
static void chunk(struct lt_genai_ctx *c, struct istate *s, const cJSON *payload)
{
    const char *b64 = lt_json_str(payload, "bytes");
    if (!b64)
        return;
    size_t n = strlen(b64), dn = 0;
    unsigned char *d = malloc(LT_BASE64_DECODED_MAX(n));
    if (!d) {
        lt_genai_oom(c);
        return;
    }
    if (lt_base64_decode(b64, n, d, &dn) < 0) {
        free(d);
        return;
    }
    cJSON *j = cJSON_ParseWithLength((const char *)d, dn);
    if (!cJSON_IsObject(j))
        goto out;
    s->streamed = true;
    const cJSON *m = lt_json_obj(j, "amazon-bedrock-invocationMetrics");
    if (lt_json_int(m, "inputTokenCount", &s->min))
        s->m_in = true;
    if (lt_json_int(m, "outputTokenCount", &s->mout))
        s->m_out = true;
    if (s->fam == FAM_ANTHROPIC && s->sub_a && s->sub_a->stream_event) {
        /* Anthropic Messages stream events; the JSON "type" names the event. */
        const char *type = lt_json_str(j, "type");
        if (type)
            s->sub_a->stream_event(s->sub, c, type, strlen(type), (const char *)d, dn, j);
    } else if (s->fam == FAM_NOVA && s->sub_a && s->sub_a->stream_event) {
        /* {"messageStart":{…}}, {"contentBlockDelta":{…}}, … {"metadata":{…}}: each member
         * is one ConverseStream event. */
        const cJSON *ev;
        cJSON_ArrayForEach(ev, j)
        {
            if (ev->string && cJSON_IsObject(ev) &&
                strcmp(ev->string, "amazon-bedrock-invocationMetrics") != 0)
                s->sub_a->stream_event(s->sub, c, ev->string, strlen(ev->string), (const char *)d,
                                       dn, ev);
        }
    } else {
        family_chunk(c, s, j);
    }
out:
    cJSON_Delete(j);
    free(d);
}

static void stream_event(void *st, struct lt_genai_ctx *c, const char *type, size_t type_len,
                         const char *data, size_t data_len, const cJSON *j)
{
    struct istate *s = st;
    if (lt_bedrock_exception(c, type, type_len, j))
        return;
    if (type_len == 5 && memcmp(type, "chunk", 5) == 0)
        chunk(c, s, j);
}

static void finish(void *st, struct lt_genai_ctx *c)
{
    struct istate *s = st;
    if (s->sub_a) {
        if (s->sub_a->finish)
            s->sub_a->finish(s->sub, c);
    } else if (s->streamed && s->fam != FAM_UNKNOWN) {
        struct choices ch = {0};
        if (s->text.len || s->stop)
            add_choice(&ch, s->text.data ? s->text.data : "", s->stop);
        emit_choices(c, &ch);
    }
    if (s->have_in)
        lt_genai_int(c, "gen_ai.usage.input_tokens", s->in);
    else if (s->m_in && !lt_span_get(c->span, "gen_ai.usage.input_tokens"))
        lt_genai_int(c, "gen_ai.usage.input_tokens", s->min);
    if (s->have_out)
        lt_genai_int(c, "gen_ai.usage.output_tokens", s->out);
    else if (s->m_out && !lt_span_get(c->span, "gen_ai.usage.output_tokens"))
        lt_genai_int(c, "gen_ai.usage.output_tokens", s->mout);
}

static void cleanup(void *st)
{
    struct istate *s = st;
    if (s->sub_a && s->sub_a->cleanup)
        s->sub_a->cleanup(s->sub);
    free(s->sub);
    free(s->stop);
    lt_buf_cleanup(&s->text);
}

const struct lt_genai_adapter lt_genai_bedrock_invoke = {
    .api = LT_API_BEDROCK_INVOKE,
    .operation = "chat",
    .state_size = sizeof(struct istate),
    .begin = begin,
    .request = request,
    .response = response,
    .stream_event = stream_event,
    .finish = finish,
    .cleanup = cleanup,
};
