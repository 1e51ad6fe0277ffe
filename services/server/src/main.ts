#!/usr/bin/env node
import { ConfigError, loadConfig } from '@parley/config';
import { startServer } from './server.js';

/** `pnpm start`: the single-node server (all services, in-process bus, LMDB in ./data). */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const server = await startServer(config);
  const domain = config.server.domains[0] ?? 'localhost';
  const ports = server.gateway.ports;
  server.logger.info('server started', {
    domains: config.server.domains,
    c2s: ports.c2s,
    directTls: ports.directTls,
    http: server.http?.port,
    dataDir: config.server.dataDir,
  });
  process.stdout.write(
    `\nParley is listening for XMPP clients on port ${ports.c2s} (STARTTLS)` +
      (ports.directTls ? ` and ${ports.directTls} (direct TLS)` : '') +
      `.\nCreate a user:   pnpm xmppctl user add alice@${domain}\n` +
      `Then connect any XMPP client as alice@${domain} to 127.0.0.1:${ports.c2s}` +
      ` (the certificate is self-signed unless tls.certFile is set).\n\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info('shutting down', { signal });
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.logger.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('fatal:', err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
