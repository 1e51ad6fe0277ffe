import { trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';

/**
 * The OpenTelemetry tracer for `name`. Without a registered SDK this is a
 * no-op tracer, so instrumentation costs next to nothing until one is installed.
 */
export function getTracer(name: string, version?: string): Tracer {
  return trace.getTracer(name, version);
}
