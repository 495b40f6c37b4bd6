/* detect.c — decides from method, host, port and path whether a request is an LLM API call
 * and which provider/API it speaks (rules in genai.h, lt_genai_detect). Owns the
 * LLMTAP_PROVIDERS map. lt_genai_detect runs on the host thread for every request head: no
 * allocation, no locks, a few string compares. */
#include "genai.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HOST_MAX 256
#define PROVIDER_MAX 48
#define OLLAMA_PORT 11434 /* Ollama's default listening port */

/* One LLMTAP_PROVIDERS entry; host is stored lower-case without IPv6 brackets. */
struct provider_entry {
    char host[HOST_MAX];
    int port; /* 0 = any port */
    char provider[PROVIDER_MAX];
};

/* An immutable map, published whole through an atomic pointer. Replaced maps are kept on a
 * retired list (never freed) because a host thread may still be reading one. */
struct provider_map {
    size_t n;
    struct provider_map *retired;
    struct provider_entry e[];
};

static _Atomic(struct provider_map *) user_map;

/* Bits of the OpenAI-shaped APIs a compatible host serves (compat_hosts[].apis). */
#define SERVES_CHAT 1u
#define SERVES_COMPLETIONS 2u
#define SERVES_EMBEDDINGS 4u
#define SERVES_RESPONSES 8u

/* OpenAI-compatible hosts (rule 2): exact host → gen_ai.provider.name (SPEC.md's listed value
 * where one exists: groq, mistral_ai, deepseek, x_ai, perplexity; custom names otherwise) and
 * the OpenAI APIs each documents, matched by path suffix behind its own prefix
 * (Groq "/openai/v1", OpenRouter "/api/v1", Fireworks "/inference/v1", DeepSeek none). */
static const struct {
    const char *host;
    const char *provider;
    unsigned apis;
} compat_hosts[] = {
    {"api.groq.com", "groq", SERVES_CHAT | SERVES_RESPONSES},
    /* /v1/fim/completions is not the OpenAI completions shape: not matched. */
    {"api.mistral.ai", "mistral_ai", SERVES_CHAT | SERVES_EMBEDDINGS},
    {"api.deepseek.com", "deepseek", SERVES_CHAT | SERVES_COMPLETIONS},
    {"api.x.ai", "x_ai", SERVES_CHAT | SERVES_COMPLETIONS | SERVES_EMBEDDINGS | SERVES_RESPONSES},
    {"api.perplexity.ai", "perplexity", SERVES_CHAT},
    {"openrouter.ai", "openrouter",
     SERVES_CHAT | SERVES_COMPLETIONS | SERVES_EMBEDDINGS | SERVES_RESPONSES},
    {"api.together.xyz", "together", SERVES_CHAT | SERVES_COMPLETIONS | SERVES_EMBEDDINGS},
    {"api.fireworks.ai", "fireworks",
     SERVES_CHAT | SERVES_COMPLETIONS | SERVES_EMBEDDINGS | SERVES_RESPONSES},
};

/* ---- string views (never NUL-terminated: only the given lengths are read) ---- */

static bool eq_ci(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    return an == bn && strncasecmp(a, b, an) == 0;
}

static bool eq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    return an == bn && memcmp(a, b, an) == 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t sn = strlen(suffix);
    return n >= sn && memcmp(s + n - sn, suffix, sn) == 0;
}

static bool starts_with_ci(const char *s, size_t n, const char *prefix)
{
    size_t pn = strlen(prefix);
    return n >= pn && strncasecmp(s, prefix, pn) == 0;
}

/* `s` is a strict subdomain of `suffix` (".example.com"): at least one byte before it, so
 * the dot boundary is guaranteed ("evilopenai.azure.com" is not under ".openai.azure.com"). */
static bool host_under(const char *s, size_t n, const char *suffix)
{
    size_t sn = strlen(suffix);
    return n > sn && strncasecmp(s + n - sn, suffix, sn) == 0;
}

