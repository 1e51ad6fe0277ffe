import { chmodSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  TestkitError,
  canConnect,
  findBinary,
  freePort,
  hasBinary,
  isProcessAlive,
  onFreePort,
  removeTempDir,
  tempDir,
  startServerProcess,
} from './index.js';

const node = process.execPath;

describe('freePort', () => {
  it('returns a port that can be listened on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    expect((server.address() as AddressInfo).port).toBe(port);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('hasBinary / findBinary', () => {
  it('finds executables on PATH and by path, and nothing for unknown names', async () => {
    expect(hasBinary('sh')).toBe(true);
    expect(findBinary(node)).toBe(node);
    expect(hasBinary('parley-no-such-binary')).toBe(false);
    const dir = await tempDir('parley-bin');
    const plain = join(dir, 'plain');
    writeFileSync(plain, '#!/bin/sh\n', { mode: 0o644 });
    expect(hasBinary(plain)).toBe(false);
    chmodSync(plain, 0o755);
    expect(hasBinary(plain)).toBe(true);
    expect(hasBinary(dir)).toBe(false);
    await removeTempDir(dir);
  });
});

describe('startServerProcess', () => {
  it('waits for the port, then stops the child with SIGTERM', async () => {
    const port = await freePort();
    const script = `require('net').createServer(s => s.end('hi')).listen(${port}, '127.0.0.1');`;
    const server = await startServerProcess({ binary: node, args: ['-e', script], port });
    expect(server.port).toBe(port);
    expect(isProcessAlive(server.pid)).toBe(true);
    expect(await canConnect(port)).toBe(true);
    await server.stop();
    await server.stop();
    expect(server.exited).toBe(true);
    expect(server.child.signalCode).toBe('SIGTERM');
    expect(isProcessAlive(server.pid)).toBe(false);
    expect(await canConnect(port)).toBe(false);
  });

  it('falls back to SIGKILL when SIGTERM is ignored', async () => {
    const port = await freePort();
    const script = `process.on('SIGTERM', () => {}); require('net').createServer().listen(${port}, '127.0.0.1');`;
    const server = await startServerProcess({
      binary: node,
      args: ['-e', script],
      port,
      stopTimeoutMs: 200,
    });
    await server.stop();
    expect(server.child.signalCode).toBe('SIGKILL');
    expect(isProcessAlive(server.pid)).toBe(false);
  });

  it('reports an early exit with the binary and its stderr', async () => {
    const port = await freePort();
    const err = await startServerProcess({
      binary: node,
      args: ['-e', 'console.error("bad flag --frobnicate"); process.exit(3)'],
      port,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TestkitError);
    expect(err).toMatchObject({ name: 'TestkitError', code: 'start-failed' });
    const message = (err as Error).message;
    expect(message).toContain(node);
    expect(message).toContain('exited with code 3 before accepting connections');
    expect(message).toContain('bad flag --frobnicate');
  });

  it('times out, kills the child and says so', async () => {
    const port = await freePort();
    let pid = 0;
    const err = await startServerProcess({
      binary: node,
      args: [
        '-e',
        'console.error("starting slowly"); console.error(process.pid); setInterval(() => {}, 1000)',
      ],
      port,
      startTimeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'start-timeout' });
    const message = (err as Error).message;
    expect(message).toContain(`did not accept connections on 127.0.0.1:${port} within 300 ms`);
    expect(message).toContain('starting slowly');
    pid = Number(/starting slowly\n(\d+)/.exec(message)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(isProcessAlive(pid)).toBe(false);
  });

  it('rejects unknown binaries', async () => {
    await expect(
      startServerProcess({ binary: 'parley-no-such-binary', args: [], port: 1 }),
    ).rejects.toMatchObject({
      code: 'binary-not-found',
      message: expect.stringContaining('parley-no-such-binary'),
    });
  });
});

describe('onFreePort', () => {
  it('retries when the server lost the port to someone else', async () => {
    const seen: number[] = [];
    const result = await onFreePort(async (port) => {
      seen.push(port);
      if (seen.length === 1) {
        throw new TestkitError(
          'start-failed',
          'x exited with code 1; output:\nlisten tcp: address already in use',
        );
      }
      return port;
    });
    expect(seen).toHaveLength(2);
    expect(result).toBe(seen[1]);
  });

  it('does not retry other failures', async () => {
    let calls = 0;
    await expect(
      onFreePort(() => {
        calls++;
        return Promise.reject(new TestkitError('start-timeout', 'slow'));
      }),
    ).rejects.toThrow('slow');
    expect(calls).toBe(1);
  });
});
