/* process.h — the trace this process's spans belong to. Without TRACEPARENT all exchanges
 * of a process share one trace under a process root span (INTERNAL, named after the
 * executable), and the process's own context is placed in TRACEPARENT so children join it;
 * with a valid TRACEPARENT every exchange span is its child; LLMTAP_TRACE=call gives one
 * trace per exchange. LLMTAP_ROOT ("pid,start_ns,parent-span-hex|-") marks a TRACEPARENT
 * that llmtap itself set, so a child parents its own process span on it and a process
 * that exec'd keeps the root span it had before exec. */
#ifndef LT_PROCESS_H
#define LT_PROCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "span.h"

/** Decide the process's trace layout from lt_cfg and the environment; may setenv
 *  TRACEPARENT and LLMTAP_ROOT (constructor time, before the program's main). */
void lt_process_init(void);

/** False when the parent context says "not sampled": nothing is recorded (parent-based
 *  sampling, the SDK default). */
bool lt_process_recording(void);

/** Give `span` its trace id, parent, flags and tracestate, and a new span id. Exporter
 *  thread only. Returns 0 or -ENOMEM. */
int lt_process_assign(struct lt_span *span);

/** Note that the process traced an exchange (its root span is worth exporting). */
void lt_process_note_exchange(void);

/** Note that the process forked a child (which may parent its spans on our root). */
void lt_process_note_fork(void);

/** In a fork child: a new process span under the parent's, new pid, env updated. */
void lt_process_after_fork(void);

/** The process root span, ended at `end_ns`, or NULL when there is none or it is not worth
 *  exporting (no exchange and no child). Caller owns the span. */
struct lt_span *lt_process_root_span(uint64_t end_ns);

#endif
