/* openai_completions.c — the OpenAI legacy Completions adapter (POST …/completions, also
 * Azure OpenAI and compatible servers; adapter.h): operation "text_completion", the sampling
 * parameters Chat Completions shares, choices' text and finish reasons from a body or from
 * streamed "text_completion" chunks (ended by [DONE]), usage, errors, and opt-in prompt and
 * completion texts (SPEC.md "Inference span", "Content"). */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"
#include "openai_common.h"

#define MAX_CHOICES 128 /* streamed choices tracked; more are ignored */
#define MAX_PROMPTS 64  /* prompts captured as content; more are left out (truncated) */

/* One streamed choice; text is accumulated only when capturing content. */
struct cchoice {
    int index;
    char *finish; /* last non-null finish_reason */
    struct lt_buf text;
};

/* Per-exchange state: the stream's choices (sorted by index) and which ids were seen. */
struct cstate {
    struct cchoice *choices;
    size_t n_choices;
    bool have_id, have_model;
};

static void begin(void *st, struct lt_genai_ctx *c)
{
    lt_openai_azure_model(c);
}

/* `prompt`: a string or an array of strings, one user message each; token arrays skipped. */
static void input_messages(struct lt_genai_ctx *c, const cJSON *prompt)
{
    cJSON *out = lt_genai_array(c);
    if (cJSON_IsString(prompt)) {
        cJSON *parts = lt_genai_message(c, out, "user", NULL);
        lt_genai_part_text(c, parts, "text", prompt->valuestring, strlen(prompt->valuestring));
    } else {
        size_t n = 0;
        const cJSON *s;
        cJSON_ArrayForEach(s, prompt)
        {
            if (!cJSON_IsString(s))
                continue;
            if (n++ == MAX_PROMPTS) {
                c->truncated = true;
                break;
            }
            cJSON *parts = lt_genai_message(c, out, "user", NULL);
            lt_genai_part_text(c, parts, "text", s->valuestring, strlen(s->valuestring));
        }
    }
    if (cJSON_GetArraySize(out) == 0) {
        cJSON_Delete(out);
        return;
    }
    lt_genai_json_attr(c, "gen_ai.input.messages", out);
}

static void request(void *st, struct lt_genai_ctx *c, const cJSON *req)
{
    lt_genai_str(c, "gen_ai.request.model", lt_json_str(req, "model"));
    lt_openai_sampling(c, req);
    const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(req, "prompt");
    if (c->capture && (cJSON_IsString(prompt) || cJSON_IsArray(prompt)))
        input_messages(c, prompt);
}

static void response(void *st, struct lt_genai_ctx *c, const cJSON *resp)
{
    if (lt_openai_body_error(c, resp))
        return;
    lt_genai_str(c, "gen_ai.response.id", lt_json_str(resp, "id"));
    lt_genai_str(c, "gen_ai.response.model", lt_json_str(resp, "model"));
    lt_genai_str(c, "openai.response.system_fingerprint", lt_json_str(resp, "system_fingerprint"));
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
            const char *text = lt_json_str(ch, "text");
            if (!out || !cJSON_IsObject(ch))
                continue;
            cJSON *parts = lt_genai_message(c, out, "assistant", finish);
            if (text)
                lt_genai_part_text(c, parts, "text", text, strlen(text));
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

/* The choice with `index`, created in index order; NULL past MAX_CHOICES or on ENOMEM. */
static struct cchoice *choice_at(struct lt_genai_ctx *c, struct cstate *s, int index)
{
    return lt_genai_slot(c, &s->choices, &s->n_choices, sizeof(*s->choices),
                         offsetof(struct cchoice, index), index, MAX_CHOICES);
}

static void stream_choice(struct lt_genai_ctx *c, struct cstate *s, const cJSON *chj)
{
    int64_t index = 0;
    if (!cJSON_IsObject(chj))
        return;
    if (lt_json_int(chj, "index", &index) && (index < 0 || index > 0x7fffffff))
        return;
    struct cchoice *ch = choice_at(c, s, (int)index);
    if (!ch)
        return;
    const char *finish = lt_json_str(chj, "finish_reason");
    if (finish) {
        char *f = strdup(finish);
        if (!f) {
            lt_genai_oom(c);
        } else {
            free(ch->finish);
            ch->finish = f;
        }
    }
    const char *text = lt_json_str(chj, "text");
    if (c->capture && text)
        lt_genai_acc(c, &ch->text, text, strlen(text));
}

static void stream_event(void *st, struct lt_genai_ctx *c, const char *type, size_t type_len,
                         const char *data, size_t data_len, const cJSON *j)
{
    struct cstate *s = st;
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
    lt_genai_str(c, "openai.response.system_fingerprint", lt_json_str(j, "system_fingerprint"));
    const cJSON *ch;
    cJSON_ArrayForEach(ch, lt_json_arr(j, "choices"))
    {
        stream_choice(c, s, ch);
    }
    lt_openai_usage(c, lt_json_obj(j, "usage")); /* null except on the include_usage chunk */
}

static void finish(void *st, struct lt_genai_ctx *c)
{
    struct cstate *s = st;
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
        struct cchoice *ch = &s->choices[i];
        cJSON *parts = lt_genai_message(c, out, "assistant", ch->finish);
        if (ch->text.len)
            lt_genai_part_text(c, parts, "text", ch->text.data, ch->text.len);
    }
    lt_genai_json_attr(c, "gen_ai.output.messages", out);
}

static void cleanup(void *st)
{
    struct cstate *s = st;
    for (size_t i = 0; i < s->n_choices; i++) {
        free(s->choices[i].finish);
        lt_buf_cleanup(&s->choices[i].text);
    }
    free(s->choices);
}

const struct lt_genai_adapter lt_genai_openai_completions = {
    .api = LT_API_OPENAI_COMPLETIONS,
    .operation = "text_completion",
    .state_size = sizeof(struct cstate),
    .begin = begin,
    .request = request,
    .response = response,
    .stream_event = stream_event,
    .finish = finish,
    .cleanup = cleanup,
};
