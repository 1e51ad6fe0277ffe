import { ProxyTracerProvider, trace } from '@opentelemetry/api';
import type { Tracer, TracerProvider } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { getTracer } from './index.js';

describe('getTracer', () => {
  afterEach(() => trace.disable());

  it('is a no-op until a provider is registered, then delegates to it', () => {
    const tracer = getTracer('parley-test', '1.0.0');
    const before = tracer.startSpan('before');
    expect(before.isRecording()).toBe(false);
    before.end();

    const requested: Array<[string, string | undefined]> = [];
    const started: string[] = [];
    const provider: TracerProvider = {
      getTracer(name, version) {
        requested.push([name, version]);
        const noop = new ProxyTracerProvider().getTracer(name, version);
        return {
          startSpan(spanName, options, context) {
            started.push(spanName);
            return noop.startSpan(spanName, options, context);
          },
          startActiveSpan: noop.startActiveSpan.bind(noop),
        } as Tracer;
      },
    };
    expect(trace.setGlobalTracerProvider(provider)).toBe(true);
    tracer.startSpan('after').end();
    expect(requested).toEqual([['parley-test', '1.0.0']]);
    expect(started).toEqual(['after']);
  });
});
