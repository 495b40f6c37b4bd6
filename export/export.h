/* export.h — the exporter as the runtime sees it: a bounded hand-off from host threads and
 * a background thread that turns exchanges into spans and ships them (batching per
 * OTEL_BSP_*; OTel SDK spec "Batching processor"). */
#ifndef LT_EXPORT_H
#define LT_EXPORT_H

#include <stdbool.h>

#include "../preload/exchange.h"

/** Prepare the queue (no thread yet). Constructor time, after lt_config_load().
 *  `at_exit` is the runtime's exit handler; see lt_export_arm_exit(). */
void lt_export_init(void (*at_exit)(void));

/** Register the exit handler (again) with atexit(3), once per process. Called from a host
 *  thread when it first uses TLS: by then the TLS library has registered its own exit-time
 *  clean-up (OPENSSL_cleanup), and handlers run in reverse order, so the final flush runs
 *  while libcrypto is still whole. */
void lt_export_arm_exit(void);

/** Hand a finished exchange to the exporter; takes ownership in every case. Never blocks
 *  beyond a short mutex hold and never does I/O; starts the exporter thread on first use.
 *  Returns false when the queue was full (the exchange is dropped and counted). */
bool lt_export_submit(struct lt_exchange *x);

/** Process exit: export everything queued plus the process root span, waiting at most
 *  OTEL_BSP_EXPORT_TIMEOUT ms. Runs once; later calls return at once. */
void lt_export_shutdown(void);

/** fork(2) handlers: prepare/parent keep the queue lock consistent; the child starts clean
 *  (queued spans belong to the parent, the exporter thread does not exist in the child and
 *  starts again on its first span). */
void lt_export_atfork_prepare(void);
void lt_export_atfork_parent(void);
void lt_export_atfork_child(void);

#endif
