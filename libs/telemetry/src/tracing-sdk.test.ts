import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTracer, inSpan, traceparentOf } from './tracing.js';
import { installTracing } from './tracing-sdk.js';
import type { Tracing } from './tracing-sdk.js';

describe('installTracing', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  beforeAll(() => {
    tracing = installTracing({ serviceName: 'test', instanceId: 'n1', exporter });
  });
  afterAll(() => tracing.shutdown());

  it('continues a trace across a carried traceparent, as over the bus', async () => {
    const tracer = getTracer('parley-test');
    let carried: string | undefined;
    inSpan(tracer, 'gateway.receive', {}, () => {
      carried = traceparentOf();
    });
    expect(carried).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    await inSpan(tracer, 'registry.route', { parent: carried }, async () => {
      await new Promise((r) => setImmediate(r)); // across an asynchronous boundary
      inSpan(tracer, 'registry.deliver', {}, () => undefined);
    });
    const spans = exporter.getFinishedSpans();
    const byName = new Map(spans.map((s) => [s.name, s]));
    const receive = byName.get('gateway.receive')!;
    const route = byName.get('registry.route')!;
    const deliver = byName.get('registry.deliver')!;
    expect(route.spanContext().traceId).toBe(receive.spanContext().traceId);
    expect(deliver.spanContext().traceId).toBe(receive.spanContext().traceId);
    expect(route.parentSpanContext?.spanId).toBe(receive.spanContext().spanId);
    expect(deliver.parentSpanContext?.spanId).toBe(route.spanContext().spanId);
    expect(receive.resource.attributes['service.name']).toBe('test');
  });

  it('marks a span whose function throws as an error', () => {
    const tracer = getTracer('parley-test');
    expect(() =>
      inSpan(tracer, 'boom', {}, () => {
        throw new Error('bad');
      }),
    ).toThrow('bad');
    const span = exporter.getFinishedSpans().find((s) => s.name === 'boom')!;
    expect(span.status.code).toBe(2);
  });
});
