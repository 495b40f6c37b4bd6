/* log.h — diagnostics on stderr with write(2): one call per line, no stdio, no locks;
 * rate-limited so a broken collector yields one warning, not a stream. Off below the level
 * set by LLMTAP_LOG (default warn; off silences every line). */
#ifndef LT_LOG_H
#define LT_LOG_H

/* LT_LOG_OFF is only a threshold (LLMTAP_LOG=off|error|none, `llmtap -q`): nothing is logged. */
enum lt_log_level { LT_LOG_OFF = -1, LT_LOG_WARN = 0, LT_LOG_INFO = 1, LT_LOG_DEBUG = 2 };

/** Set the threshold (from LLMTAP_LOG). */
void lt_log_set_level(int level);

/** Log a printf-style line at `level` prefixed "llmtap: ". Lines over 512 bytes are cut.
 *  At most 20 lines per second are written; the rest are counted and summarised. */
void lt_log(enum lt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Log once per process for the given flag word (use a static int per call site). */
#define lt_log_once(flag, level, ...)                                                              \
    do {                                                                                           \
        if (!__atomic_exchange_n(&(flag), 1, __ATOMIC_RELAXED))                                    \
            lt_log(level, __VA_ARGS__);                                                            \
    } while (0)

#endif
