/* openai_common.h — helpers shared by the OpenAI-family adapters (openai.c: Chat
 * Completions; openai_completions.c; openai_embeddings.c; openai_responses.c), defined in
 * openai.c: the sampling parameters Chat Completions and legacy Completions share, the
 * Chat-style usage object (with the compatible providers' own fields), an error object in
 * a 2xx body or stream chunk, and the Azure OpenAI deployment name from the request path. */
#ifndef LT_GENAI_OPENAI_COMMON_H
#define LT_GENAI_OPENAI_COMMON_H

#include <stdbool.h>

#include "adapter.h"

/** Request parameters Chat Completions and legacy Completions share: temperature, top_p,
 *  frequency/presence penalty (double), max_tokens / max_completion_tokens, seed (also
 *  Mistral's `random_seed`), n (only when != 1), stop (string or array, first 16), stream
 *  (sets c->req_stream). Attribute names as in SPEC.md "Inference span". */
void lt_openai_sampling(struct lt_genai_ctx *c, const cJSON *req);

/** A Chat-style usage object {prompt_tokens, completion_tokens, prompt_tokens_details,
 *  completion_tokens_details} into gen_ai.usage.*; compatible providers' fields fill gaps:
 *  DeepSeek `prompt_cache_hit_tokens` (cache read, when prompt_tokens_details.cached_tokens
 *  is absent), Perplexity's top-level `reasoning_tokens`. NULL `u` sets nothing. */
void lt_openai_usage(struct lt_genai_ctx *c, const cJSON *u);

/** An `{"error":{"message","type","code"}}` object in `j`: marks the span failed
 *  (lt_genai_fail, error.type from type/code) and returns true; false when there is none. */
bool lt_openai_body_error(struct lt_genai_ctx *c, const cJSON *j);

/** Azure OpenAI names the model by deployment in the path
 *  (/openai/deployments/{deployment}/chat/completions?api-version=…): set
 *  gen_ai.request.model to the URL-decoded deployment when the target has one. Called from
 *  begin(); a `model` in the request body then replaces it. */
void lt_openai_azure_model(struct lt_genai_ctx *c);

#endif
