/* worker.c — the exporter thread (OTel SDK spec "Batching processor"): waits on the queue
 * for OTEL_BSP_SCHEDULE_DELAY or a full batch, turns exchanges into spans (genai/ on this
 * thread, never on the host's; early, when their bodies fill the queue's wake_bytes), and
 * ships them in batches of OTEL_BSP_MAX_EXPORT_BATCH_SIZE to every configured exporter
 * (OTLP/HTTP, JSON-lines file, console at exit). Started on the first span; at exit drains
 * within OTEL_BSP_EXPORT_TIMEOUT. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../preload/config.h"
#include "../preload/genai/genai.h"
#include "../preload/guard.h"
#include "../preload/log.h"
#include "../preload/trace/process.h"
#include "export.h"
#include "file.h"
#include "otlp.h"
#include "queue.h"
#include "resource.h"
#include "transport.h"

#define CONSOLE_MAX_SPANS 10000 /* spans kept for the exit-time console tree */
#define EXIT_MARGIN_NS                                                                             \
    100000000u /* the exporter's last send ends this long before the                               \
                  exiting thread's wait does */
#define EXIT_GRACE_NS                                                                              \
    2000000000u /* past its deadline, the exiting thread still waits this                          \
                   long for a libcurl call in flight to return */
#define EXIT_PROBE_NS                                                                              \
    500000000u                   /* at exit, a receiver not reached within this long ends the      \
                                     export */
#define FORK_WAIT_NS 2000000000u /* fork() waits at most this long for libcurl's loading */

/* A FIFO of spans linked by `next` (exporter thread only). */
struct span_list {
    struct lt_span *head, *tail;
    size_t n;
};

/* Module state. `q.lock` also guards started/done/root. */
static struct {
    struct lt_queue q;
    int started; /* 0 no, 1 running, 2 could not start */
    bool done;   /* the final drain finished */
    pthread_cond_t done_cond;
    int shutdown_called;    /* atomic: lt_export_shutdown ran */
    int exit_armed;         /* atomic: lt_export_arm_exit registered the handler */
    uint64_t exit_deadline; /* CLOCK_MONOTONIC ns the exiting thread waits until */
    bool in_client;         /* the exporter thread is inside libcurl (and so maybe libcrypto) */
    bool abandoned;         /* the exiting thread stopped waiting: no new libcurl call may start */
    bool loading;           /* the exporter thread is loading and initialising libcurl */
    struct lt_span *root;   /* process root span handed over at exit */
    void (*at_exit)(void);
    /* exporter-thread-only below */
    struct lt_transport *transport;
    bool transport_tried;
    bool collector_down; /* the last OTLP send could not reach the receiver (atomic: the
                            exiting thread reads it) */
    bool closing;        /* the current round is the final drain at exit */
    int file_fd;
    struct lt_resource res;
    bool have_res;
    struct lt_otlp_scratch scratch; /* protobuf encoder buffers reused between batches */
    struct span_list built;         /* spans built and not shipped yet, oldest first */
    struct span_list console;       /* spans kept for the exit-time console tree */
    int warned_export, warned_file;
    /* Loss accounting, reported once at exit (lt_export_shutdown). Written by the exporter
     * thread with atomics, read by the exiting thread, which may stop waiting for it. */
    uint64_t export_dropped; /* spans in batches the receiver never accepted */
    uint64_t rejected;       /* spans the receiver refused in a partial success */
    uint64_t pending;        /* exchanges (and the root span) taken off the queue whose
                                fate is not known yet: lost if the exit stops waiting */
    int last_status;         /* HTTP status of the last failed export, 0 for none */
    int last_rc;             /* its transport code (-ECONNREFUSED, -ETIMEDOUT, ...) */
    char reject_msg[128];    /* first partial_success error_message (exporter thread) */
    /* Caps every transport deadline (CLOCK_MONOTONIC ns): lowered by the exiting thread so
     * an export in progress ends before the exit stops waiting. */
    uint64_t deadline_cap;
} W = {.file_fd = -1, .deadline_cap = UINT64_MAX};