/* `n` bytes with no '.' and at least one byte: a single DNS label. */
static bool one_label(const char *s, size_t n)
{
    return n > 0 && !memchr(s, '.', n);
}

/* Strip IPv6 brackets and a trailing root dot: "[::1]" → "::1", "api.openai.com." → … */
static void normalise_host(const char **h, size_t *n)
{
    if (*n >= 2 && (*h)[0] == '[' && (*h)[*n - 1] == ']') {
        (*h)++;
        *n -= 2;
    }
    if (*n > 1 && (*h)[*n - 1] == '.')
        (*n)--;
}

/* The path of a request-target: origin-form up to '?'/'#'; absolute-form
 * ("https://host/path", sent to proxies) has its scheme and authority skipped. */
static void target_path(const char *t, size_t n, const char **p, size_t *pn)
{
    size_t i = 0;
    if (n > 0 && t[0] != '/') {
        const char *sep = memchr(t, ':', n);
        if (sep && (size_t)(sep - t) + 3 <= n && sep[1] == '/' && sep[2] == '/') {
            i = (size_t)(sep - t) + 3;
            while (i < n && t[i] != '/' && t[i] != '?' && t[i] != '#')
                i++;
        }
    }
    size_t j = i;
    while (j < n && t[j] != '?' && t[j] != '#')
        j++;
    *p = t + i;
    *pn = j - i;
}

/* ---- path shapes ---- */

/* A request path, borrowed. */
struct path {
    const char *p;
    size_t n;
};

/* The last segment is "{model}:{method}" with a non-empty model, and the path before it ends
 * in `models_dir` ("/models", "/publishers/google/models", …). Gemini and Vertex AI name the
 * RPC after a colon: "/v1beta/models/gemini-2.0-flash:generateContent". */
static bool model_method(struct path path, const char *models_dir, const char *method)
{
    const char *p = path.p;
    size_t n = path.n;
    size_t mn = strlen(method);
    if (n < mn + 1 || memcmp(p + n - mn, method, mn) != 0 || p[n - mn - 1] != ':')
        return false;
    size_t colon = n - mn - 1;
    size_t slash = colon;
    while (slash > 0 && p[slash - 1] != '/')
        slash--;
    if (slash == 0 || slash == colon) /* no '/' before, or an empty model */
        return false;
    return ends_with(p, slash - 1, models_dir);
}

/* Gemini generateContent / streamGenerateContent under `models_dir`. */
static bool gemini_shape(struct path path, const char *models_dir)
{
    return model_method(path, models_dir, "generateContent") ||
           model_method(path, models_dir, "streamGenerateContent");
}

/* Bedrock Runtime "/model/{id}/{op}" (id non-empty; it may hold '/' when a client leaves an
 * ARN unencoded). `anywhere`: "/model/" may come after a gateway prefix. Returns the API or
 * LT_API_NONE. */
static enum lt_api bedrock_shape(struct path path, bool anywhere)
{
    static const struct {
        const char *op;
        enum lt_api api;
    } ops[] = {
        {"/converse", LT_API_BEDROCK_CONVERSE},
        {"/converse-stream", LT_API_BEDROCK_CONVERSE},
        {"/invoke", LT_API_BEDROCK_INVOKE},
        {"/invoke-with-response-stream", LT_API_BEDROCK_INVOKE},
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (!ends_with(path.p, path.n, ops[i].op))
            continue;
        size_t head = path.n - strlen(ops[i].op); /* bytes before "/{op}" */
        /* "/model/" then at least one byte of id, all within `head`. */
        if (head < 8)
            return LT_API_NONE;
        if (!anywhere)
            return memcmp(path.p, "/model/", 7) == 0 ? ops[i].api : LT_API_NONE;
        for (size_t at = 0; at + 8 <= head; at++)
            if (memcmp(path.p + at, "/model/", 7) == 0)
                return ops[i].api;
        return LT_API_NONE;
    }
    return LT_API_NONE;
}

