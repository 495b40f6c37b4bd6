/* cohere.c — Cohere v2 chat adapter (adapter.h). Skeleton: to be filled in. */
#include "adapter.h"

const struct lt_genai_adapter lt_genai_cohere_chat = {
    .api = LT_API_COHERE_CHAT,
    .operation = "chat",
};