static void count(uint64_t *c, uint64_t n)
{
    __atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static void uncount(uint64_t *c, uint64_t n)
{
    __atomic_sub_fetch(c, n, __ATOMIC_RELAXED);
}

/* libcurl uses libcrypto, which the process tears down at exit (OPENSSL_cleanup runs from
 * atexit). Every libcurl call is bracketed so the exiting thread never lets exit proceed
 * while one is in flight (bounded by EXIT_GRACE_NS), and none starts after it gave up. */
static bool client_enter(void)
{
    pthread_mutex_lock(&W.q.lock);
    bool ok = !W.abandoned;
    W.in_client = ok;
    pthread_mutex_unlock(&W.q.lock);
    return ok;
}

static void client_leave(void)
{
    pthread_mutex_lock(&W.q.lock);
    W.in_client = false;
    pthread_cond_broadcast(&W.done_cond);
    pthread_mutex_unlock(&W.q.lock);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct timespec ts_of(uint64_t ns)
{
    struct timespec ts = {.tv_sec = (time_t)(ns / 1000000000u),
                          .tv_nsec = (long)(ns % 1000000000u)};
    return ts;
}

void lt_export_init(void (*at_exit)(void))
{
    W.at_exit = at_exit;
    lt_queue_init(&W.q, lt_cfg.bsp_max_queue, lt_cfg.max_queue_bytes, lt_cfg.bsp_max_batch);
    lt_cond_init_monotonic(&W.done_cond);
}

/* ---- exporter thread ------------------------------------------------------------------ */

static void setup_exporters(void)
{
    if (!W.have_res)
        W.have_res = lt_resource_build(&W.res) == 0;
    if (lt_cfg.export_otlp && !W.transport_tried) {
        W.transport_tried = true;
        char ua[64];
        snprintf(ua, sizeof(ua), "llmtap/%s", LLMTAP_VERSION);
        struct lt_transport_config tc = {
            .url = lt_cfg.traces_url,
            .headers = lt_cfg.headers,
            .gzip = lt_cfg.gzip,
            .timeout_ms = lt_cfg.timeout_ms,
            .ca_file = lt_cfg.ca_file,
            .client_cert = lt_cfg.client_cert,
            .client_key = lt_cfg.client_key,
            .user_agent = ua,
            .deadline_cap_ns = &W.deadline_cap,
        };
        if (client_enter()) {
            /* fork() waits for this phase: a child must not inherit libcurl or OpenSSL
             * half-initialised (their init locks held by a thread it does not have). */
            pthread_mutex_lock(&W.q.lock);
            W.loading = true;
            pthread_mutex_unlock(&W.q.lock);
            W.transport = lt_transport_new(&tc);
            pthread_mutex_lock(&W.q.lock);
            W.loading = false;
            pthread_mutex_unlock(&W.q.lock);
            client_leave();
            if (!W.transport)
                lt_log(LT_LOG_WARN, "cannot load libcurl.so.4: OTLP export is off");
        }
    }
    if (lt_cfg.file_path && W.file_fd < 0 && !W.warned_file) {
        W.file_fd = lt_file_open(lt_cfg.file_path);
        if (W.file_fd < 0) {
            W.warned_file = 1;
            lt_log(LT_LOG_WARN, "cannot open LLMTAP_FILE %s: %s", lt_cfg.file_path,
                   strerror(-W.file_fd));
        }
    }
}

static struct lt_span *span_of(struct lt_exchange *x)
{
    struct lt_span *s = lt_span_new("chat", LT_SPAN_KIND_CLIENT);
    if (!s)
        return NULL;
    struct lt_genai_options o = {.capture_content = lt_cfg.capture == LT_CAPTURE_SPAN,
                                 .max_decoded = 0};
    if (lt_genai_build_span(s, x, &o) != 0 || lt_process_assign(s) != 0) {
        lt_span_free(s);
        return NULL;
    }
    s->start_ns = x->t_start_ns;
    s->end_ns = x->t_end_ns ? x->t_end_ns : x->t_start_ns;
    return s;
}

/* One transport call (with its own retries) inside the libcurl bracket. */
static int send_once(const void *body, size_t len, const char *ctype, uint64_t reach_by,
                     uint64_t deadline, int *status)
{
    if (!client_enter())
        return -ECANCELED;
    int rc = lt_transport_send_reach(W.transport, body, len, ctype, reach_by, deadline, status);
    client_leave();
    return rc;
}

/* Ship one batch (`n` spans linked by `next`) to the OTLP receiver and the file. */
static void ship(struct lt_span *batch, size_t n, uint64_t deadline)
{
    if (W.file_fd >= 0) {
        char *json = NULL;
        size_t len = 0;
        if (lt_otlp_json_encode(&W.res, batch, &json, &len) == 0) {
            int rc = lt_file_write_line(W.file_fd, json, len);
            if (rc < 0 && !W.warned_file) {
                W.warned_file = 1;
                lt_log(LT_LOG_WARN, "cannot write LLMTAP_FILE: %s", strerror(-rc));
            }
        }
        free(json);
    }
    if (!W.transport)
        return;
    char *json = NULL; /* heap, freed below; the protobuf body lives in W.scratch */
    const void *body = NULL;
    size_t len = 0;
    const char *ctype;
    int rc;
    if (lt_cfg.protocol == LT_PROTO_HTTP_JSON) {
        ctype = "application/json";
        rc = lt_otlp_json_encode(&W.res, batch, &json, &len);
        body = json;
    } else {
        ctype = "application/x-protobuf";
        const uint8_t *pb = NULL;
        rc = lt_otlp_pb_encode_scratch(&W.scratch, &W.res, batch, &pb, &len);
        body = pb;
    }
    if (rc == 0) {
        int status = 0;
        /* At exit a receiver that cannot be reached is not listening: waiting out the whole
         * export timeout would only delay the program's exit. One that was reached (it may
         * be slow or busy, and may have the spans already) keeps the full budget. */
        uint64_t reach_by = W.closing ? mono_ns() + EXIT_PROBE_NS : UINT64_MAX;
        rc = send_once(body, len, ctype, reach_by, deadline, &status);
        __atomic_store_n(&W.collector_down, rc == -ECONNREFUSED || rc == -ETIMEDOUT,
                         __ATOMIC_RELAXED);
        lt_log(LT_LOG_DEBUG, "exported %zu span(s): rc=%d http=%d", n, rc, status);
        if (rc == 0) {
            /* OTLP "Partial Success": accepted, not retried; the rejected spans are lost. */
            const char *msg = NULL;
            int64_t rej = lt_transport_rejected(W.transport, &msg);
            if (rej > 0) {
                count(&W.rejected, (uint64_t)rej > n ? n : (uint64_t)rej);
                if (msg && !W.reject_msg[0])
                    snprintf(W.reject_msg, sizeof(W.reject_msg), "%s", msg);
            }
        } else {
            count(&W.export_dropped, n);
            __atomic_store_n(&W.last_status, status, __ATOMIC_RELAXED);
            __atomic_store_n(&W.last_rc, rc, __ATOMIC_RELAXED);
            /* The count goes out once, at exit; this is only the first failure's detail. */
            if (!W.warned_export) {
                W.warned_export = 1;
                if (status)
                    lt_log(LT_LOG_INFO, "OTLP receiver %s answered HTTP %d; spans dropped",
                           lt_cfg.traces_url_log, status);
                else
                    lt_log(LT_LOG_INFO, "cannot reach the OTLP receiver at %s: %s",
                           lt_cfg.traces_url_log, strerror(-rc));
            }
        }
    } else {
        count(&W.export_dropped, n); /* could not encode (ENOMEM) */
    }
    free(json);
}

/* Append `s` to `l`. */
static void span_list_push(struct span_list *l, struct lt_span *s)
{
    s->next = NULL;
    if (l->tail)
        l->tail->next = s;
    else
        l->head = s;
    l->tail = s;
    l->n++;
}

/* Free every span of `l` and empty it. */
static void span_list_free(struct span_list *l)
{
    lt_span_free_list(l->head);
    *l = (struct span_list){0};
}

/* Keep spans for the console tree, or free them. */
static void retire(struct lt_span *list)
{
    while (list) {
        struct lt_span *next = list->next;
        if (lt_cfg.export_console && W.console.n < CONSOLE_MAX_SPANS)
            span_list_push(&W.console, list);
        else
            lt_span_free(list);
        list = next;
    }
}

/* Turn taken exchanges into spans (appended to W.built) and free them at once: their
 * bodies go back to the allocator now, not when the batch ships. Consumes the list. */
static void build(struct lt_exchange *xs)
{
    while (xs) {
        struct lt_exchange *next = xs->next;
        struct lt_span *s = span_of(xs);
        lt_exchange_free(xs);
        xs = next;
        if (s)
            span_list_push(&W.built, s);
        else
            uncount(&W.pending, 1); /* not a span: nothing lost */
    }
}

/* Ship the built spans in batches of OTEL_BSP_MAX_EXPORT_BATCH_SIZE, oldest first: the full
 * batches only, or every span when `all`. */
static void ship_built(bool all, uint64_t deadline)
{
    size_t max = lt_cfg.bsp_max_batch; /* at least 1 (config.c) */
    while (W.built.n >= max || (all && W.built.n)) {
        struct lt_span *head = W.built.head, *tail = head;
        size_t n = 1;
        for (; n < max && tail->next; n++)
            tail = tail->next;
        W.built.head = tail->next;
        if (!W.built.head)
            W.built.tail = NULL;
        tail->next = NULL;
        W.built.n -= n;
        ship(head, n, deadline);
        uncount(&W.pending, n);
        retire(head);
    }
}

/* The exporter thread. It runs when a batch is complete (the spans built so far plus the
 * queued exchanges), when the schedule delay has passed, at exit, and whenever the queued
 * bodies pass the queue's wake_bytes: then it only builds spans, and ships on the usual
 * schedule. */
static void *worker_main(void *arg)
{
    lt_guard = 1; /* everything this thread does passes through the hooks untraced */
    setup_exporters();

    size_t batch = lt_cfg.bsp_max_batch; /* at least 1 (config.c) */
    uint64_t delay_ns = (uint64_t)lt_cfg.bsp_delay_ms * 1000000u;
    uint64_t wake = mono_ns() + delay_ns;
    pthread_mutex_lock(&W.q.lock);
    for (;;) {
        W.q.wake_at = W.built.n < batch ? batch - W.built.n : 1;
        while (!lt_queue_due_locked(&W.q)) {
            struct timespec ts = ts_of(wake);
            if (pthread_cond_timedwait(&W.q.cond, &W.q.lock, &ts) == ETIMEDOUT)
                break;
        }
        size_t taken = W.q.n;
        struct lt_exchange *xs = lt_queue_take_locked(&W.q);
        bool closing = W.q.closing;
        struct lt_span *root = closing ? W.root : NULL;
        if (closing)
            W.root = NULL;
        count(&W.pending, taken + (root ? 1 : 0));
        pthread_mutex_unlock(&W.q.lock);

        build(xs);
        if (root)
            span_list_push(&W.built, root);
        bool due = closing || mono_ns() >= wake; /* the schedule delay has passed */
        if (due || W.built.n >= batch) {
            uint64_t deadline = mono_ns() + (uint64_t)lt_cfg.bsp_export_timeout_ms * 1000000u;
            if (closing) {
                /* Finish before the exiting thread stops waiting: after that the process
                 * tears down libraries this thread may be using. */
                deadline = W.exit_deadline > EXIT_MARGIN_NS ? W.exit_deadline - EXIT_MARGIN_NS : 0;
                if (__atomic_load_n(&W.collector_down, __ATOMIC_RELAXED) &&
                    deadline > mono_ns() + 1000000000u)
                    deadline = mono_ns() + 1000000000u; /* it was down before: one short try */
            }
            W.closing = closing;
            ship_built(due, deadline);
            if (due)
                wake = mono_ns() + delay_ns;
        }

        if (closing) {
            lt_otlp_scratch_free(&W.scratch);
            if (lt_cfg.export_console && W.have_res)
                lt_console_write(2, &W.res, W.console.head);
            if (W.transport)
                lt_transport_thread_stop(); /* before `done`: exit handlers may follow it */
            pthread_mutex_lock(&W.q.lock);
            W.done = true;
            pthread_cond_broadcast(&W.done_cond);
            pthread_mutex_unlock(&W.q.lock);
            return NULL;
        }
        pthread_mutex_lock(&W.q.lock);
    }
}

/* Start the exporter thread with every signal blocked (the host's handlers must never run
 * on it). Caller holds q.lock. */
static void start_locked(void)
{
    if (W.started)
        return;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    W.started = pthread_create(&t, &a, worker_main, NULL) == 0 ? 1 : 2;
    pthread_attr_destroy(&a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

bool lt_export_submit(struct lt_exchange *x)
{
    lt_process_note_exchange();
    if (lt_queue_push(&W.q, x) != 0)
        return false;
    if (!__atomic_load_n(&W.started, __ATOMIC_RELAXED)) {
        pthread_mutex_lock(&W.q.lock);
        start_locked();
        pthread_mutex_unlock(&W.q.lock);
    }
    return true;
}

/* Copy `in` into `out` as one printable line: control bytes (a receiver's message could
 * hold a newline) become '?'. */
static void one_line(char *out, size_t cap, const char *in)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (unsigned char)in[i] < 0x20 || in[i] == 0x7f ? '?' : in[i];
    out[i] = '\0';
}

/* The one warning about lost spans, at exit (the count is final, or what the exit could not
 * wait for is counted as lost). Wording, for scripts and the README:
 *   llmtap[PID]: N span(s) dropped (queue full: Q, export failed: F, rejected by receiver: R)
 * followed, when known, by "; last error: HTTP 503" / "; last error: <strerror>" and
 * "; receiver said: <partial_success.error_message>". Caller holds q.lock. */
static void report_drops_locked(bool abandoned)
{
    uint64_t queue = W.q.dropped;
    uint64_t failed = __atomic_load_n(&W.export_dropped, __ATOMIC_RELAXED);
    uint64_t rejected = __atomic_load_n(&W.rejected, __ATOMIC_RELAXED);
    if (abandoned) /* still queued, or taken and not exported in time: lost */
        failed += W.q.n + (W.root ? 1 : 0) + __atomic_load_n(&W.pending, __ATOMIC_RELAXED);
    uint64_t total = queue + failed + rejected;
    if (!total)
        return;
    char err[96] = "", said[160] = "";
    int status = __atomic_load_n(&W.last_status, __ATOMIC_RELAXED);
    int rc = __atomic_load_n(&W.last_rc, __ATOMIC_RELAXED);
    if (status)
        snprintf(err, sizeof(err), "; last error: HTTP %d", status);
    else if (rc)
        snprintf(err, sizeof(err), "; last error: %s", strerror(-rc));
    else if (abandoned)
        snprintf(err, sizeof(err), "; last error: export timeout at exit");
    if (rejected && !abandoned && W.reject_msg[0]) {
        char msg[128];
        one_line(msg, sizeof(msg), W.reject_msg);
        snprintf(said, sizeof(said), "; receiver said: %s", msg);
    }
    lt_log(LT_LOG_WARN,
           "%" PRIu64 " span(s) dropped (queue full: %" PRIu64 ", export failed: %" PRIu64
           ", rejected by receiver: %" PRIu64 ")%s%s",
           total, queue, failed, rejected, err, said);
}

void lt_export_shutdown(void)
{
    if (__atomic_exchange_n(&W.shutdown_called, 1, __ATOMIC_ACQ_REL))
        return;
    struct lt_span *root = lt_process_root_span(real_ns());
    uint64_t deadline = mono_ns() + (uint64_t)lt_cfg.bsp_export_timeout_ms * 1000000u;
    pthread_mutex_lock(&W.q.lock);
    lt_log(LT_LOG_DEBUG, "exit: exporter %s, %zu exchange(s) queued, root span %s",
           W.started == 1 ? "running" : "not running", W.q.n, root ? "yes" : "no");
    if (!W.started && !W.q.n && !root && !lt_cfg.export_console) {
        report_drops_locked(false);
        pthread_mutex_unlock(&W.q.lock);
        return;
    }
    W.root = root;
    W.exit_deadline = deadline;
    /* An export in progress (a scheduled round retrying a slow or failing receiver) must end
     * before this thread stops waiting: cap every transport deadline from now on. */
    uint64_t cap = deadline > EXIT_MARGIN_NS ? deadline - EXIT_MARGIN_NS : 0;
    /* A receiver that could not be reached on the last try gets one short probe, as below. */
    if (__atomic_load_n(&W.collector_down, __ATOMIC_RELAXED) && cap > mono_ns() + EXIT_PROBE_NS)
        cap = mono_ns() + EXIT_PROBE_NS;
    __atomic_store_n(&W.deadline_cap, cap, __ATOMIC_RELEASE);
    start_locked();
    if (W.started != 1) {
        report_drops_locked(false);
        pthread_mutex_unlock(&W.q.lock);
        return;
    }
    W.q.closing = true;
    pthread_cond_signal(&W.q.cond);
    while (!W.done) {
        struct timespec ts = ts_of(deadline);
        if (pthread_cond_timedwait(&W.done_cond, &W.q.lock, &ts) == ETIMEDOUT)
            break;
    }
    if (!W.done) {
        W.abandoned = true;
        struct timespec ts = ts_of(deadline + EXIT_GRACE_NS);
        while (W.in_client)
            if (pthread_cond_timedwait(&W.done_cond, &W.q.lock, &ts) == ETIMEDOUT)
                break;
    }
    report_drops_locked(!W.done);
    pthread_mutex_unlock(&W.q.lock);
}

void lt_export_arm_exit(void)
{
    if (W.at_exit && !__atomic_exchange_n(&W.exit_armed, 1, __ATOMIC_ACQ_REL))
        atexit(W.at_exit);
}

void lt_export_atfork_prepare(void)
{
    pthread_mutex_lock(&W.q.lock);
    if (W.loading) {
        struct timespec ts = ts_of(mono_ns() + FORK_WAIT_NS);
        while (W.loading)
            if (pthread_cond_timedwait(&W.done_cond, &W.q.lock, &ts) == ETIMEDOUT)
                break;
    }
}

void lt_export_atfork_parent(void)
{
    pthread_mutex_unlock(&W.q.lock);
}

void lt_export_atfork_child(void)
{
    /* The parent's queued exchanges and kept spans are the parent's to export. */
    lt_queue_discard(&W.q);
    lt_queue_init(&W.q, lt_cfg.bsp_max_queue, lt_cfg.max_queue_bytes, lt_cfg.bsp_max_batch);
    lt_cond_init_monotonic(&W.done_cond);
    W.started = 0;
    W.done = false;
    W.shutdown_called = 0;
    W.exit_armed = 0;
    W.in_client = W.abandoned = W.loading = false;
    lt_span_free(W.root);
    W.root = NULL;
    span_list_free(&W.built);
    span_list_free(&W.console);
    W.export_dropped = W.rejected = W.pending = 0;
    W.last_status = W.last_rc = 0;
    W.reject_msg[0] = '\0';
    W.warned_export = 0;
    W.deadline_cap = UINT64_MAX;
    /* The parent's exporter thread may have been half-way through loading libcurl when it
     * forked: what it had not finished, this process's exporter thread does again. */
    if (W.transport)
        lt_transport_forget(W.transport);
    else
        W.transport_tried = false;
    if (W.have_res) {
        lt_resource_cleanup(&W.res); /* process.pid changed */
        W.have_res = false;
    }
}
