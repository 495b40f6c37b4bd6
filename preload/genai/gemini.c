/* gemini.c — Google Gemini / Vertex AI generateContent adapter (adapter.h). Skeleton: to be filled in. */
#include "adapter.h"

const struct lt_genai_adapter lt_genai_gemini = {
    .api = LT_API_GEMINI,
    .operation = "generate_content",
};