/* The OpenAI shapes by suffix ("…/chat/completions", "…/completions", "…/embeddings",
 * "…/responses"), limited to the SERVES_* bits in `apis`. */
static enum lt_api openai_suffix(struct path path, unsigned apis)
{
    if (ends_with(path.p, path.n, "/chat/completions"))
        return apis & SERVES_CHAT ? LT_API_OPENAI_CHAT : LT_API_NONE;
    if ((apis & SERVES_COMPLETIONS) && ends_with(path.p, path.n, "/completions"))
        return LT_API_OPENAI_COMPLETIONS;
    if ((apis & SERVES_EMBEDDINGS) && ends_with(path.p, path.n, "/embeddings"))
        return LT_API_OPENAI_EMBEDDINGS;
    if ((apis & SERVES_RESPONSES) && ends_with(path.p, path.n, "/responses"))
        return LT_API_OPENAI_RESPONSES;
    return LT_API_NONE;
}

/* OpenAI's own paths: "…/chat/completions", exactly "/v1/responses", "/v1/embeddings",
 * "/v1/completions". */
static enum lt_api openai_exact(struct path path)
{
    if (ends_with(path.p, path.n, "/chat/completions"))
        return LT_API_OPENAI_CHAT;
    if (eq(path.p, path.n, "/v1/responses"))
        return LT_API_OPENAI_RESPONSES;
    if (eq(path.p, path.n, "/v1/embeddings"))
        return LT_API_OPENAI_EMBEDDINGS;
    if (eq(path.p, path.n, "/v1/completions"))
        return LT_API_OPENAI_COMPLETIONS;
    return LT_API_NONE;
}

/* Rule 1: a user-mapped host (a gateway, a self-hosted server): every shape, suffixes
 * allowed behind a prefix. */
static enum lt_api generous_shape(struct path path)
{
    enum lt_api api = openai_suffix(path, SERVES_CHAT | SERVES_COMPLETIONS | SERVES_EMBEDDINGS |
                                              SERVES_RESPONSES);
    if (api != LT_API_NONE)
        return api;
    if (ends_with(path.p, path.n, "/v1/messages") ||
        model_method(path, "/publishers/anthropic/models", "rawPredict") ||
        model_method(path, "/publishers/anthropic/models", "streamRawPredict"))
        return LT_API_ANTHROPIC_MESSAGES;
    if (gemini_shape(path, "/models"))
        return LT_API_GEMINI;
    api = bedrock_shape(path, true);
    if (api != LT_API_NONE)
        return api;
    if (ends_with(path.p, path.n, "/v2/chat"))
        return LT_API_COHERE_CHAT;
    if (ends_with(path.p, path.n, "/api/chat"))
        return LT_API_OLLAMA_CHAT;
    if (ends_with(path.p, path.n, "/api/generate"))
        return LT_API_OLLAMA_GENERATE;
    return LT_API_NONE;
}

/* Azure OpenAI: "/openai/deployments/{d}/chat/completions|completions|embeddings" (one
 * non-empty deployment segment), "/openai/responses", "/openai/v1/responses",
 * "/openai/v1/chat/completions", "/openai/v1/embeddings", "/openai/v1/completions". */
static enum lt_api azure_openai_shape(struct path path)
{
    const char *p = path.p;
    size_t n = path.n;
    static const char dep[] = "/openai/deployments/";
    if (n > sizeof(dep) - 1 && memcmp(p, dep, sizeof(dep) - 1) == 0) {
        const char *d = p + sizeof(dep) - 1;
        size_t rest = n - (sizeof(dep) - 1);
        const char *slash = memchr(d, '/', rest);
        if (!slash || slash == d)
            return LT_API_NONE;
        struct path op = {slash, rest - (size_t)(slash - d)};
        if (eq(op.p, op.n, "/chat/completions"))
            return LT_API_OPENAI_CHAT;
        if (eq(op.p, op.n, "/completions"))
            return LT_API_OPENAI_COMPLETIONS;
        if (eq(op.p, op.n, "/embeddings"))
            return LT_API_OPENAI_EMBEDDINGS;
        return LT_API_NONE;
    }
    if (eq(p, n, "/openai/responses") || eq(p, n, "/openai/v1/responses"))
        return LT_API_OPENAI_RESPONSES;
    if (eq(p, n, "/openai/v1/chat/completions"))
        return LT_API_OPENAI_CHAT;
    if (eq(p, n, "/openai/v1/embeddings"))
        return LT_API_OPENAI_EMBEDDINGS;
    if (eq(p, n, "/openai/v1/completions"))
        return LT_API_OPENAI_COMPLETIONS;
    return LT_API_NONE;
}

