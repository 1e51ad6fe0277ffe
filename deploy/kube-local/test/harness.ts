/** Shared by the overlay proofs: start an overlay with kube-local, call its admin API. */
import { resolve } from 'node:path';
import { startKubeLocal } from '../src/index.js';
import type { KubeLocal } from '../src/index.js';

export const repoRoot = resolve(import.meta.dirname, '../../..');

/** Renders, validates and runs an overlay (relative to the repository), then waits for every pod. */
export async function startOverlay(dir: string): Promise<KubeLocal> {
  const started = Date.now();
  const kl = await startKubeLocal({
    dir: resolve(repoRoot, dir),
    log: (l) => console.log(`[kube-local] ${l}`),
    ...(process.env['KUBE_LOCAL_LOG_DIR'] ? { logDir: process.env['KUBE_LOCAL_LOG_DIR'] } : {}),
  });
  try {
    await kl.waitReady(300_000);
  } catch (err) {
    await kl.stop();
    throw err;
  }
  console.log(
    `[kube-local] ${dir}: every pod ready after ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return kl;
}

/** The first XMPP domain of the ConfigMap parley-config. */
export function domainOf(kl: KubeLocal): string {
  const config = kl.objects.find(
    (o) => o.kind === 'ConfigMap' && o.metadata?.name === 'parley-config',
  );
  const domains = (config?.['data'] as Record<string, string> | undefined)?.[
    'PARLEY_SERVER_DOMAINS'
  ];
  return (domains ?? '').split(',')[0]!.trim();
}

/** A request to the admin API through its Service, with the token of the generated Secret parley-admin. */
export async function adminApi(kl: KubeLocal, method: string, path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${kl.servicePort('admin-api', 'api')}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${kl.secrets.adminToken}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
