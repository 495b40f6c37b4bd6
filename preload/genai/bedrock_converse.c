/* bedrock_converse.c — AWS Bedrock Converse adapter (adapter.h). Skeleton: to be filled in. */
#include "adapter.h"

const struct lt_genai_adapter lt_genai_bedrock_converse = {
    .api = LT_API_BEDROCK_CONVERSE,
    .operation = "chat",
};
