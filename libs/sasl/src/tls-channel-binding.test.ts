import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { SecureVersion, TLSSocket } from 'node:tls';
import { connect, createServer } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { deriveCredentials } from './credentials.js';
import { createServerMechanism } from './mechanisms.js';
import { ScramClient } from './scram-client.js';
import {
  serverEndPointBinding,
  serverEndPointHash,
  tlsChannelBinding,
} from './tls-channel-binding.js';
import type { ChannelBindingSource } from './types.js';

// Self-signed ecdsa-with-SHA384 test certificate made for these tests only.
const key = readFileSync(new URL('./testdata/key.pem', import.meta.url));
const cert = readFileSync(new URL('./testdata/cert.pem', import.meta.url));

/** Connects a client to a fresh TLS server; returns both ends' binding sources. */
async function connectPair(
  version: SecureVersion,
  serverOpts: Parameters<typeof tlsChannelBinding>[2] = {},
): Promise<{
  server: ChannelBindingSource;
  client: ChannelBindingSource;
  close: () => void;
}> {
  const server = createServer({ key, cert, minVersion: version, maxVersion: version });
  const accepted = new Promise<TLSSocket>((resolve) => server.on('secureConnection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const clientSocket = connect({ port, host: '127.0.0.1', ca: cert, servername: 'parley.test' });
  await new Promise<void>((resolve, reject) => {
    clientSocket.once('secureConnect', resolve);
    clientSocket.once('error', reject);
  });
  const serverSocket = await accepted;
  return {
    server: tlsChannelBinding(serverSocket, 'server', serverOpts),
    client: tlsChannelBinding(clientSocket, 'client'),
    close: () => {
      clientSocket.destroy();
      serverSocket.destroy();
      server.close();
    },
  };
}

function der(pem: Buffer): Buffer {
  const body = pem
    .toString()
    .replace(/-----[^-]+-----/g, '')
    .replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}

describe('tlsChannelBinding', () => {
  it('gives both ends the same tls-exporter, tls-server-end-point and tls-unique data on TLS 1.3', async () => {
    const pair = await connectPair('TLSv1.3');
    try {
      expect(pair.server.types).toEqual(['tls-exporter', 'tls-server-end-point', 'tls-unique']);
      expect(pair.client.types).toEqual(pair.server.types);
      const exporter = pair.server.get('tls-exporter');
      expect(exporter).toHaveLength(32);
      expect(pair.client.get('tls-exporter')).toEqual(exporter);
      // tls-unique on TLS 1.3: the client's Finished message (a full handshake), as OpenSSL
      // peers such as Python's ssl module compute it.
      const unique = pair.server.get('tls-unique');
      expect(unique!.length).toBeGreaterThanOrEqual(32);
      expect(pair.client.get('tls-unique')).toEqual(unique);
      // The certificate is signed with ecdsa-with-SHA384, so SHA-384 of its DER.
      const endPoint = createHash('sha384').update(der(cert)).digest();
      expect(pair.server.get('tls-server-end-point')).toEqual(endPoint);
      expect(pair.client.get('tls-server-end-point')).toEqual(endPoint);
      pair.close();
      expect(pair.server.get('tls-exporter')).toBeUndefined();
    } finally {
      pair.close();
    }
  });

  it('takes the server certificate from the caller, computes each type once and none after close', async () => {
    const pair = await connectPair('TLSv1.3', { serverCertificate: der(cert) });
    try {
      expect(pair.server.types).toEqual(['tls-exporter', 'tls-server-end-point', 'tls-unique']);
      const endPoint = pair.server.get('tls-server-end-point');
      expect(endPoint).toEqual(pair.client.get('tls-server-end-point'));
      expect(pair.server.get('tls-server-end-point')).toBe(endPoint);
      const exporter = pair.server.get('tls-exporter');
      expect(exporter).toEqual(pair.client.get('tls-exporter'));
      expect(pair.server.get('tls-exporter')).toBe(exporter);
    } finally {
      pair.close();
    }
    expect(pair.server.get('tls-exporter')).toBeUndefined();
  });

  it('gives both ends the same tls-unique data on TLS 1.2, and no tls-exporter', async () => {
    const pair = await connectPair('TLSv1.2');
    try {
      expect(pair.server.types).toEqual(['tls-unique', 'tls-server-end-point']);
      const unique = pair.server.get('tls-unique');
      expect(unique?.length).toBeGreaterThan(0);
      expect(pair.client.get('tls-unique')).toEqual(unique);
      expect(pair.server.get('tls-exporter')).toBeUndefined();
    } finally {
      pair.close();
    }
  });

  it('binds a SCRAM-SHA-256-PLUS exchange to a real TLS connection', async () => {
    const pair = await connectPair('TLSv1.3');
    try {
      const creds = await deriveCredentials('s3cret');
      const mechanism = createServerMechanism('SCRAM-SHA-256-PLUS', {
        secure: true,
        channelBinding: pair.server,
        lookup: async (username) => (username === 'alice' ? creds : undefined),
      });
      const data = pair.client.get('tls-exporter');
      if (data === undefined) throw new Error('no tls-exporter data');
      const client = new ScramClient('SHA-256', 'alice', 's3cret', { type: 'tls-exporter', data });
      const first = await mechanism.start(client.first());
      if (first.kind !== 'challenge') throw new Error('expected a challenge');
      const result = await mechanism.step(client.final(first.data));
      expect(result.kind).toBe('success');
    } finally {
      pair.close();
    }
  });
});

describe('serverEndPointHash', () => {
  /** A minimal certificate-shaped DER with the given signature algorithm OID (hex). */
  const fakeCert = (oidHex: string): Buffer => {
    const oid = Buffer.from(oidHex, 'hex');
    const algorithm = Buffer.concat([Buffer.from([0x30, oid.length + 2, 0x06, oid.length]), oid]);
    const body = Buffer.concat([
      Buffer.from([0x30, 0x00]),
      algorithm,
      Buffer.from([0x03, 0x01, 0x00]),
    ]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
  };

  it.each([
    ['2a864886f70d010104', 'sha256'], // md5WithRSAEncryption
    ['2a864886f70d010105', 'sha256'], // sha1WithRSAEncryption
    ['2a864886f70d01010b', 'sha256'],
    ['2a864886f70d01010d', 'sha512'],
    ['2a8648ce3d0401', 'sha256'], // ecdsa-with-SHA1
    ['2a8648ce3d040303', 'sha384'],
  ])('maps signature algorithm %s to %s', (oid, hash) => {
    expect(serverEndPointHash(fakeCert(oid))).toBe(hash);
  });

  it('has no hash for RSASSA-PSS, Ed25519 or garbage', () => {
    expect(serverEndPointHash(fakeCert('2a864886f70d01010a'))).toBeUndefined();
    expect(serverEndPointHash(fakeCert('2b6570'))).toBeUndefined();
    expect(serverEndPointHash(Buffer.from([0x30, 0x81]))).toBeUndefined();
    expect(serverEndPointHash(Buffer.alloc(0))).toBeUndefined();
    expect(serverEndPointBinding(Buffer.from([0x04, 0x00]))).toBeUndefined();
  });

  it('reads the real certificate (long-form DER lengths)', () => {
    expect(serverEndPointHash(der(cert))).toBe('sha384');
  });
});
