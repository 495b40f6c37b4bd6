/* init.h — process-wide switch the hooks consult before doing any llmtap work. */
#ifndef LT_INIT_H
#define LT_INIT_H

#include <stdbool.h>

/** True once llmtap is initialised and tracing (not disabled, not setuid, sampled).
 *  Written only by the constructor; hooks read it without synchronisation. */
extern bool lt_active;

/** getpid() of the process llmtap's state belongs to: set by the constructor and in a fork
 *  child. A vfork or posix_spawn child (which shares its parent's memory and runs no atfork
 *  handler) sees a different getpid(). */
extern int lt_pid;

/** The _exit(2)/_Exit hook's flush: in a fork child (not a vfork child, not from inside a
 *  hook), finish open exchanges and export them as exit(3) would, bounded by
 *  OTEL_BSP_EXPORT_TIMEOUT, with every signal blocked. Otherwise returns at once. */
void lt_exit_now(void);

#endif
