/* init.c — the library constructor: read the configuration, set up the trace context,
 * prepare the exporter and the fork handlers, then switch the hooks on. Calls that arrive
 * before this (other libraries' constructors) pass through untraced. */
#include "init.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "../export/export.h"
#include "bufpool.h"
#include "config.h"
#include "conn.h"
#include "guard.h"
#include "genai/genai.h"
#include "genai/redact.h"
#include "log.h"
#include "real.h"
#include "trace/process.h"
#include "trace/span.h"

bool lt_active;
int lt_pid;
/* Set in a fork child (pthread_atfork): this process was made by fork without exec. */
static bool fork_child_process;

static void fork_prepare(void)
{
    lt_export_atfork_prepare();
}

static void fork_parent(void)
{
    lt_export_atfork_parent();
    lt_process_note_fork();
}

static void fork_child(void)
{
    lt_pid = (int)getpid();
    fork_child_process = true;
    lt_conn_after_fork();
    lt_bufpool_after_fork();
    lt_export_atfork_child();
    lt_process_after_fork();
}

/* Exit: open exchanges are handed over as ended by exit, then the exporter drains. May be
 * registered twice (see lt_init); runs once. */
static void at_exit(void)
{
    static int once;
    if (__atomic_exchange_n(&once, 1, __ATOMIC_ACQ_REL))
        return;
    lt_conn_finish_all();
    lt_export_shutdown();
}

void lt_exit_now(void)
{
    /* Not in a vfork or posix_spawn child (no atfork handler ran there, so its pid differs
     * from lt_pid): it shares the parent's memory, and the parent's state is not ours to
     * touch. Not from inside llmtap (a signal handler that interrupted a hook). Only in
     * fork children: for them _exit is the normal end (Python multiprocessing, billiard,
     * pre-fork servers); a top process that calls _exit asked to skip clean-up. */
    if (!lt_active || !fork_child_process || lt_guard || (int)getpid() != lt_pid)
        return;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* our flush is not interrupted by handlers */
    lt_guard = 1;
    at_exit();
    lt_guard = 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

__attribute__((constructor)) static void lt_init(void)
{
    lt_pid = (int)getpid();
    lt_real_init_libc();
    /* setuid/setgid programs are left alone (no environment-driven file or network I/O). */
    if (getauxval(AT_SECURE))
        return;
    lt_config_load();
    if (lt_cfg.disabled)
        return;
    lt_span_limits.attr_count = lt_cfg.attr_count_limit;
    lt_span_limits.value_length = lt_cfg.attr_value_limit;
    if (lt_genai_set_providers(lt_cfg.providers) != 0)
        lt_log(LT_LOG_WARN, "LLMTAP_PROVIDERS has malformed entries (ignored)");
    /* Compiled once here; an invalid expression warns and drops all content (fail closed). */
    lt_redact_init(lt_cfg.redact);
    lt_process_init();
    if (!lt_process_recording())
        return;
    lt_export_init(at_exit);
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    /* Registered early, so it runs late: a fallback. The first TLS connection registers
     * it again (lt_export_arm_exit), after the TLS library's own atexit clean-up, so that
     * at exit the flush runs first. It runs once. */
    atexit(at_exit);
    lt_active = true;
    lt_log(LT_LOG_INFO, "active; exporting to %s", lt_cfg.traces_url_log);
}

/* The reentrancy guard declared in guard.h. */
__thread int lt_guard __attribute__((tls_model("initial-exec")));
