#!/usr/bin/env node
/**
 * kube-local: run Kubernetes manifests on this machine with Docker.
 *
 *   kube-local validate <dir>...   render with kubectl kustomize and validate every object
 *   kube-local up <dir> [--image parley:latest] [--port gateway/c2s=5222 ...] [--log-dir d]
 *                                  run it until Ctrl-C, printing the Service ports
 */
import { parseArgs } from 'node:util';
import { startKubeLocal } from './cluster.js';
import { renderKustomize, validateManifests } from './manifests.js';

const usage = `usage:
  kube-local validate <dir>...
  kube-local up <dir> [--image <image>] [--port <service>/<port>=<host port>]... [--log-dir <dir>]`;

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      image: { type: 'string' },
      port: { type: 'string', multiple: true },
      'log-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, ...dirs] = positionals;
  if (values.help || cmd === undefined || dirs.length === 0) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  if (cmd === 'validate') {
    let bad = 0;
    for (const dir of dirs) {
      const objects = await renderKustomize(dir);
      const problems = await validateManifests(objects);
      console.log(`${dir}: ${objects.length} objects, ${problems.length} problems`);
      for (const p of problems) console.log(`  ${p.object}: ${p.message}`);
      bad += problems.length;
    }
    return bad === 0 ? 0 : 1;
  }
  if (cmd !== 'up' || dirs.length !== 1) {
    console.log(usage);
    return 2;
  }
  const servicePorts: Record<string, number> = {};
  for (const spec of values.port ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(spec);
    if (!m) throw new Error(`--port ${spec}: expected <service>/<port>=<host port>`);
    servicePorts[m[1]!] = Number(m[2]);
  }
  const kl = await startKubeLocal({
    dir: dirs[0]!,
    servicePorts,
    ...(values.image ? { image: values.image } : {}),
    ...(values['log-dir'] ? { logDir: values['log-dir'] } : {}),
  });
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    console.log('stopping...');
    void kl.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  await kl.waitReady();
  console.log('every pod is ready');
  for (const p of kl.pods) console.log(`  pod ${p.name} ${p.ip}`);
  for (const s of kl.services.values()) {
    for (const p of s.ports) {
      console.log(
        `  service ${s.name}/${p.name}: 127.0.0.1:${p.local.port} (in pods ${s.name}:${p.port})`,
      );
    }
  }
  for (const [name, entries] of kl.secrets.data)
    console.log(`  secret ${name}: ${[...entries.keys()].join(', ')}`);
  console.log(`  admin token: ${kl.secrets.adminToken}`);
  console.log(`  CA: ${kl.secrets.pki.caFile}; logs: ${kl.logDir}`);
  console.log('Ctrl-C stops everything.');
  return new Promise<number>(() => {});
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
