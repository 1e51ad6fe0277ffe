/**
 * The single-node server and xmppctl run from source as child processes
 * (no build needed), for the tests that restart the server: each run gets
 * its own data directory and client port.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServerProcess } from '@parley/testkit';
import type { ServerProcess } from '@parley/testkit';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const NODE_ARGS = ['--conditions=source', '--import', 'tsx'];

/**
 * The environment of a server on `dataDir` and client port `port` (no
 * direct TLS, HTTP on any port, warnings only); `extra` (e.g. the store)
 * comes first, so the test runner's own environment can override it.
 */
export function serverEnv(
  dataDir: string,
  port: number,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    ...extra,
    ...process.env,
    PARLEY_SERVER_DATA_DIR: dataDir,
    PARLEY_C2S_PORT: String(port),
    PARLEY_C2S_DIRECT_TLS_PORT: '0',
    PARLEY_HTTP_PORT: '0',
    PARLEY_LOG_LEVEL: 'warn',
    NODE_TLS_REJECT_UNAUTHORIZED: '0',
  };
}

/** Starts the server process with `env`; resolves once it accepts clients on `port`. */
export function spawnServer(env: NodeJS.ProcessEnv, port: number): Promise<ServerProcess> {
  return startServerProcess({
    binary: process.execPath,
    args: [...NODE_ARGS, MAIN],
    port,
    env,
    startTimeoutMs: 30_000,
  });
}

/** Runs `xmppctl ...args` with `env`; resolves with its output, rejects with its stderr. */
export function cli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [...NODE_ARGS, CLI, ...args], { env }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}
