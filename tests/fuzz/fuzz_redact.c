/* fuzz_redact.c — libFuzzer target for LLMTAP_REDACT (preload/genai/redact.c) on untrusted
 * content. The first byte picks one of a few fixed expressions (the expression is the user's,
 * the content is not), the rest is the content: redacted as one string, and, when it parses
 * as JSON, as a tree. Invariants: valid UTF-8 in gives valid UTF-8 out, the output is at most
 * ten times the input, and a redacted string no longer matches the expression outside its
 * marks (checked for expressions that cannot match inside "[REDACTED]"). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "genai/redact.h"

static const char *const patterns[] = {
    "sk-[A-Za-z0-9_-]+", "x*", "^a|b$", "caf.", "(é)+|日本", "[0-9]{3,}", ".", "\\bkey\\b", "",
};
#define N_PATTERNS (sizeof(patterns) / sizeof(*patterns))
/* Expressions that cannot match inside the mark itself (for the "no match left" check). */
static const bool mark_safe[N_PATTERNS] = {true, false, false, false, true, true, false, false};

static struct lt_redact *compiled[N_PATTERNS];

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
static bool valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += len;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t pi = data[0] % N_PATTERNS;
    if (!compiled[pi]) {
        compiled[pi] = lt_redact_new(patterns[pi], NULL, 0);
        if (!compiled[pi] || lt_redact_failed(compiled[pi]))
            abort();
    }
    const struct lt_redact *r = compiled[pi];
    size_t n = size - 1;
    char *s = malloc(n + 1);
    if (!s)
        return 0;
    memcpy(s, data + 1, n);
    s[n] = '\0';
    size_t len = strlen(s); /* content is a C string: stop at an embedded NUL */

    char *out = NULL;
    if (lt_redact_str(r, s, &out) == 0 && out) {
        size_t on = strlen(out);
        if (on > 10 * len + 1)
            abort();
        if (valid_utf8((const unsigned char *)s, len) && !valid_utf8((unsigned char *)out, on))
            abort();
        if (mark_safe[pi] && valid_utf8((const unsigned char *)s, len)) {
            char *again = NULL;
            if (lt_redact_str(r, out, &again) == 0 && again)
                abort(); /* a match survived (or was created by) redaction */
        }
        free(out);
    }

    cJSON *j = cJSON_ParseWithLength(s, len);
    if (j) {
        if (lt_redact_json(r, j) == 0) {
            char *p = cJSON_PrintUnformatted(j);
            free(p);
        }
        cJSON_Delete(j);
    }
    free(s);
    return 0;
}
