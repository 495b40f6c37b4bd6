/* base64.c — standard base64 decoding (base64.h, RFC 4648 §4). */
#include "base64.h"

#include <errno.h>
#include <stdint.h>

static int b64val(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

int lt_base64_decode(const char *in, size_t n, unsigned char *out, size_t *out_len)
{
    /* Padding: at most two '=' and only at the end (RFC 4648 §3.2, §4). */
    size_t pad = 0;
    while (n > 0 && pad < 2 && in[n - 1] == '=') {
        n--;
        pad++;
    }
    if (pad && (n + pad) % 4 != 0)
        return -EINVAL;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)in[i]);
        if (v < 0)
            return -EINVAL;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (n % 4 == 1) /* six bits cannot make a byte */
        return -EINVAL;
    *out_len = o;
    return 0;
}
