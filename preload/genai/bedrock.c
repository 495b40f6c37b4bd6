/* bedrock.c — the AWS Bedrock runtime request-target (bedrock.h): model id and streaming
 * action from POST /model/{modelId}/{action} (Bedrock API reference, "Converse",
 * "InvokeModel": the modelId is a URI label, so SDKs percent-encode ':' and '/'). */
#include "bedrock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Percent-decode `n` bytes into `out` (room for n + 1). A malformed escape stays as it is;
 * "%00" ends the string (a NUL cannot be part of an attribute value). */
static void pct_decode(const char *p, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
            char ch = (char)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
            if (ch == '\0')
                break;
            out[o++] = ch;
            i += 2;
            continue;
        }
        out[o++] = p[i];
    }
    out[o] = '\0';
}

int lt_bedrock_parse_target(const char *target, char **model, bool *stream)
{
    *model = NULL;
    *stream = false;
    if (!target)
        return -EINVAL;
    size_t len = strcspn(target, "?#");
    /* The first "/model/" segment: gateways may put a prefix in front of it. */
    const char *m = NULL;
    for (size_t i = 0; i + 7 <= len; i++) {
        if (memcmp(target + i, "/model/", 7) == 0) {
            m = target + i + 7;
            break;
        }
    }
    if (!m)
        return -EINVAL;
    const char *end = target + len;
    /* The action is the last segment; an unencoded '/' (ARN) stays inside the id. */
    const char *slash = NULL;
    for (const char *q = m; q < end; q++)
        if (*q == '/')
            slash = q;
    if (!slash || slash == m)
        return -EINVAL;
    size_t id_len = (size_t)(slash - m);
    size_t act_len = (size_t)(end - slash - 1);
    *stream = act_len >= 7 && memcmp(slash + 1 + act_len - 7, "-stream", 7) == 0;
    char *d = malloc(id_len + 1);
    if (!d)
        return -ENOMEM;
    pct_decode(m, id_len, d);
    if (!*d) {
        free(d);
        return -EINVAL;
    }
    *model = d;
    return 0;
}

void lt_bedrock_begin(struct lt_genai_ctx *c, char *model_out, size_t n)
{
    if (model_out && n)
        model_out[0] = '\0';
    char *model = NULL;
    bool stream = false;
    int rc = lt_bedrock_parse_target(c->x->target, &model, &stream);
    if (rc == -ENOMEM)
        lt_genai_oom(c);
    if (model) {
        lt_genai_str(c, "gen_ai.request.model", model);
        if (model_out && n) {
            size_t k = strlen(model);
            if (k >= n)
                k = n - 1;
            memcpy(model_out, model, k);
            model_out[k] = '\0';
        }
    }
    free(model);
    if (stream) {
        c->req_stream = true;
        lt_genai_bool(c, "gen_ai.request.stream", true);
    }
}

#define EXC_NAME_MAX 64 /* longer exception names are cut (error.type stays readable) */

bool lt_bedrock_exception(struct lt_genai_ctx *c, const char *type, size_t type_len,
                          const cJSON *payload)
{
    if (type_len < 9 || strncasecmp(type + type_len - 9, "exception", 9) != 0)
        return false;
    char name[EXC_NAME_MAX + 1];
    size_t n = type_len < EXC_NAME_MAX ? type_len : EXC_NAME_MAX;
    memcpy(name, type, n);
    name[n] = '\0';
    const char *msg = lt_json_str(payload, "message");
    if (!msg)
        msg = lt_json_str(payload, "Message");
    lt_genai_fail(c, name, msg);
    return true;
}
