/* openai_responses.c — OpenAI Responses API adapter (adapter.h). Skeleton: to be filled in. */
#include "adapter.h"

const struct lt_genai_adapter lt_genai_openai_responses = {
    .api = LT_API_OPENAI_RESPONSES,
    .operation = "chat",
};
