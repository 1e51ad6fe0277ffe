export { createLogger, isLogLevel } from './logger.js';
export type { LogFields, LogLevel, Logger, LoggerOptions } from './logger.js';
export { createMetrics } from './metrics.js';
export type { Metrics, MetricsOptions } from './metrics.js';
export {
  getTracer,
  traceparentOf,
  contextFromTraceparent,
  inSpan,
  tracingActive,
  SpanKind,
} from './tracing.js';
export type { Span, SpanOptions, Tracer } from './tracing.js';
export { installTracing } from './tracing-sdk.js';
export type { Tracing, TracingOptions } from './tracing-sdk.js';
export { startHttpEndpoint } from './http-endpoint.js';
export type { HttpEndpoint, HttpEndpointOptions, Probe, ProbeResult } from './http-endpoint.js';
export { TelemetryError } from './errors.js';
export type { TelemetryErrorCode } from './errors.js';
export { onShutdownSignal } from './shutdown.js';
export { AUDIT_CHANNEL, AUDIT_MESSAGE, openAuditLog } from './audit-log.js';
export type {
  AuditActor,
  AuditEntry,
  AuditLog,
  AuditLogOptions,
  AuditTarget,
} from './audit-log.js';
