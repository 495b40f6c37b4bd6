/* ollama.c — Ollama native /api/chat and /api/generate adapters (adapter.h). Skeleton. */
#include "adapter.h"

const struct lt_genai_adapter lt_genai_ollama_chat = {
    .api = LT_API_OLLAMA_CHAT,
    .operation = "chat",
};

const struct lt_genai_adapter lt_genai_ollama_generate = {
    .api = LT_API_OLLAMA_GENERATE,
    .operation = "text_completion",
};