/* ---- hosts ---- */

/* "{region}-aiplatform.googleapis.com" or the global "aiplatform.googleapis.com". */
static bool vertex_host(const char *h, size_t n)
{
    static const char sfx[] = "-aiplatform.googleapis.com";
    return eq_ci(h, n, "aiplatform.googleapis.com") ||
           (host_under(h, n, sfx) && one_label(h, n - (sizeof(sfx) - 1)));
}

/* "bedrock-runtime[-fips].{region}.amazonaws.com", region one label. */
static bool bedrock_host(const char *h, size_t n)
{
    static const char sfx[] = ".amazonaws.com";
    size_t pre;
    if (starts_with_ci(h, n, "bedrock-runtime."))
        pre = 16;
    else if (starts_with_ci(h, n, "bedrock-runtime-fips."))
        pre = 21;
    else
        return false;
    size_t sn = sizeof(sfx) - 1;
    return n > pre + sn && host_under(h, n, sfx) && one_label(h + pre, n - pre - sn);
}

/* Rule 2. Returns true when `host` (and port) is a known provider's, with the API from the
 * path in *api (LT_API_NONE when that host's paths do not match) and the provider name. */
static bool known_host(const char *h, size_t n, int port, struct path path, enum lt_api *api,
                       const char **provider)
{
    const char *p = path.p;
    size_t pn = path.n;
    *api = LT_API_NONE;
    if (eq_ci(h, n, "api.openai.com")) {
        *provider = "openai";
        *api = openai_exact(path);
        return true;
    }
    if (eq_ci(h, n, "api.anthropic.com")) {
        *provider = "anthropic";
        if (eq(p, pn, "/v1/messages"))
            *api = LT_API_ANTHROPIC_MESSAGES;
        else if (ends_with(p, pn, "/chat/completions")) /* Anthropic's OpenAI SDK endpoint */
            *api = LT_API_OPENAI_CHAT;
        return true;
    }
    if (host_under(h, n, ".openai.azure.com") || host_under(h, n, ".cognitiveservices.azure.com")) {
        *provider = "azure.ai.openai";
        *api = azure_openai_shape(path);
        return true;
    }
    if (host_under(h, n, ".services.ai.azure.com") || host_under(h, n, ".inference.ai.azure.com")) {
        *provider = "azure.ai.inference";
        if (ends_with(p, pn, "/chat/completions"))
            *api = LT_API_OPENAI_CHAT;
        return true;
    }
    if (eq_ci(h, n, "generativelanguage.googleapis.com")) {
        *provider = "gcp.gemini";
        if (gemini_shape(path, "/models"))
            *api = LT_API_GEMINI;
        else if (eq(p, pn, "/v1beta/openai/chat/completions"))
            *api = LT_API_OPENAI_CHAT;
        return true;
    }
    if (vertex_host(h, n)) {
        *provider = "gcp.vertex_ai";
        if (gemini_shape(path, "/publishers/google/models"))
            *api = LT_API_GEMINI;
        else if (model_method(path, "/publishers/anthropic/models", "rawPredict") ||
                 model_method(path, "/publishers/anthropic/models", "streamRawPredict"))
            *api = LT_API_ANTHROPIC_MESSAGES;
        else if (ends_with(p, pn, "/endpoints/openapi/chat/completions"))
            *api = LT_API_OPENAI_CHAT;
        return true;
    }
    if (bedrock_host(h, n)) {
        *provider = "aws.bedrock";
        *api = bedrock_shape(path, false);
        return true;
    }
    if (eq_ci(h, n, "api.cohere.com") || eq_ci(h, n, "api.cohere.ai")) {
        *provider = "cohere";
        if (eq(p, pn, "/v2/chat"))
            *api = LT_API_COHERE_CHAT;
        else if (eq(p, pn, "/compatibility/v1/chat/completions"))
            *api = LT_API_OPENAI_CHAT;
        else if (eq(p, pn, "/compatibility/v1/embeddings"))
            *api = LT_API_OPENAI_EMBEDDINGS;
        return true;
    }
    if (eq_ci(h, n, "ollama.com") || port == OLLAMA_PORT) {
        *provider = "ollama";
        if (eq(p, pn, "/api/chat"))
            *api = LT_API_OLLAMA_CHAT;
        else if (eq(p, pn, "/api/generate"))
            *api = LT_API_OLLAMA_GENERATE;
        else
            *api = openai_exact(path);
        return true;
    }
    for (size_t i = 0; i < sizeof(compat_hosts) / sizeof(compat_hosts[0]); i++) {
        if (eq_ci(h, n, compat_hosts[i].host)) {
            *provider = compat_hosts[i].provider;
            *api = openai_suffix(path, compat_hosts[i].apis);
            return true;
        }
    }
    return false;
}

