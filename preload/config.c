/* config.c — environment → lt_cfg (see config.h). Endpoint rules follow the OTLP exporter
 * spec (specification/protocol/exporter.md): the signal-specific variable is used as is,
 * the generic one gets "/v1/traces" appended. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "genai/price.h"
#include "log.h"

struct lt_config lt_cfg;

/* getenv that treats "" as unset. */
static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The traces-specific variable if set, else the generic OTEL_EXPORTER_OTLP_ one. */
static const char *otlp_env(const char *suffix)
{
    char name[96];
    strcpy(name, "OTEL_EXPORTER_OTLP_TRACES_");
    strcat(name, suffix);
    const char *v = env(name);
    if (v)
        return v;
    strcpy(name, "OTEL_EXPORTER_OTLP_");
    strcat(name, suffix);
    return env(name);
}

bool lt_config_bool(const char *v)
{
    return v && strcasecmp(v, "true") == 0;
}

static char *dup_or_null(const char *v)
{
    return v ? strdup(v) : NULL;
}

/* A non-negative decimal number, or `def` when unset or invalid. */
static unsigned long number(const char *name, unsigned long def)
{
    const char *v = env(name);
    if (!v)
        return def;
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (*end || v[0] == '-') {
        lt_log(LT_LOG_WARN, "ignoring invalid %s=%s", name, v);
        return def;
    }
    return n;
}

static void load_exporters(void)
{
    const char *v = env("OTEL_TRACES_EXPORTER");
    lt_cfg.export_otlp = !v;
    if (!v)
        return;
    char buf[128];
    strncpy(buf, v, sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = '\0';
    char *save = NULL;
    for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (strcasecmp(t, "otlp") == 0)
            lt_cfg.export_otlp = true;
        else if (strcasecmp(t, "console") == 0)
            lt_cfg.export_console = true;
        else if (strcasecmp(t, "none") != 0)
            lt_log(LT_LOG_WARN, "unknown OTEL_TRACES_EXPORTER value '%s'", t);
    }
}

static void load_endpoint(void)
{
    const char *full = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    if (full) {
        lt_cfg.traces_url = strdup(full);
        return;
    }
    const char *base = env("OTEL_EXPORTER_OTLP_ENDPOINT");
    if (!base)
        base = "http://localhost:4318";
    size_t n = strlen(base);
    lt_cfg.traces_url = malloc(n + sizeof("/v1/traces"));
    if (!lt_cfg.traces_url)
        return;
    memcpy(lt_cfg.traces_url, base, n);
    if (n && base[n - 1] == '/')
        n--;
    strcpy(lt_cfg.traces_url + n, "/v1/traces");
}

/* traces_url for log lines: credentials in the URL's userinfo (http://user:pass@host/) are
 * sent to the receiver, never written to stderr. */
static void load_url_log(void)
{
    const char *u = lt_cfg.traces_url ? lt_cfg.traces_url : "-";
    lt_cfg.traces_url_log = u;
    const char *auth = strstr(u, "://");
    auth = auth ? auth + 3 : u; /* libcurl reads a URL without a scheme as http:// */
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            at = p;
    if (!at)
        return;
    size_t head = (size_t)(auth - u);
    char *m = malloc(head + 3 + strlen(at) + 1);
    if (!m) {
        lt_cfg.traces_url_log = "-";
        return;
    }
    memcpy(m, u, head);
    strcpy(m + head, "***");
    strcat(m + head, at);
    lt_cfg.traces_url_log = m;
}

static void load_capture(void)
{
    const char *v = env("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT");
    lt_cfg.capture = LT_CAPTURE_NONE;
    if (!v)
        return;
    if (strcasecmp(v, "true") == 0 || strcasecmp(v, "SPAN_ONLY") == 0 ||
        strcasecmp(v, "SPAN_AND_EVENT") == 0)
        lt_cfg.capture = LT_CAPTURE_SPAN;
    else if (strcasecmp(v, "false") != 0 && strcasecmp(v, "NO_CONTENT") != 0 &&
             strcasecmp(v, "EVENT_ONLY") != 0)
        lt_log(LT_LOG_WARN, "unknown OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=%s", v);
}

