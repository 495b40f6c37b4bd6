/* detect.c — decides from method, host, port and path whether a request is an LLM API call
 * and which provider/API it speaks (rules in genai.h). Owns the LLMTAP_PROVIDERS map.
 * lt_genai_detect runs on the host thread for every request head: no allocation, no locks,
 * a few string compares. */
#include "genai.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HOST_MAX 256
#define PROVIDER_MAX 48

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

/* Built-in OpenAI-compatible hosts (rule 3): exact host → gen_ai.provider.name, SPEC.md's
 * listed values where one applies. */
static const struct {
    const char *host;
    const char *provider;
} compat_hosts[] = {
    {"api.openai.com", "openai"},
    {"api.groq.com", "groq"},
    {"api.mistral.ai", "mistral_ai"},
    {"api.deepseek.com", "deepseek"},
    {"api.x.ai", "x_ai"},
    {"api.perplexity.ai", "perplexity"},
    {"openrouter.ai", "openrouter"},
    {"api.together.xyz", "together"},
    {"api.fireworks.ai", "fireworks"},
    {"generativelanguage.googleapis.com", "gcp.gemini"},
};

/* Host suffixes of OpenAI-compatible services (rule 3). */
static const struct {
    const char *suffix;
    const char *provider;
} compat_suffixes[] = {
    {".openai.azure.com", "azure.ai.openai"},
};

static bool eq_ci(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    return an == bn && strncasecmp(a, b, an) == 0;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t sn = strlen(suffix);
    return n >= sn && memcmp(s + n - sn, suffix, sn) == 0;
}

static bool ends_with_ci(const char *s, size_t n, const char *suffix)
{
    size_t sn = strlen(suffix);
    return n > sn && strncasecmp(s + n - sn, suffix, sn) == 0;
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

    const char *path;
    size_t path_len;
    target_path(target, target_len, &path, &path_len);
    normalise_host(&host, &host_len);

    bool chat = ends_with(path, path_len, "/chat/completions");
    bool messages_exact = path_len == 12 && memcmp(path, "/v1/messages", 12) == 0;

    /* Rule 1: the user's map. A mapped host may sit behind a gateway prefix, so a path that
     * merely ends in /v1/messages counts there. */
    const struct provider_entry *ue = user_lookup(host, host_len, port);
    if (ue) {
        if (chat)
            out->api = LT_API_OPENAI_CHAT;
        else if (messages_exact || ends_with(path, path_len, "/v1/messages"))
            out->api = LT_API_ANTHROPIC_MESSAGES;
        if (out->api != LT_API_NONE)
            set_provider(out, ue->provider);
        return out->api != LT_API_NONE;
    }

    /* Rule 2: the providers' own hosts. */
    const char *builtin = NULL;
    if (eq_ci(host, host_len, "api.openai.com"))
        builtin = "openai";
    else if (eq_ci(host, host_len, "api.anthropic.com"))
        builtin = "anthropic";
    if (builtin) {
        if (chat)
            out->api = LT_API_OPENAI_CHAT;
        else if (messages_exact)
            out->api = LT_API_ANTHROPIC_MESSAGES;
        if (out->api != LT_API_NONE)
            set_provider(out, builtin);
        return out->api != LT_API_NONE;
    }

    /* Rule 3: any host speaking the OpenAI chat path. */
    if (!chat)
        return false;
    out->api = LT_API_OPENAI_CHAT;
    const char *provider = "openai";
    for (size_t i = 0; i < sizeof(compat_hosts) / sizeof(compat_hosts[0]); i++) {
        if (eq_ci(host, host_len, compat_hosts[i].host)) {
            provider = compat_hosts[i].provider;
            break;
        }
    }
    for (size_t i = 0; i < sizeof(compat_suffixes) / sizeof(compat_suffixes[0]); i++) {
        if (ends_with_ci(host, host_len, compat_suffixes[i].suffix)) {
            provider = compat_suffixes[i].provider;
            break;
        }
    }
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
