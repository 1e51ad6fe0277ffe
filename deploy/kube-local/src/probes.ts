/** One probe attempt as the kubelet makes it: httpGet, tcpSocket or exec. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { docker } from './docker.js';
import { KubeLocalError } from './errors.js';
import type { Container, Probe } from './types.js';

export interface ProbeTarget {
  podIp: string;
  containerName: string;
  /** Docker container name, for exec probes. */
  dockerName: string;
  resolvePort(port: number | string): number | undefined;
}

export const probeDefaults = (p: Probe) => ({
  initialDelayMs: (p.initialDelaySeconds ?? 0) * 1000,
  periodMs: (p.periodSeconds ?? 10) * 1000,
  timeoutMs: (p.timeoutSeconds ?? 1) * 1000,
  successThreshold: p.successThreshold ?? 1,
  failureThreshold: p.failureThreshold ?? 3,
});

function port(target: ProbeTarget, p: number | string): number {
  const n = target.resolvePort(p);
  if (n === undefined) {
    throw new KubeLocalError(
      'missing-reference',
      `${target.containerName}: probe port ${p} is not a container port`,
    );
  }
  return n;
}

/** Resolves true on success, false on failure (timeouts included). */
export async function probeOnce(probe: Probe, target: ProbeTarget): Promise<boolean> {
  const { timeoutMs } = probeDefaults(probe);
  if (probe.httpGet) {
    const g = probe.httpGet;
    const request = g.scheme === 'HTTPS' ? httpsRequest : httpRequest;
    const headers = Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value]));
    return new Promise((resolve) => {
      const req = request(
        {
          host: g.host ?? target.podIp,
          port: port(target, g.port),
          path: g.path ?? '/',
          method: 'GET',
          headers: { 'user-agent': 'kube-probe/1.32', ...headers },
          timeout: timeoutMs,
          rejectUnauthorized: false, // as the kubelet: HTTPS probes skip verification
        },
        (res) => {
          res.resume();
          const code = res.statusCode ?? 0;
          resolve(code >= 200 && code < 400);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }
  if (probe.tcpSocket) {
    const t = probe.tcpSocket;
    return new Promise((resolve) => {
      const s = connect({ host: t.host ?? target.podIp, port: port(target, t.port) });
      s.setTimeout(timeoutMs, () => {
        s.destroy();
        resolve(false);
      });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  }
  if (probe.exec) {
    try {
      await docker(['exec', target.dockerName, ...(probe.exec.command ?? [])], timeoutMs);
      return true;
    } catch {
      return false;
    }
  }
  throw new KubeLocalError('unsupported', `${target.containerName}: probe kind (grpc?)`);
}

export type ProbeKind = 'startupProbe' | 'readinessProbe' | 'livenessProbe';

export const probesOf = (c: Container): Array<[ProbeKind, Probe]> =>
  (['startupProbe', 'readinessProbe', 'livenessProbe'] as const)
    .filter((k) => c[k] !== undefined)
    .map((k) => [k, c[k]!]);
