import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  canConnect,
  hasBinary,
  isProcessAlive,
  startNatsServer,
  startPostgresServer,
  startRedisServer,
  startRedisWithClients,
} from './index.js';

/** Connects, optionally writes, and resolves with what was received once `complete` says so. */
function exchange(
  port: number,
  send: string | undefined,
  complete: (data: string) => boolean,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let data = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`no line from port ${port}`));
    });
    socket.on('connect', () => {
      if (send !== undefined) socket.write(send);
    });
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (complete(data)) {
        socket.destroy();
        resolve(data);
      }
    });
    socket.on('error', reject);
  });
}

async function firstLine(port: number, send?: string): Promise<string> {
  const data = await exchange(port, send, (d) => d.includes('\r\n'));
  return data.slice(0, data.indexOf('\r\n'));
}

function parseInfo(line: string): Record<string, unknown> {
  expect(line.startsWith('INFO ')).toBe(true);
  return JSON.parse(line.slice('INFO '.length)) as Record<string, unknown>;
}

describe.skipIf(!hasBinary('nats-server'))('startNatsServer', () => {
  it('starts a server that greets with INFO, and stops it', async () => {
    const nats = await startNatsServer();
    try {
      expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
      expect(nats.storeDir).toBeUndefined();
      const info = parseInfo(await firstLine(nats.port));
      expect(info['port']).toBe(nats.port);
      expect(info['jetstream']).toBeUndefined();
    } finally {
      await nats.stop();
    }
    expect(isProcessAlive(nats.pid)).toBe(false);
    expect(await canConnect(nats.port)).toBe(false);
  });

  it('enables JetStream with a store directory that survives restart', async () => {
    const nats = await startNatsServer({ jetstream: true });
    const firstPid = nats.pid;
    const storeDir = nats.storeDir;
    try {
      expect(storeDir).toBeDefined();
      expect(parseInfo(await firstLine(nats.port))['jetstream']).toBe(true);
      await nats.restart();
      expect(nats.pid).not.toBe(firstPid);
      expect(isProcessAlive(firstPid)).toBe(false);
      expect(nats.storeDir).toBe(storeDir);
      expect(parseInfo(await firstLine(nats.port))['port']).toBe(nats.port);
    } finally {
      await nats.stop();
    }
    expect(existsSync(storeDir ?? '')).toBe(false);
    await expect(nats.restart()).rejects.toMatchObject({ code: 'stopped' });
  });
});

describe.skipIf(!hasBinary('redis-server'))('startRedisServer', () => {
  it('starts a server that answers PING with +PONG, and stops it', async () => {
    const redis = await startRedisServer();
    try {
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await firstLine(redis.port, 'PING\r\n')).toBe('+PONG');
      expect(await firstLine(redis.port, '*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n')).toBe(
        '*2',
      );
    } finally {
      await redis.stop();
    }
    expect(isProcessAlive(redis.pid)).toBe(false);
    expect(await canConnect(redis.port)).toBe(false);
    await redis.stop();
  });

  it('runs several servers side by side', async () => {
    const [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    try {
      expect(a.port).not.toBe(b.port);
      expect(await firstLine(a.port, 'PING\r\n')).toBe('+PONG');
      expect(await firstLine(b.port, 'PING\r\n')).toBe('+PONG');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('startRedisWithClients: clients of the server, disconnected before it stops', async () => {
    const seenAtDisconnect: { url: string; serverUp: boolean }[] = [];
    const redis = await startRedisWithClients((url) => {
      const client = {
        url,
        disconnect: () =>
          seenAtDisconnect.push({ url, serverUp: isProcessAlive(redis.server.pid) }),
      };
      return client;
    });
    const [a, b] = [redis.connect(), redis.connect()];
    expect(a.url).toBe(redis.server.url);
    expect(redis.clients).toEqual([a, b]);
    expect(await firstLine(redis.server.port, 'PING\r\n')).toBe('+PONG');
    await redis.stop();
    expect(seenAtDisconnect).toEqual([
      { url: redis.server.url, serverUp: true },
      { url: redis.server.url, serverUp: true },
    ]);
    expect(isProcessAlive(redis.server.pid)).toBe(false);
  });
});

describe.skipIf(!hasBinary('psql'))('startPostgresServer', () => {
  const psql = async (url: string, sql: string): Promise<string> => {
    const { execFile } = await import('node:child_process');
    return new Promise((resolve, reject) => {
      execFile('psql', ['-Atq', '-d', url, '-c', sql], (err, stdout, stderr) =>
        err ? reject(new Error(stderr || String(err))) : resolve(stdout.trim()),
      );
    });
  };

  it('initdb + start on a free port; data survives kill/start; stop removes it', async () => {
    const server = await startPostgresServer();
    try {
      expect(await psql(server.url, 'SELECT 40 + 2')).toBe('42');
      await psql(server.url, 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)');
      await server.kill();
      expect(isProcessAlive(server.pid)).toBe(false);
      await server.start();
      expect(await psql(server.url, 'SELECT x FROM kept')).toBe('7');
    } finally {
      await server.stop();
    }
    expect(await canConnect(server.port)).toBe(false);
  });

  it('requires the password when one is set', async () => {
    const server = await startPostgresServer({ password: 's3cret' });
    try {
      expect(await psql(server.url, 'SELECT 1')).toBe('1');
      await expect(
        psql(server.urlFor('postgres').replace('s3cret', 'nope'), 'SELECT 1'),
      ).rejects.toThrow(/password authentication failed/);
    } finally {
      await server.stop();
    }
  });
});
