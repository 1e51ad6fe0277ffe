import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TracingOptions {
  /** `service.name` of the spans (gateway, session-registry, server, ...). */
  serviceName: string;
  /** `service.instance.id`: the process id in the cluster. */
  instanceId?: string;
  /** OTLP/HTTP traces endpoint, e.g. http://otel-collector:4318/v1/traces. */
  otlpEndpoint?: string;
  /** Share of new traces recorded, 0-1 (default 1); a sampled parent is always followed. */
  sampleRatio?: number;
  /** Export here instead of OTLP, synchronously (tests: an InMemorySpanExporter). */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Installs the OpenTelemetry SDK for this process: a tracer provider whose
 * spans go to an OTLP/HTTP collector (or to `exporter`), AsyncLocalStorage
 * context, and the W3C trace-context propagator the bus envelopes use.
 * Without it the API stays a no-op and tracing costs next to nothing.
 */
export function installTracing(opts: TracingOptions): Tracing {
  const attributes: Record<string, string> = { [ATTR_SERVICE_NAME]: opts.serviceName };
  if (opts.instanceId !== undefined) attributes['service.instance.id'] = opts.instanceId;
  const exporter =
    opts.exporter ??
    new OTLPTraceExporter(opts.otlpEndpoint !== undefined ? { url: opts.otlpEndpoint } : {});
  const processor =
    opts.exporter !== undefined
      ? new SimpleSpanProcessor({ exporter })
      : new BatchSpanProcessor({ exporter });
  const provider = new TracerProvider({
    resource: resourceFromAttributes(attributes),
    sampler: new ParentBasedSampler({
      root: new TraceIdRatioBasedSampler(Math.min(1, Math.max(0, opts.sampleRatio ?? 1))),
    }),
    spanProcessors: [processor],
  });
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
