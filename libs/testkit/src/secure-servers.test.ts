import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32, crc16 } from './nkey.js';
import {
  createNkeyUser,
  createTestPki,
  hasBinary,
  startNatsServer,
  startRedisServer,
} from './index.js';
import type { TestPki } from './index.js';

/** Writes `send` once connected and resolves with the data received until `done` says so. */
function talk(socket: Socket, send: string | undefined, done: (d: string) => boolean) {
  return new Promise<string>((resolve, reject) => {
    let data = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`timed out; got ${JSON.stringify(data)}`));
    });
    // A TLS socket may write at once: node queues the data until the handshake is done.
    if (send !== undefined) socket.write(send);
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (done(data)) {
        socket.destroy();
        resolve(data);
      }
    });
    socket.on('error', reject);
  });
}

describe('nkey encoding', () => {
  it('matches known answers (RFC 4648 base32, CRC-16/XMODEM)', () => {
    expect(base32(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
  });
  it('makes user keys and seeds of the nkeys shape', () => {
    const { publicKey, seed } = createNkeyUser();
    expect(publicKey).toMatch(/^U[A-Z2-7]{55}$/);
    expect(seed).toMatch(/^SU[A-Z2-7]{56}$/);
  });
});

describe.skipIf(!hasBinary('openssl'))('createTestPki', () => {
  it('makes a CA, a server and a client certificate', async () => {
    const pki = await createTestPki();
    try {
      for (const f of [pki.caFile, pki.serverCertFile, pki.clientCertFile, pki.otherCaFile])
        expect(readFileSync(f, 'utf8')).toContain('BEGIN CERTIFICATE');
      expect(readFileSync(pki.serverKeyFile, 'utf8')).toContain('PRIVATE KEY');
    } finally {
      await pki.remove();
    }
  });
});

describe.skipIf(!hasBinary('openssl') || !hasBinary('nats-server') || !hasBinary('redis-server'))(
  'servers that require authentication and TLS',
  () => {
    let pki: TestPki;
    beforeAll(async () => {
      pki = await createTestPki();
    });
    afterAll(() => pki.remove());

    it('nats-server announces auth_required and tls_required', async () => {
      const nats = await startNatsServer({
        auth: { users: [{ user: 'u', password: 'p' }], nkeys: [createNkeyUser().publicKey] },
        tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, caFile: pki.caFile },
      });
      try {
        expect(nats.url).toBe(`tls://127.0.0.1:${nats.port}`);
        const line = await talk(tcpConnect(nats.port, '127.0.0.1'), undefined, (d) =>
          d.includes('\r\n'),
        );
        const info = JSON.parse(line.slice(5, line.indexOf('\r\n'))) as Record<string, unknown>;
        expect(info).toMatchObject({ auth_required: true, tls_required: true });
      } finally {
        await nats.stop();
      }
    });

    it('redis-server speaks TLS only and wants the password', async () => {
      const redis = await startRedisServer({
        password: 'secret',
        tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, caFile: pki.caFile },
      });
      try {
        expect(redis.url).toBe(`rediss://127.0.0.1:${redis.port}`);
        const ca = readFileSync(pki.caFile);
        const open = () => tlsConnect({ port: redis.port, host: '127.0.0.1', ca });
        const noAuth = await talk(open(), 'PING\r\n', (d) => d.includes('\r\n'));
        expect(noAuth).toMatch(/^-NOAUTH/);
        const ok = await talk(open(), 'AUTH secret\r\nPING\r\n', (d) => d.includes('PONG'));
        expect(ok).toBe('+OK\r\n+PONG\r\n');
      } finally {
        await redis.stop();
      }
    });
  },
);
