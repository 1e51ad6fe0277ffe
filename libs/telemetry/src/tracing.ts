import {
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  context,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
} from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';

export { SpanKind };
export type { Span, Tracer };

/**
 * The OpenTelemetry tracer for `name`. Without a registered SDK (see
 * installTracing) this is a no-op tracer, so instrumentation costs next to
 * nothing until one is installed.
 */
export function getTracer(name: string, version?: string): Tracer {
  return trace.getTracer(name, version);
}

/** The API's no-op provider: what the global provider delegates to until an SDK registers one. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();
/** The span `inSpan` hands to its function while nothing is traced. */
const NOOP_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Whether a tracer provider is registered (installTracing, or a test's own):
 * without one, `inSpan` and `traceparentOf` skip the API's no-op span and
 * context machinery, which cost a few percent of a routed stanza's CPU.
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_PROVIDER;
}

/**
 * The W3C `traceparent` of the span active in `ctx` (default: the current
 * context), to carry across the bus; undefined when nothing is being traced.
 */
export function traceparentOf(ctx?: Context): string | undefined {
  if (ctx === undefined) {
    if (!tracingActive()) return undefined;
    ctx = context.active();
  }
  const span = trace.getSpan(ctx);
  if (span === undefined || !span.isRecording()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier['traceparent'];
}

/** The context a carried `traceparent` continues (the root context when absent). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (traceparent === undefined) return context.active();
  return propagation.extract(context.active(), { traceparent });
}

export interface SpanOptions {
  /** A carried W3C traceparent to continue (another process's span). */
  parent?: string | undefined;
  kind?: SpanKind;
  attributes?: Attributes;
}

/**
 * Runs `fn` inside a new span (ended when `fn` settles; an exception marks it
 * as an error). Synchronous functions stay synchronous.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  opts: SpanOptions,
  fn: (span: Span) => T,
): T {
  if (!tracingActive()) return fn(NOOP_SPAN);
  const parent = opts.parent !== undefined ? contextFromTraceparent(opts.parent) : context.active();
  const span = tracer.startSpan(
    name,
    {
      kind: opts.kind ?? SpanKind.INTERNAL,
      ...(opts.attributes ? { attributes: opts.attributes } : {}),
    },
    parent,
  );
  const fail = (err: unknown): never => {
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
    span.end();
    throw err;
  };
  let result: T;
  try {
    result = context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    return fail(err);
  }
  if (result instanceof Promise) {
    return result.then(
      (v: unknown) => {
        span.end();
        return v;
      },
      (err: unknown) => fail(err),
    ) as T;
  }
  span.end();
  return result;
}
