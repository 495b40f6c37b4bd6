/* exchange.h — one LLM HTTP exchange (request + response) as reconstructed on the host
 * thread by conn.c and handed, finished, to the exporter thread where genai/ turns it into
 * a span. It holds only what a span may need: no credential header is ever copied in. */
#ifndef LT_EXCHANGE_H
#define LT_EXCHANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "http/decode.h"

/** The LLM API an exchange speaks, chosen from host, path and configuration. */
enum lt_api {
    LT_API_NONE = 0,
    LT_API_OPENAI_CHAT,        /* POST …/chat/completions (OpenAI and compatible servers) */
    LT_API_ANTHROPIC_MESSAGES, /* POST /v1/messages */
    LT_API_OPENAI_RESPONSES,   /* POST …/responses (OpenAI Responses API) */
    LT_API_OPENAI_EMBEDDINGS,  /* POST …/embeddings */
    LT_API_OPENAI_COMPLETIONS, /* POST …/completions (legacy text completions) */
    LT_API_GEMINI,             /* POST …/models/{m}:generateContent | :streamGenerateContent */
    LT_API_BEDROCK_CONVERSE,   /* POST /model/{id}/converse | /converse-stream */
    LT_API_BEDROCK_INVOKE,     /* POST /model/{id}/invoke | /invoke-with-response-stream */
    LT_API_COHERE_CHAT,        /* POST /v2/chat (Cohere v2) */
    LT_API_OLLAMA_CHAT,        /* POST /api/chat (Ollama native) */
    LT_API_OLLAMA_GENERATE,    /* POST /api/generate (Ollama native) */
};

/** How the exchange ended. */
enum lt_exchange_end {
    LT_END_COMPLETE = 0, /* the response was read to its end */
    LT_END_CUT_OFF,      /* the connection closed/was freed before the response ended */
    LT_END_PROTOCOL,     /* the bytes stopped being parseable HTTP */
    LT_END_EXIT,         /* the process exited with the response still open */
    LT_END_RESET,        /* HTTP/2: the stream was reset (RST_STREAM, or refused by GOAWAY) */
};

/** A finished exchange. Heap object owned by whoever holds it (conn.c, then the queue,
 *  then the exporter thread), released with lt_exchange_free(). Times are ns since the
 *  Unix epoch (CLOCK_REALTIME). */
struct lt_exchange {
    enum lt_api api;
    char provider[48];        /* gen_ai.provider.name, e.g. "openai" */
    char server_address[256]; /* logical host: Host header, else SNI */
    int server_port;          /* from Host, else the peer port, else 443 */
    char peer_address[64];    /* numeric peer IP when the connection has an fd, else "" */
    int peer_port;
    char method[16];
    char *target; /* request-target (path + query), heap */

    /* request */
    enum lt_encoding req_encoding;
    struct lt_buf req_body; /* body with transfer coding removed, content coding kept */

    /* response */
    int status; /* HTTP status, 0 when no response head was read */
    enum lt_encoding resp_encoding;
    char resp_content_type[128];
    struct lt_buf resp_body;

    enum lt_exchange_end end;
    uint32_t h2_error;        /* LT_END_RESET: the HTTP/2 error code (RFC 9113 §7) */
    uint64_t t_start_ns;      /* first request byte written */
    uint64_t t_first_body_ns; /* first response body byte read, 0 if none */
    uint64_t t_end_ns;        /* last response byte read, or the cut-off */
    struct lt_exchange *next; /* queue link */
};

/** Allocate a zeroed exchange whose bodies are capped at `max_body` bytes each. */
struct lt_exchange *lt_exchange_new(size_t max_body);

/** Free an exchange and its buffers. NULL is allowed. */
void lt_exchange_free(struct lt_exchange *x);

#endif
