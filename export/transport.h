/* transport.h — OTLP/HTTP delivery of one encoded payload (OTLP spec "OTLP/HTTP"):
 * POST with the configured headers, optional gzip, per-request timeout, retries on
 * 429/502/503/504 and connection failures with exponential backoff, jitter and Retry-After,
 * https with certificate verification. Runs only on the exporter thread. */
#ifndef LT_TRANSPORT_H
#define LT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

/** Transport settings; lt_transport_new() copies what it keeps. */
struct lt_transport_config {
    const char *url;                 /* full traces URL, e.g. http://localhost:4318/v1/traces */
    const char *headers;             /* OTEL_EXPORTER_OTLP_HEADERS form "k=v,k2=v2" (percent-
                                        encoded values), or NULL */
    int gzip;                        /* non-zero: compress the body, Content-Encoding: gzip */
    uint32_t timeout_ms;             /* per attempt */
    const char *ca_file;             /* OTEL_EXPORTER_OTLP_CERTIFICATE, or NULL */
    const char *client_cert;         /* OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE, or NULL */
    const char *client_key;          /* OTEL_EXPORTER_OTLP_CLIENT_KEY, or NULL */
    const char *user_agent;          /* e.g. "llmtap/0.1.0" */
    const uint64_t *deadline_cap_ns; /* optional, not copied (must outlive the transport):
                                        CLOCK_MONOTONIC ns that caps every send's deadline,
                                        read atomically before each attempt and during
                                        backoff, so another thread can cut retries short
                                        (the exit flush). NULL or UINT64_MAX: no cap */
};

/** Opaque transport. */
struct lt_transport;

/** Create a transport. Returns NULL when the HTTP client cannot be loaded (the reason is
 *  logged once) or on ENOMEM. */
struct lt_transport *lt_transport_new(const struct lt_transport_config *cfg);

/** POST `len` bytes of `content_type` ("application/x-protobuf" or "application/json"),
 *  retrying retryable failures until `deadline_ns` (CLOCK_MONOTONIC ns, lowered by the
 *  config's deadline cap). Retries sleep an exponential backoff with jitter, or the
 *  Retry-After of a 429/503, which also holds back the next send (it waits, or returns
 *  -EAGAIN at once when the wait would pass its deadline). Returns 0 when the
 *  receiver accepted it (2xx, including a partial success: see lt_transport_rejected()),
 *  -EAGAIN when retries ran out,
 *  -EPROTO for a non-retryable HTTP status, -ECONNREFUSED/-ETIMEDOUT for a receiver that
 *  could not be reached before the deadline. `*http_status` (if non-NULL) gets the last
 *  status seen, 0 for none. */
int lt_transport_send(struct lt_transport *t, const void *body, size_t len,
                      const char *content_type, uint64_t deadline_ns, int *http_status);

/** As lt_transport_send(), but while no request has reached the receiver (no connection,
 *  or none that carried a request) nothing outlasts `reach_by_ns` (CLOCK_MONOTONIC ns): an
 *  attempt's connection phase ends by then and no retry starts after it, so a receiver that
 *  is not there is given up on quickly. Once a request was written (or a status came back)
 *  the send has the whole `deadline_ns`: a receiver that is slow to answer keeps its time,
 *  and a timeout cut short never sends the same spans twice. UINT64_MAX: no such bound. */
int lt_transport_send_reach(struct lt_transport *t, const void *body, size_t len,
                            const char *content_type, uint64_t reach_by_ns, uint64_t deadline_ns,
                            int *http_status);

/** After a send that returned 0: how many spans the receiver rejected in its
 *  ExportTraceServiceResponse.partial_success (0 when none, or when the body was absent,
 *  unreadable or over 16 KiB); `*message` (if non-NULL) gets its error_message (cut to 200
 *  bytes, owned by the transport, valid until the next send) or NULL. Partial success is
 *  never retried (OTLP spec "Partial Success"). */
int64_t lt_transport_rejected(const struct lt_transport *t, const char **message);

/** Free the transport. NULL is allowed. */
void lt_transport_free(struct lt_transport *t);

/** Release the calling thread's state in libcurl's TLS library (OPENSSL_thread_stop(3)) now,
 *  instead of in a thread-exit destructor that would race with the exiting process tearing
 *  that library down. Called by the exporter thread as its last libcurl-related act; a no-op
 *  when libcurl was never loaded or its TLS library is not OpenSSL. */
void lt_transport_thread_stop(void);

/** Drop the transport's state in a fork child without touching the parent's connections
 *  (the handle is abandoned, not cleaned up). */
void lt_transport_forget(struct lt_transport *t);

#endif
