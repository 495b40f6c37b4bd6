/* config.h — llmtap's settings, read once from the environment at load (OTel SDK
 * environment variables, ../shared/SPEC.md "Exporter configuration", plus LLMTAP_*).
 * Empty values count as unset; booleans are true only for case-insensitive "true". */
#ifndef LT_CONFIG_H
#define LT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Wire protocol of the OTLP exporter (OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL). */
enum lt_protocol {
    LT_PROTO_HTTP_PROTOBUF = 0,
    LT_PROTO_HTTP_JSON,
};

/** Content capture (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT). */
enum lt_capture {
    LT_CAPTURE_NONE = 0, /* NO_CONTENT (default), EVENT_ONLY (no events exported yet) */
    LT_CAPTURE_SPAN,     /* true, SPAN_ONLY, SPAN_AND_EVENT */
};

/** Trace layout (LLMTAP_TRACE). */
enum lt_trace_mode {
    LT_TRACE_PROCESS = 0, /* one trace per process under a process root span */
    LT_TRACE_CALL,        /* one trace per exchange */
};

/** All settings. Strings are heap copies owned by the config (never freed: process life). */
struct lt_config {
    bool disabled;              /* OTEL_SDK_DISABLED=true, or a setuid/setgid process */
    bool export_otlp;           /* OTEL_TRACES_EXPORTER contains otlp (default) */
    bool export_console;        /* ... contains console */
    char *file_path;            /* LLMTAP_FILE: OTLP JSON lines, or NULL */
    char *traces_url;           /* resolved OTLP traces URL */
    const char *traces_url_log; /* the same for log lines: any userinfo ("user:pass@") masked as
                             "***@"; never NULL once loaded (may point to traces_url) */
    enum lt_protocol protocol;
    char *headers;       /* OTEL_EXPORTER_OTLP_[TRACES_]HEADERS, or NULL */
    bool gzip;           /* ..._COMPRESSION=gzip */
    uint32_t timeout_ms; /* ..._TIMEOUT, default 10000 */
    char *ca_file, *client_cert, *client_key;
    char *service_name;             /* OTEL_SERVICE_NAME, or NULL */
    char *resource_attrs;           /* OTEL_RESOURCE_ATTRIBUTES, or NULL */
    uint32_t bsp_delay_ms;          /* OTEL_BSP_SCHEDULE_DELAY, default 5000 */
    uint32_t bsp_export_timeout_ms; /* OTEL_BSP_EXPORT_TIMEOUT, default 30000 */
    uint32_t bsp_max_queue;         /* OTEL_BSP_MAX_QUEUE_SIZE, default 2048 */
    uint32_t bsp_max_batch;         /* OTEL_BSP_MAX_EXPORT_BATCH_SIZE, default 512 */
    size_t attr_value_limit;        /* OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT, 0 = none */
    size_t attr_count_limit;        /* OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, default 128 */
    enum lt_capture capture;
    enum lt_trace_mode trace_mode;
    size_t max_body;        /* LLMTAP_MAX_BODY bytes, default 8 MiB */
    size_t max_queue_bytes; /* LLMTAP_MAX_QUEUE_BYTES, default 64 MiB */
    char *providers;        /* LLMTAP_PROVIDERS, or NULL */
    char *redact;           /* LLMTAP_REDACT: POSIX ERE for captured content, or NULL
                               (compiled by lt_redact_init, genai/redact.h) */
    char *prices_path;      /* LLMTAP_PRICES: price table file, "none" = no cost, or NULL for
                               the default (handed to lt_price_configure, genai/price.h) */
    int log_level;          /* LLMTAP_LOG: 0 warn (default), 1 info, 2 debug */
};

/** The process's configuration, filled by lt_config_load(). */
extern struct lt_config lt_cfg;

/** Read the environment into lt_cfg. Runs once, in the library constructor, before any
 *  thread of ours exists. Never fails: bad values fall back to defaults (warned once). */
void lt_config_load(void);

/** Parse a boolean the OTel way: true only for case-insensitive "true". */
bool lt_config_bool(const char *v);

#endif
