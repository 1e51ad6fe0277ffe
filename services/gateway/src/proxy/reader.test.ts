import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readProxyHeader } from './reader.js';
import type { ProxyReadResult } from './reader.js';
import { v1Header, v2Header } from '../../test/helpers/proxy-headers.js';

const client = { ip: '203.0.113.7', port: 40001 };
const front = { ip: '192.0.2.1', port: 5222 };

function start(timeoutMs = 5000): { socket: PassThrough; results: ProxyReadResult[] } {
  const socket = new PassThrough();
  const results: ProxyReadResult[] = [];
  readProxyHeader(socket, { timeoutMs }, (r) => results.push(r));
  return { socket, results };
}

/** What a `data` listener attached after the header sees. */
async function rest(socket: PassThrough): Promise<string> {
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.end();
  await new Promise((resolve) => socket.once('end', resolve));
  return text;
}

/** One turn of the event loop: the stream's nextTick 'readable' has been handled. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('readProxyHeader', () => {
  it.each([
    ['v1', v1Header(client, front)],
    ['v2', v2Header({ source: client, destination: front, tlvs: [[0x01, Buffer.from('h2')]] })],
  ])(
    'reads a %s header written one byte per packet, then hands over the rest',
    async (_v, header) => {
      const { socket, results } = start();
      const bytes = Buffer.concat([header, Buffer.from("<?xml version='1.0'?>")]);
      for (let i = 0; i < header.length; i++) {
        expect(results).toHaveLength(0);
        socket.write(bytes.subarray(i, i + 1));
        await turn();
        expect(socket.readableLength).toBe(0);
      }
      await vi.waitFor(() => expect(results).toHaveLength(1));
      expect(results[0]).toMatchObject({ ok: true, header: { command: 'proxy', source: client } });
      socket.write(bytes.subarray(header.length));
      expect(await rest(socket)).toBe("<?xml version='1.0'?>");
    },
  );

  it('puts back what came in the same packet as the header', async () => {
    const { socket, results } = start();
    socket.write(Buffer.concat([v1Header(client, front), Buffer.from('\x16\x03\x01hello')]));
    await vi.waitFor(() => expect(results).toHaveLength(1));
    expect(results[0]!.ok).toBe(true);
    expect(await rest(socket)).toBe('\x16\x03\x01hello');
  });

  it('reports a client without a header as missing, and a broken one as invalid', async () => {
    const a = start();
    a.socket.write("<?xml version='1.0'?><stream:stream>");
    await vi.waitFor(() => expect(a.results).toHaveLength(1));
    expect(a.results[0]).toMatchObject({ ok: false, failure: 'missing' });
    const b = start();
    b.socket.write('PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n');
    await vi.waitFor(() => expect(b.results).toHaveLength(1));
    expect(b.results[0]).toMatchObject({ ok: false, failure: 'invalid' });
  });

  it('refuses a v1 line that reaches 107 bytes without its CRLF', async () => {
    const { socket, results } = start();
    socket.write(`PROXY UNKNOWN ${'a'.repeat(60)}`);
    await turn();
    expect(results).toHaveLength(0);
    socket.write('b'.repeat(60));
    await vi.waitFor(() => expect(results).toHaveLength(1));
    expect(results[0]).toMatchObject({ ok: false, failure: 'invalid' });
  });

  it('times out on a header that never completes', async () => {
    vi.useFakeTimers();
    const { socket, results } = start(5000);
    socket.write('PROXY TCP4 203.0.113.7');
    await vi.advanceTimersByTimeAsync(4999);
    expect(results).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(results).toEqual([
      { ok: false, failure: 'timeout', reason: 'no complete PROXY header within 5000 ms' },
    ]);
    // Nothing more is reported, and the reader no longer listens.
    socket.write('\r\n');
    socket.destroy();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(results).toHaveLength(1);
    expect(socket.listenerCount('readable')).toBe(0);
  });

  it('does not time out once the header is read', async () => {
    vi.useFakeTimers();
    const { socket, results } = start(100);
    socket.write(v2Header({ command: 0x0, family: 0, block: Buffer.alloc(0) }));
    await vi.advanceTimersByTimeAsync(0);
    expect(results).toEqual([{ ok: true, header: { version: 2, command: 'local' } }]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(results).toHaveLength(1);
  });

  it('reports a peer that goes away before the header is complete', async () => {
    const { socket, results } = start();
    socket.end('PROXY TCP4');
    await vi.waitFor(() => expect(results).toHaveLength(1));
    expect(results[0]).toMatchObject({ ok: false, failure: 'closed' });
    const b = start();
    b.socket.destroy(new Error('ECONNRESET'));
    await vi.waitFor(() => expect(b.results).toHaveLength(1));
    expect(b.results[0]).toMatchObject({ ok: false, failure: 'closed' });
  });
});