void lt_config_load(void)
{
    const char *lv = env("LLMTAP_LOG");
    lt_cfg.log_level = LT_LOG_WARN;
    if (lv && strcasecmp(lv, "debug") == 0)
        lt_cfg.log_level = LT_LOG_DEBUG;
    else if (lv && strcasecmp(lv, "info") == 0)
        lt_cfg.log_level = LT_LOG_INFO;
    else if (lv && (strcasecmp(lv, "off") == 0 || strcasecmp(lv, "none") == 0 ||
                    strcasecmp(lv, "error") == 0))
        lt_cfg.log_level = LT_LOG_OFF; /* llmtap has no error-level lines: error = off */
    lt_log_set_level(lt_cfg.log_level);

    lt_cfg.disabled = lt_config_bool(env("OTEL_SDK_DISABLED"));
    load_exporters();
    lt_cfg.file_path = dup_or_null(env("LLMTAP_FILE"));
    load_endpoint();
    load_url_log();

    const char *proto = otlp_env("PROTOCOL");
    lt_cfg.protocol = LT_PROTO_HTTP_PROTOBUF;
    if (proto && strcmp(proto, "http/json") == 0)
        lt_cfg.protocol = LT_PROTO_HTTP_JSON;
    else if (proto && strcmp(proto, "http/protobuf") != 0)
        lt_log(LT_LOG_WARN, "OTLP protocol '%s' is not supported; using http/protobuf", proto);

    lt_cfg.headers = dup_or_null(otlp_env("HEADERS"));
    const char *comp = otlp_env("COMPRESSION");
    lt_cfg.gzip = comp && strcasecmp(comp, "gzip") == 0;
    const char *to = otlp_env("TIMEOUT");
    lt_cfg.timeout_ms = to ? (uint32_t)strtoul(to, NULL, 10) : 10000;
    if (!lt_cfg.timeout_ms)
        lt_cfg.timeout_ms = 10000;
    lt_cfg.ca_file = dup_or_null(otlp_env("CERTIFICATE"));
    lt_cfg.client_cert = dup_or_null(otlp_env("CLIENT_CERTIFICATE"));
    lt_cfg.client_key = dup_or_null(otlp_env("CLIENT_KEY"));

    lt_cfg.service_name = dup_or_null(env("OTEL_SERVICE_NAME"));
    lt_cfg.resource_attrs = dup_or_null(env("OTEL_RESOURCE_ATTRIBUTES"));
    lt_cfg.bsp_delay_ms = (uint32_t)number("OTEL_BSP_SCHEDULE_DELAY", 5000);
    lt_cfg.bsp_export_timeout_ms = (uint32_t)number("OTEL_BSP_EXPORT_TIMEOUT", 30000);
    lt_cfg.bsp_max_queue = (uint32_t)number("OTEL_BSP_MAX_QUEUE_SIZE", 2048);
    lt_cfg.bsp_max_batch = (uint32_t)number("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512);
    if (!lt_cfg.bsp_max_queue)
        lt_cfg.bsp_max_queue = 2048;
    if (!lt_cfg.bsp_max_batch || lt_cfg.bsp_max_batch > lt_cfg.bsp_max_queue)
        lt_cfg.bsp_max_batch = lt_cfg.bsp_max_queue;
    lt_cfg.attr_value_limit = number("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", 0);
    lt_cfg.attr_count_limit = number("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", 128);
    load_capture();
    const char *mode = env("LLMTAP_TRACE");
    lt_cfg.trace_mode = mode && strcasecmp(mode, "call") == 0 ? LT_TRACE_CALL : LT_TRACE_PROCESS;
    lt_cfg.max_body = number("LLMTAP_MAX_BODY", 8u << 20);
    lt_cfg.max_queue_bytes = number("LLMTAP_MAX_QUEUE_BYTES", 64u << 20);
    lt_cfg.providers = dup_or_null(env("LLMTAP_PROVIDERS"));
    lt_cfg.redact = dup_or_null(env("LLMTAP_REDACT"));
    /* Only the path is kept here; the exporter thread reads the file on first use. */
    lt_cfg.prices_path = dup_or_null(env("LLMTAP_PRICES"));
    lt_price_configure(lt_cfg.prices_path);
}
