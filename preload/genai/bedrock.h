/* bedrock.h — what the two AWS Bedrock runtime adapters (bedrock_converse.c,
 * bedrock_invoke.c) share: the model id and the streaming flag, both carried by the
 * request-target (POST /model/{modelId}/{converse|converse-stream|invoke|
 * invoke-with-response-stream}), never by the body. */
#ifndef LT_GENAI_BEDROCK_H
#define LT_GENAI_BEDROCK_H

#include <stdbool.h>
#include <stddef.h>

#include "adapter.h"

/** Split a Bedrock runtime request-target. `*model` gets the URL-decoded {modelId} (heap,
 *  caller frees; a foundation model id such as "anthropic.claude-3-5-sonnet-20240620-v1:0",
 *  an inference profile id "us.anthropic.…" or an ARN, kept as sent); `*stream` is set when
 *  the action ends in "-stream" (ConverseStream, InvokeModelWithResponseStream). A query
 *  string is ignored. Returns 0; -EINVAL when the target has no "/model/{id}/" part or the
 *  id is empty (*model NULL); -ENOMEM. */
int lt_bedrock_parse_target(const char *target, char **model, bool *stream);

/** The adapters' begin step: gen_ai.request.model from the target and, for the streaming
 *  actions, c->req_stream and gen_ai.request.stream=true. When `model_out` is not NULL the
 *  model id is copied there (`n` bytes, NUL-terminated, cut to fit; "" when none). */
void lt_bedrock_begin(struct lt_genai_ctx *c, char *model_out, size_t n);

/** A stream message whose type names an exception (`:exception-type` ends in "Exception"
 *  or "exception": throttlingException, modelStreamErrorException, validationException,
 *  internalServerException, serviceUnavailableException, …): marks the span failed with
 *  error.type = that name and the payload's "message" as description, and returns true.
 *  Returns false (nothing done) for any other type. */
bool lt_bedrock_exception(struct lt_genai_ctx *c, const char *type, size_t type_len,
                          const cJSON *payload);

#endif