/* Rule 3: any other host, distinctive paths only, with the fallback provider. */
static enum lt_api any_host(struct path path, const char **provider)
{
    enum lt_api api = openai_exact(path);
    if (api != LT_API_NONE) {
        *provider = "openai";
        return api;
    }
    if (eq(path.p, path.n, "/v1/messages")) {
        *provider = "anthropic";
        return LT_API_ANTHROPIC_MESSAGES;
    }
    if (gemini_shape(path, "/models")) {
        *provider = "gcp.gemini";
        return LT_API_GEMINI;
    }
    api = bedrock_shape(path, false);
    if (api != LT_API_NONE)
        *provider = "aws.bedrock";
    return api;
}

static void set_provider(struct lt_detect *out, const char *provider)
{
    size_t n = strlen(provider);
    if (n >= sizeof(out->provider))
        n = sizeof(out->provider) - 1;
    memcpy(out->provider, provider, n);
    out->provider[n] = '\0';
}

static const struct provider_entry *user_lookup(const char *host, size_t n, int port)
{
    const struct provider_map *m = atomic_load_explicit(&user_map, memory_order_acquire);
    if (!m)
        return NULL;
    const struct provider_entry *any = NULL;
    for (size_t i = 0; i < m->n; i++) {
        if (!eq_ci(host, n, m->e[i].host))
            continue;
        if (m->e[i].port == port)
            return &m->e[i];
        if (m->e[i].port == 0 && !any)
            any = &m->e[i];
    }
    return any;
}

bool lt_genai_detect(const char *host, size_t host_len, int port, const char *method,
                     size_t method_len, const char *target, size_t target_len,
                     struct lt_detect *out)
{
    out->api = LT_API_NONE;
    out->provider[0] = '\0';
    if (!host || !method || !target)
        return false;
    /* RFC 9110 §9.1: methods are case-sensitive. */
    if (method_len != 4 || memcmp(method, "POST", 4) != 0)
        return false;

    struct path path;
    target_path(target, target_len, &path.p, &path.n);
    normalise_host(&host, &host_len);

    enum lt_api api;
    const char *provider = NULL;
    const struct provider_entry *ue = user_lookup(host, host_len, port);
    if (ue) { /* rule 1 */
        api = generous_shape(path);
        provider = ue->provider;
    } else if (!known_host(host, host_len, port, path, &api, &provider)) {
        api = any_host(path, &provider); /* rule 3 */
    }
    if (api == LT_API_NONE)
        return false;
    out->api = api;
    set_provider(out, provider);
    return true;
}

/* Parse one "host[:port]=provider" entry (whitespace already trimmed) into *e.
 * Returns 0 or -EINVAL. */
