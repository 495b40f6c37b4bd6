/* resource.h — the OTel resource of this process (SPEC.md "Resource"; OTel spec
 * resource/sdk.md for OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES precedence). */
#ifndef LT_RESOURCE_H
#define LT_RESOURCE_H

#include "otlp.h"

/** Fill `res` from lt_cfg and the process: service.name, OTEL_RESOURCE_ATTRIBUTES entries
 *  (percent-decoded), process.pid, process.executable.name, process.command,
 *  process.runtime.name (when known), host.name, host.arch, telemetry.sdk.*. Returns 0 or
 *  -ENOMEM. Release with lt_resource_cleanup(). */
int lt_resource_build(struct lt_resource *res);

/** Free what lt_resource_build() allocated. */
void lt_resource_cleanup(struct lt_resource *res);

#endif
