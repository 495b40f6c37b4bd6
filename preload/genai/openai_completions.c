/* openai_completions.c — OpenAI legacy Completions adapter (adapter.h). Skeleton: to be filled in. */
#include "adapter.h"

const struct lt_genai_adapter lt_genai_openai_completions = {
    .api = LT_API_OPENAI_COMPLETIONS,
    .operation = "text_completion",
};