static int parse_entry(const char *s, size_t n, struct provider_entry *e)
{
    const char *eq = memchr(s, '=', n);
    if (!eq)
        return -EINVAL;
    const char *h = s;
    size_t hn = (size_t)(eq - s);
    const char *pv = eq + 1;
    size_t pn = n - hn - 1;
    while (hn && (h[hn - 1] == ' ' || h[hn - 1] == '\t'))
        hn--;
    while (pn && (*pv == ' ' || *pv == '\t')) {
        pv++;
        pn--;
    }
    if (pn == 0 || pn >= PROVIDER_MAX || memchr(pv, '=', pn))
        return -EINVAL;

    int port = 0;
    const char *portp = NULL;
    if (hn && h[0] == '[') { /* [v6]:port */
        const char *close = memchr(h, ']', hn);
        if (!close)
            return -EINVAL;
        size_t rest = hn - (size_t)(close - h) - 1;
        if (rest) {
            if (close[1] != ':')
                return -EINVAL;
            portp = close + 2;
        }
        h++;
        hn = (size_t)(close - h);
    } else {
        const char *colon = memchr(h, ':', hn);
        if (colon) {
            if (memchr(colon + 1, ':', hn - (size_t)(colon - h) - 1))
                return -EINVAL; /* bare IPv6 without brackets is ambiguous */
            portp = colon + 1;
            hn = (size_t)(colon - h);
        }
    }
    if (portp) {
        const char *end = s + (size_t)(eq - s);
        while (end > portp && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end == portp)
            return -EINVAL;
        for (const char *q = portp; q < end; q++) {
            if (*q < '0' || *q > '9')
                return -EINVAL;
            port = port * 10 + (*q - '0');
            if (port > 65535)
                return -EINVAL;
        }
        if (port == 0)
            return -EINVAL;
    }
    if (hn > 1 && h[hn - 1] == '.')
        hn--;
    if (hn == 0 || hn >= HOST_MAX)
        return -EINVAL;
    for (size_t i = 0; i < hn; i++) {
        unsigned char ch = (unsigned char)h[i];
        if (ch <= ' ' || ch == '/' || ch >= 0x7f)
            return -EINVAL;
        e->host[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
    }
    e->host[hn] = '\0';
    e->port = port;
    for (size_t i = 0; i < pn; i++) {
        if ((unsigned char)pv[i] <= ' ' || pv[i] == ',')
            return -EINVAL;
    }
    memcpy(e->provider, pv, pn);
    e->provider[pn] = '\0';
    return 0;
}

int lt_genai_set_providers(const char *spec)
{
    struct provider_map *m = NULL;
    int rc = 0;
    if (spec && *spec) {
        size_t entries = 1;
        for (const char *p = spec; *p; p++)
            entries += *p == ',';
        m = calloc(1, sizeof(*m) + entries * sizeof(m->e[0]));
        if (!m)
            return -ENOMEM;
        const char *p = spec;
        while (*p) {
            const char *end = strchr(p, ',');
            size_t n = end ? (size_t)(end - p) : strlen(p);
            const char *s = p;
            while (n && (*s == ' ' || *s == '\t')) {
                s++;
                n--;
            }
            while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
            if (n) { /* empty entries (",,") are ignored */
                if (parse_entry(s, n, &m->e[m->n]) == 0)
                    m->n++;
                else
                    rc = -EINVAL;
            }
            p += end ? (size_t)(end - p) + 1 : strlen(p);
        }
        if (m->n == 0) {
            free(m);
            m = NULL;
        }
    }
    /* Start-up configuration, called from one thread. The old map stays reachable on the
     * graveyard list: a concurrent lt_genai_detect may still be reading it. */
    static struct provider_map *graveyard;
    struct provider_map *old = atomic_exchange_explicit(&user_map, m, memory_order_acq_rel);
    if (old) {
        old->retired = graveyard;
        graveyard = old;
    }
    return rc;
}
