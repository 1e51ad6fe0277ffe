/**
 * The audit record of an `xmppctl` command that acts on the stores directly
 * (issue 15): who ran it (the local user, and SUDO_USER), the command, the
 * account or domain it named, and how it ended. Appended to admin.auditLog
 * when set (the same file the admin API writes), else written to standard
 * error as one JSON line on the `audit` channel. Passwords never reach it:
 * a record holds the command name and target only.
 */
import { hostname, userInfo } from 'node:os';
import type { Config } from '@parley/config';
import { createLogger, openAuditLog } from '@parley/telemetry';
import type { AuditActor, AuditLog, AuditTarget } from '@parley/telemetry';

/** The local user running the command; a uid without a passwd entry is named by its number. */
export function cliActor(env: NodeJS.ProcessEnv = process.env): AuditActor {
  let user: string;
  let uid: number | undefined;
  try {
    const info = userInfo();
    user = info.username;
    uid = info.uid >= 0 ? info.uid : undefined;
  } catch {
    uid = process.getuid?.();
    user = env['USER'] ?? env['LOGNAME'] ?? (uid !== undefined ? `uid:${uid}` : 'unknown');
  }
  const sudoUser = env['SUDO_USER'];
  return {
    kind: 'cli',
    user,
    ...(uid !== undefined ? { uid } : {}),
    ...(sudoUser ? { sudoUser } : {}),
    host: hostname(),
  };
}

/** The audit log of xmppctl: the file of admin.auditLog, else standard error. */
export function openCliAuditLog(config: Config): AuditLog {
  const file = config.admin.auditLog;
  if (file !== undefined) {
    try {
      return openAuditLog({ service: 'xmppctl', nodeId: config.server.nodeId, file });
    } catch (err) {
      throw new Error(`admin.auditLog: cannot open ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  const logger = createLogger({
    service: 'xmppctl',
    nodeId: config.server.nodeId,
    sink: (line) => process.stderr.write(line),
  });
  return openAuditLog({ service: 'xmppctl', logger });
}

/**
 * Runs one command and records it: outcome `ok` with exit code 0, else
 * `failed` with the exit code (1 for an exception, whose message is kept).
 */
export async function audited(
  audit: AuditLog,
  action: string,
  target: AuditTarget | undefined,
  run: () => Promise<number>,
  actor: AuditActor = cliActor(),
): Promise<number> {
  const started = performance.now();
  const record = (status: number, error?: string) =>
    audit.write({
      actor,
      action,
      ...(target !== undefined ? { target } : {}),
      outcome: status === 0 ? 'ok' : 'failed',
      status,
      ...(error !== undefined ? { error } : {}),
      durationMs: performance.now() - started,
    });
  try {
    const code = await run();
    record(code);
    return code;
  } catch (err) {
    record(1, err instanceof Error ? err.message : String(err));
    throw err;
  }
}
