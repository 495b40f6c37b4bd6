/* bedrock_invoke.c — AWS Bedrock InvokeModel adapter (adapter.h). Skeleton: to be filled in. */
#include "adapter.h"

const struct lt_genai_adapter lt_genai_bedrock_invoke = {
    .api = LT_API_BEDROCK_INVOKE,
    .operation = "chat",
};
