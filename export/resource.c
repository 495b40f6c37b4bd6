/* resource.c — build the process resource (see resource.h). Attributes are collected with
 * the span setters on a scratch span, then moved into the resource. */
#include "resource.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../preload/config.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode `s` in place (W3C Baggage octet rules as used by OTEL_RESOURCE_ATTRIBUTES). */
static void pct_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        int hi = p[0] == '%' ? hexval(p[1]) : -1;
        int lo = hi >= 0 ? hexval(p[2]) : -1;
        if (lo >= 0) {
            *o++ = (char)(hi << 4 | lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

/* OTEL_RESOURCE_ATTRIBUTES: "k=v,k2=v2"; malformed entries are skipped. */
static void add_env_attrs(struct lt_span *tmp, const char *spec)
{
    char *copy = strdup(spec);
    if (!copy)
        return;
    char *save = NULL;
    for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        *eq = '\0';
        char *k = trim(kv), *v = trim(eq + 1);
        pct_decode(v);
        if (*k)
            lt_span_set_str(tmp, k, v);
    }
    free(copy);
}

static const char *arch(void)
{
    static struct utsname u;
    if (uname(&u) != 0)
        return NULL;
    if (strcmp(u.machine, "x86_64") == 0)
        return "amd64";
    if (strcmp(u.machine, "aarch64") == 0)
        return "arm64";
    if (strncmp(u.machine, "i", 1) == 0 && strstr(u.machine, "86"))
        return "x86";
    return u.machine;
}

int lt_resource_build(struct lt_resource *res)
{
    memset(res, 0, sizeof(*res));
    struct lt_span *tmp = lt_span_new("", LT_SPAN_KIND_UNSPECIFIED);
    if (!tmp)
        return -ENOMEM;

    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = '\0';
    const char *exe_base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;

    if (lt_cfg.resource_attrs)
        add_env_attrs(tmp, lt_cfg.resource_attrs);
    /* OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES. */
    if (lt_cfg.service_name) {
        lt_span_set_str(tmp, "service.name", lt_cfg.service_name);
    } else if (!lt_span_get(tmp, "service.name")) {
        char svc[4200];
        extern char *program_invocation_short_name;
        snprintf(svc, sizeof(svc), "unknown_service:%s",
                 *exe_base ? exe_base : program_invocation_short_name);
        lt_span_set_str(tmp, "service.name", svc);
    }
    lt_span_set_int(tmp, "process.pid", (int64_t)getpid());
    if (*exe_base)
        lt_span_set_str(tmp, "process.executable.name", exe_base);
    if (*exe)
        lt_span_set_str(tmp, "process.executable.path", exe);
    extern char *program_invocation_name;
    lt_span_set_str(tmp, "process.command", program_invocation_name);
    if (strncmp(exe_base, "python", 6) == 0)
        lt_span_set_str(tmp, "process.runtime.name", "cpython");
    char host[256];
    if (gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
        lt_span_set_str(tmp, "host.name", host);
    }
    const char *a = arch();
    if (a)
        lt_span_set_str(tmp, "host.arch", a);
    lt_span_set_str(tmp, "telemetry.sdk.name", "llmtap");
    lt_span_set_str(tmp, "telemetry.sdk.language", "c");
    lt_span_set_str(tmp, "telemetry.sdk.version", LLMTAP_VERSION);

    res->attrs = tmp->attrs;
    res->n_attrs = tmp->n_attrs;
    tmp->attrs = NULL;
    tmp->n_attrs = tmp->cap_attrs = 0;
    lt_span_free(tmp);
    res->scope_name = "llmtap";
    res->scope_version = LLMTAP_VERSION;
    return 0;
}

void lt_resource_cleanup(struct lt_resource *res)
{
    /* Free the attributes through a heap span so ownership rules stay in span.c. */
    struct lt_span *s = lt_span_new("", LT_SPAN_KIND_UNSPECIFIED);
    if (s) {
        s->attrs = res->attrs;
        s->n_attrs = res->n_attrs;
        lt_span_free(s);
    }
    res->attrs = NULL;
    res->n_attrs = 0;
}
