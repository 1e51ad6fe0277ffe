/** The docker command line: one-shot commands and attached `docker run` processes. */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { KubeLocalError } from './errors.js';

const run = promisify(execFile);

export async function docker(args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await run('docker', args, {
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr ?? String(cause);
    throw new KubeLocalError('docker-failed', `docker ${args[0]}: ${stderr.trim()}`, { cause });
  }
}

/** `docker <args>` without throwing: for cleanup (`rm -f` of what may be gone already). */
export async function dockerQuiet(args: string[]): Promise<void> {
  try {
    await run('docker', args, { timeout: 60_000 });
  } catch {
    // gone already
  }
}

export interface ImageInfo {
  /** `Config.User` of the image ('' = root). */
  user: string;
}

export async function inspectImage(image: string): Promise<ImageInfo> {
  const out = await docker(['image', 'inspect', '--format', '{{json .Config.User}}', image]);
  return { user: JSON.parse(out.trim()) as string };
}

/**
 * Starts `docker run <args>` attached (no -d): the client process lives as
 * long as the container, its output is the container's, and its exit code
 * the container's. Values of the container environment are passed through
 * the client's environment (`-e NAME` without a value), so certificates and
 * multi-line values need no quoting.
 */
export function dockerRunAttached(args: string[], env: Record<string, string>): ChildProcess {
  const clientEnv: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'HOME', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_API_VERSION']) {
    if (process.env[key] !== undefined) clientEnv[key] = process.env[key];
  }
  return spawn('docker', args, {
    env: { ...clientEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
