/* redact.c — LLMTAP_REDACT (see redact.h): regcomp once, then replace every match in the
 * string leaves of captured content with "[REDACTED]". Runs on the exporter thread. */
#include "redact.h"

#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../log.h"

#define MAX_DEPTH 4096 /* JSON nesting walked; deeper trees fail closed */

struct lt_redact {
    bool failed; /* the pattern did not compile (or compiling ran out of memory) */
    bool compiled;
    regex_t re;
};

/* Module state: the process's expression, compiled by lt_redact_init(). Static storage, so
 * even an allocation failure at load can leave a failed state to fail closed on. */
static struct {
    struct lt_redact obj;
    bool set; /* LLMTAP_REDACT was given */
} proc;

/* Compile `pattern` into `r`; on failure `r` is left in the failed state. Returns 0,
 * -EINVAL (does not compile), -ENOMEM. */
static int compile(struct lt_redact *r, const char *pattern, char *err, size_t err_len)
{
    memset(r, 0, sizeof(*r));
    int rc = regcomp(&r->re, pattern, REG_EXTENDED);
    if (rc == 0) {
        r->compiled = true;
        return 0;
    }
    r->failed = true;
    if (err && err_len)
        regerror(rc, &r->re, err, err_len);
    return rc == REG_ESPACE ? -ENOMEM : -EINVAL;
}

struct lt_redact *lt_redact_new(const char *pattern, char *err, size_t err_len)
{
    if (!pattern)
        return NULL;
    struct lt_redact *r = malloc(sizeof(*r));
    if (!r)
        return NULL;
    if (compile(r, pattern, err, err_len) == -ENOMEM) {
        free(r);
        return NULL;
    }
    return r;
}

void lt_redact_free(struct lt_redact *r)
{
    if (!r)
        return;
    if (r->compiled)
        regfree(&r->re);
    free(r);
}

bool lt_redact_failed(const struct lt_redact *r)
{
    return r && (r->failed || !r->compiled);
}

/* Growable output with room for the terminating NUL; its size is bounded by the caller
 * (at most 10 bytes of output per input byte). */
struct out {
    char *p;
    size_t n, cap;
};

static int put(struct out *o, const char *s, size_t n)
{
    if (o->n + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 64;
        while (cap < o->n + n + 1)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p)
            return -ENOMEM;
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
    o->p[o->n] = '\0';
    return 0;
}

static bool utf8_cont(unsigned char ch)
{
    return (ch & 0xC0) == 0x80;
}

int lt_redact_str(const struct lt_redact *r, const char *s, char **out)
{
    *out = NULL;
    if (!r)
        return 0;
    if (lt_redact_failed(r))
        return -EPERM;
    size_t len = strlen(s);
    struct out o = {0};
    size_t pos = 0;  /* where the next search starts */
    size_t done = 0; /* input bytes already copied or replaced */
    bool any = false;
    while (pos <= len) {
        regmatch_t m[1];
        /* REG_STARTEND: search [pos, len) of the whole string, so `^` still means the start
         * of the string and the character before `pos` is context, not a new beginning. */
        m[0].rm_so = (regoff_t)pos;
        m[0].rm_eo = (regoff_t)len;
        if (regexec(&r->re, s, 1, m, REG_STARTEND) != 0)
            break;
        size_t so = (size_t)m[0].rm_so, eo = (size_t)m[0].rm_eo;
        if (eo <= so) {
            /* Empty match: nothing to hide; search again one character further on. */
            if (so >= len)
                break;
            pos = so + 1;
            while (pos < len && utf8_cont((unsigned char)s[pos]))
                pos++;
            continue;
        }
        /* Whole UTF-8 characters only: a byte-wise match may start or end inside one. */
        while (so > done && utf8_cont((unsigned char)s[so]))
            so--;
        while (eo < len && utf8_cont((unsigned char)s[eo]))
            eo++;
        if (put(&o, s + done, so - done) != 0 ||
            put(&o, LT_REDACT_MARK, sizeof(LT_REDACT_MARK) - 1) != 0) {
            free(o.p);
            return -ENOMEM;
        }
        any = true;
        done = pos = eo;
    }
    if (!any)
        return 0;
    if (put(&o, s + done, len - done) != 0) {
        free(o.p);
        return -ENOMEM;
    }
    *out = o.p;
    return 0;
}

static int walk(const struct lt_redact *r, cJSON *item, int depth)
{
    if (depth > MAX_DEPTH)
        return -E2BIG;
    for (; item; item = item->next) {
        if (cJSON_IsString(item) && item->valuestring) {
            char *red;
            int rc = lt_redact_str(r, item->valuestring, &red);
            if (rc != 0)
                return rc;
            if (red) {
                /* A string reference does not own its text: drop the flag with it, so that
                 * cJSON_Delete frees our copy. */
                if (!(item->type & cJSON_IsReference))
                    free(item->valuestring);
                item->type &= ~cJSON_IsReference;
                item->valuestring = red;
            }
        } else if (item->child) {
            int rc = walk(r, item->child, depth + 1);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

int lt_redact_json(const struct lt_redact *r, cJSON *tree)
{
    if (!r || !tree)
        return 0;
    if (lt_redact_failed(r))
        return -EPERM;
    /* The root itself may be a bare string; its siblings (none for a root) are not ours. */
    cJSON *next = tree->next;
    tree->next = NULL;
    int rc = walk(r, tree, 0);
    tree->next = next;
    return rc;
}

int lt_redact_init(const char *pattern)
{
    if (proc.set && proc.obj.compiled)
        regfree(&proc.obj.re);
    memset(&proc, 0, sizeof(proc));
    if (!pattern || !*pattern)
        return 0;
    proc.set = true;
    char err[128];
    int rc = compile(&proc.obj, pattern, err, sizeof(err));
    if (rc == -EINVAL)
        lt_log(LT_LOG_WARN, "invalid LLMTAP_REDACT (%s): content capture is off", err);
    else if (rc == -ENOMEM)
        lt_log(LT_LOG_WARN, "cannot compile LLMTAP_REDACT: content capture is off");
    return rc;
}

const struct lt_redact *lt_redact_process(void)
{
    return proc.set ? &proc.obj : NULL;
}
