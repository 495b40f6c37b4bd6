/* openai_embeddings.c — OpenAI Embeddings adapter (adapter.h). Skeleton: to be filled in. */
#include "adapter.h"

const struct lt_genai_adapter lt_genai_openai_embeddings = {
    .api = LT_API_OPENAI_EMBEDDINGS,
    .operation = "embeddings",
};
