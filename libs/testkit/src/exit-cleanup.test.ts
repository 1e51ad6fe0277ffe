import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { hasBinary, isProcessAlive } from './index.js';

const indexTs = fileURLToPath(new URL('./index.ts', import.meta.url));

const untilDead = (pid: number) =>
  vi.waitFor(() => expect(isProcessAlive(pid)).toBe(false), { timeout: 5_000, interval: 20 });

describe.skipIf(!hasBinary('redis-server') || !hasBinary('nats-server'))('process exit', () => {
  it('kills servers and removes their directories when the owning process exits', async () => {
    // A script that starts servers and exits without stopping them.
    const script = `
      import { startNatsServer, startRedisServer, tempDir } from ${JSON.stringify(indexTs)};
      const nats = await startNatsServer({ jetstream: true });
      const redis = await startRedisServer();
      const dir = await tempDir('parley-exit');
      console.log(JSON.stringify({ nats: nats.pid, redis: redis.pid, store: nats.storeDir, dir }));
    `;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { timeout: 20_000 },
        (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
      );
    });
    const started = JSON.parse(stdout.trim()) as {
      nats: number;
      redis: number;
      store: string;
      dir: string;
    };
    await untilDead(started.nats);
    await untilDead(started.redis);
    expect(existsSync(started.store)).toBe(false);
    expect(existsSync(started.dir)).toBe(false);
  });
});
