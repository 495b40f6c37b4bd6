/* process.c — the process's trace context and root span (see process.h). */
#include "process.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../config.h"
#include "context.h"
#include "ids.h"

/* Module state, written at init (and in a fork child), read by the exporter thread. */
static struct {
    bool recording;
    bool remote_parent;            /* spans hang under a TRACEPARENT we did not create */
    struct lt_span_context remote; /* that parent */
    char *tracestate;              /* TRACESTATE that came with it */
    bool root;                     /* we own a process root span */
    struct lt_span_context root_ctx;
    bool root_has_parent;
    bool root_parent_remote;
    uint8_t root_parent[8];
    uint64_t root_start_ns;
    int exchanges; /* atomic */
    int forked;    /* atomic */
} pst;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Publish our root span as the context children inherit. */
static void export_env(void)
{
    char tp[LT_TRACEPARENT_LEN + 1];
    lt_traceparent_format(&pst.root_ctx, tp);
    char parent_hex[17] = "-";
    if (pst.root_has_parent)
        lt_hex(pst.root_parent, 8, parent_hex);
    char root[96];
    snprintf(root, sizeof(root), "%d,%" PRIu64 ",%s,%d", (int)getpid(), pst.root_start_ns,
             parent_hex, pst.root_parent_remote ? 1 : 0);
    setenv("TRACEPARENT", tp, 1);
    setenv("LLMTAP_ROOT", root, 1);
}

/* A new root span in the trace of `parent` (or a new trace when NULL). */
static void new_root(const struct lt_span_context *parent)
{
    pst.root = true;
    if (parent) {
        memcpy(pst.root_ctx.trace_id, parent->trace_id, 16);
        memcpy(pst.root_parent, parent->span_id, 8);
        pst.root_ctx.flags = parent->flags;
        pst.root_has_parent = true;
        pst.root_parent_remote = true;
    } else {
        lt_ids_trace(pst.root_ctx.trace_id);
        pst.root_ctx.flags = 0x01;
        pst.root_has_parent = false;
    }
    lt_ids_span(pst.root_ctx.span_id);
    pst.root_start_ns = now_ns();
}

/* Parse LLMTAP_ROOT; true when it names this very process (we were exec'd). */
static bool adopt_after_exec(const char *root, const struct lt_span_context *tp)
{
    int pid = 0, remote = 0;
    uint64_t start = 0;
    char parent_hex[17] = {0};
    if (sscanf(root, "%d,%" SCNu64 ",%16[-0-9a-f],%d", &pid, &start, parent_hex, &remote) != 4)
        return false;
    if (pid != (int)getpid())
        return false;
    pst.root = true;
    pst.root_ctx = *tp;
    pst.root_start_ns = start;
    pst.root_has_parent = strlen(parent_hex) == 16;
    pst.root_parent_remote = remote != 0;
    for (int i = 0; pst.root_has_parent && i < 8; i++) {
        unsigned v;
        sscanf(parent_hex + 2 * i, "%2x", &v);
        pst.root_parent[i] = (uint8_t)v;
    }
    return true;
}

void lt_process_init(void)
{
    memset(&pst, 0, sizeof(pst));
    pst.recording = true;
    struct lt_span_context tp;
    const char *tpv = getenv("TRACEPARENT");
    bool have_tp = lt_traceparent_parse(tpv, &tp) == 0;
    const char *root = getenv("LLMTAP_ROOT");
    const char *ts = getenv("TRACESTATE");

    if (have_tp && root && *root) {
        /* TRACEPARENT was set by llmtap: an exec'd continuation or a child process. */
        if (!adopt_after_exec(root, &tp))
            new_root(&tp);
        if (ts && *ts && pst.root_has_parent)
            pst.tracestate = strdup(ts);
        pst.recording = (pst.root_ctx.flags & 0x01) != 0;
        if (lt_cfg.trace_mode == LT_TRACE_PROCESS) {
            export_env();
        } else {
            /* One trace per exchange was asked for: no process span of our own. */
            pst.root = false;
            pst.remote_parent = true;
            pst.remote = tp;
        }
        return;
    }
    if (have_tp) {
        pst.remote_parent = true;
        pst.remote = tp;
        pst.recording = (tp.flags & 0x01) != 0;
        if (ts && *ts)
            pst.tracestate = strdup(ts);
        return;
    }
    if (lt_cfg.trace_mode == LT_TRACE_PROCESS) {
        new_root(NULL);
        export_env();
    }
}

bool lt_process_recording(void)
{
    return pst.recording;
}

int lt_process_assign(struct lt_span *span)
{
    lt_ids_span(span->span_id);
    span->trace_flags = 0x01;
    if (pst.root) {
        memcpy(span->trace_id, pst.root_ctx.trace_id, 16);
        memcpy(span->parent_span_id, pst.root_ctx.span_id, 8);
        span->has_parent = true;
        span->trace_flags = pst.root_ctx.flags;
    } else if (pst.remote_parent) {
        memcpy(span->trace_id, pst.remote.trace_id, 16);
        memcpy(span->parent_span_id, pst.remote.span_id, 8);
        span->has_parent = true;
        span->parent_is_remote = true;
        span->trace_flags = pst.remote.flags;
    } else {
        lt_ids_trace(span->trace_id);
    }
    if (pst.tracestate && span->has_parent) {
        span->trace_state = strdup(pst.tracestate);
        if (!span->trace_state)
            return -ENOMEM;
    }
    return 0;
}

void lt_process_note_exchange(void)
{
    __atomic_store_n(&pst.exchanges, 1, __ATOMIC_RELAXED);
}

void lt_process_note_fork(void)
{
    __atomic_store_n(&pst.forked, 1, __ATOMIC_RELAXED);
}

void lt_process_after_fork(void)
{
    pst.exchanges = 0;
    pst.forked = 0;
    if (!pst.root)
        return;
    struct lt_span_context parent = pst.root_ctx;
    new_root(&parent);
    pst.root_parent_remote = true;
    export_env();
}

struct lt_span *lt_process_root_span(uint64_t end_ns)
{
    if (!pst.root || !pst.recording)
        return NULL;
    if (!__atomic_load_n(&pst.exchanges, __ATOMIC_RELAXED) &&
        !__atomic_load_n(&pst.forked, __ATOMIC_RELAXED))
        return NULL;
    extern char *program_invocation_short_name;
    struct lt_span *s = lt_span_new(program_invocation_short_name, LT_SPAN_KIND_INTERNAL);
    if (!s)
        return NULL;
    memcpy(s->trace_id, pst.root_ctx.trace_id, 16);
    memcpy(s->span_id, pst.root_ctx.span_id, 8);
    s->trace_flags = pst.root_ctx.flags;
    if (pst.root_has_parent) {
        memcpy(s->parent_span_id, pst.root_parent, 8);
        s->has_parent = true;
        s->parent_is_remote = pst.root_parent_remote;
        if (pst.tracestate)
            s->trace_state = strdup(pst.tracestate);
    }
    s->start_ns = pst.root_start_ns;
    s->end_ns = end_ns;
    lt_span_set_int(s, "process.pid", (int64_t)getpid());
    lt_span_set_str(s, "process.executable.name", program_invocation_short_name);
    return s;
}
