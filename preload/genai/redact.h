/* redact.h — LLMTAP_REDACT: one POSIX extended regular expression whose matches inside
 * captured content (every string leaf of the JSON that becomes gen_ai.input.messages,
 * gen_ai.output.messages, gen_ai.system_instructions, gen_ai.tool.definitions and the tool
 * call arguments/results inside them) are replaced with "[REDACTED]". Compiled once at load;
 * applied on the exporter thread only, while a span is built (genai.c lt_genai_json_attr).
 * An expression that does not compile fails closed: no content is exported at all. */
#ifndef LT_REDACT_H
#define LT_REDACT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

/** What a match is replaced with. */
#define LT_REDACT_MARK "[REDACTED]"

/** A compiled expression, or the "failed" state of one that did not compile. Opaque; owned
 *  by whoever called lt_redact_new() (the process's own lives for the whole process). */
struct lt_redact;

/** Compile `pattern` with regcomp(REG_EXTENDED). Matching is byte-wise in the locale that is
 *  current at compile time (the "C" locale in a library constructor): a literal UTF-8 word
 *  matches itself, but `.` is one byte, so group multi-byte characters (`(é)+`, not `é+`).
 *  `^` and `$` anchor at the ends of each string, not at newlines; `.` matches a newline.
 *  Returns a new object (free with lt_redact_free), also when the pattern is invalid: that
 *  object is in the failed state (lt_redact_failed) and `err`, when not NULL, receives
 *  regerror()'s message (NUL-terminated, at most `err_len` bytes). Returns NULL only when
 *  `pattern` is NULL or on allocation failure. */
struct lt_redact *lt_redact_new(const char *pattern, char *err, size_t err_len);

/** Free `r` (NULL is a no-op). */
void lt_redact_free(struct lt_redact *r);

/** True when `r`'s pattern did not compile: content must be dropped (fail closed). */
bool lt_redact_failed(const struct lt_redact *r);

/** Redact the NUL-terminated string `s`: every non-empty match of `r` is replaced with
 *  LT_REDACT_MARK, widened to whole UTF-8 characters (a byte-wise match never leaves half a
 *  character behind). Empty matches are skipped (there is nothing to hide), so a pattern such
 *  as `x*` cannot loop. Returns 0 with *out = NULL when nothing matched, 0 with *out a new
 *  malloc'd string (caller frees; at most 10x the input's length) when something did,
 *  -ENOMEM, or -EPERM when `r` is in the failed state. */
int lt_redact_str(const struct lt_redact *r, const char *s, char **out);

/** Redact every string leaf (array elements and object member values, at any depth; object
 *  keys, numbers and booleans are left alone) of `tree` in place. Returns 0, -ENOMEM,
 *  -EPERM (failed state), or -E2BIG when the tree nests deeper than 4096 levels; on an
 *  error the tree may be partly redacted and must not be exported. */
int lt_redact_json(const struct lt_redact *r, cJSON *tree);

/** Compile the process's expression (LLMTAP_REDACT, lt_cfg.redact) once, at load, before any
 *  thread of ours exists; NULL or "" means no redaction. An invalid expression is warned
 *  once and leaves the process in the failed state. Returns 0, -EINVAL (invalid: failed
 *  state), -ENOMEM (also the failed state: fail closed). */
int lt_redact_init(const char *pattern);

/** The process's compiled expression: NULL when LLMTAP_REDACT is unset (no redaction), else
 *  an object that may be in the failed state. Valid for the life of the process. */
const struct lt_redact *lt_redact_process(void);

#endif
