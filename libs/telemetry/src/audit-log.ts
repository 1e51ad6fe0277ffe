/**
 * The audit log: one JSON line per administrative action (admin API
 * request, `xmppctl` command), on the `audit` channel of the process's
 * logger and, optionally, appended to a file of its own.
 *
 * Redaction happens at the source: an entry has a closed shape (who, what,
 * on which target, with which outcome), and whoever writes one copies only
 * those fields, never a request body, a password, a token or a message.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';

/** The `channel` field of every audit record. */
export const AUDIT_CHANNEL = 'audit';

/** The `msg` of every audit record. */
export const AUDIT_MESSAGE = 'admin action';

/** Longest string value kept in an entry (a JID is at most 3071 bytes); longer ones are cut. */
const MAX_VALUE = 1024;

/** Who acted. */
export type AuditActor =
  | {
      /** An admin API request with a valid bearer token. */
      kind: 'token';
      /** The token's configured name (never the token). */
      token: string;
      scopes: readonly string[];
      domains?: readonly string[];
      /** Client address of the request. */
      address: string;
    }
  | {
      /** An admin API request without a valid token. */
      kind: 'anonymous';
      address: string;
    }
  | {
      /** `xmppctl` run by a local user. */
      kind: 'cli';
      /** The operating-system user running it. */
      user: string;
      uid?: number;
      /** The user who ran it through sudo (SUDO_USER), when that is how it ran. */
      sudoUser?: string;
      host: string;
    };

/** What was acted on: JIDs, rooms, domains named by the request (never its content). */
export interface AuditTarget {
  jid?: string;
  contact?: string;
  resource?: string;
  room?: string;
  nick?: string;
  domain?: string;
  from?: string;
  to?: string;
  /** A client address (IPv4, or an IPv6 /64) whose login refusal was listed or lifted. */
  address?: string;
  users?: readonly string[];
}

export interface AuditEntry {
  actor: AuditActor;
  /** The operation: an admin API operationId, or an `xmppctl` command such as `user add`. */
  action: string;
  /** HTTP method and route pattern (admin API). */
  method?: string;
  route?: string;
  target?: AuditTarget;
  /** `ok`, `refused` (authentication, authorization, rate limit, validation) or `failed`. */
  outcome: 'ok' | 'refused' | 'failed';
  /** HTTP status (admin API) or exit code (CLI). */
  status: number;
  /** The problem code or error message of a refused or failed action. */
  error?: string;
  durationMs?: number;
  /** Request id (admin API). */
  requestId?: string;
}

export interface AuditLogOptions {
  service: string;
  nodeId?: string;
  /** Where the `audit` channel is written with the process's other logs; omitted: the file only. */
  logger?: Logger;
  /** Path of a file the records are appended to (created with mode 0600). */
  file?: string;
  /** Clock for the `time` field (tests). */
  now?: () => Date;
}

export interface AuditLog {
  write(entry: AuditEntry): void;
  /** Closes the file (if any). */
  close(): void;
}

/** Opens the audit log; a file that cannot be opened throws (the caller names its config key). */
export function openAuditLog(opts: AuditLogOptions): AuditLog {
  const channel = opts.logger?.child({ channel: AUDIT_CHANNEL });
  let fd: number | undefined =
    opts.file === undefined ? undefined : openSync(opts.file, 'a', 0o600);
  let reported = false;
  const file =
    fd === undefined
      ? undefined
      : createLogger({
          service: opts.service,
          ...(opts.nodeId !== undefined ? { nodeId: opts.nodeId } : {}),
          fields: { channel: AUDIT_CHANNEL },
          ...(opts.now !== undefined ? { now: opts.now } : {}),
          // Synchronous: a record is on disk (in the kernel's cache) before the action's answer.
          sink: (line) => {
            if (fd === undefined) return;
            try {
              writeSync(fd, line);
            } catch (err) {
              if (!reported) opts.logger?.error('cannot write the audit log', { err });
              reported = true;
            }
          },
        });
  return {
    write(entry) {
      const fields = clean(entry);
      channel?.info(AUDIT_MESSAGE, fields);
      file?.info(AUDIT_MESSAGE, fields);
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** The entry with only its declared fields, and long strings cut. */
function clean(e: AuditEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {
    actor: cleanActor(e.actor),
    action: cut(e.action),
  };
  if (e.method !== undefined) out['method'] = cut(e.method);
  if (e.route !== undefined) out['route'] = cut(e.route);
  if (e.target !== undefined) {
    const t = cleanTarget(e.target);
    if (Object.keys(t).length > 0) out['target'] = t;
  }
  out['outcome'] = e.outcome;
  out['status'] = e.status;
  if (e.error !== undefined) out['error'] = cut(e.error);
  if (e.durationMs !== undefined) out['durationMs'] = Math.round(e.durationMs * 10) / 10;
  if (e.requestId !== undefined) out['requestId'] = cut(e.requestId);
  return out;
}

function cleanActor(a: AuditActor): Record<string, unknown> {
  switch (a.kind) {
    case 'token':
      return {
        kind: a.kind,
        token: cut(a.token),
        scopes: a.scopes.map(cut),
        ...(a.domains !== undefined ? { domains: a.domains.map(cut) } : {}),
        address: cut(a.address),
      };
    case 'anonymous':
      return { kind: a.kind, address: cut(a.address) };
    case 'cli':
      return {
        kind: a.kind,
        user: cut(a.user),
        ...(a.uid !== undefined ? { uid: a.uid } : {}),
        ...(a.sudoUser !== undefined ? { sudoUser: cut(a.sudoUser) } : {}),
        host: cut(a.host),
      };
  }
}

const TARGET_KEYS = [
  'jid',
  'contact',
  'resource',
  'room',
  'nick',
  'domain',
  'from',
  'to',
  'address',
] as const;

function cleanTarget(t: AuditTarget): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of TARGET_KEYS) {
    const v = t[k];
    if (typeof v === 'string') out[k] = cut(v);
  }
  if (Array.isArray(t.users)) out['users'] = t.users.slice(0, 100).map(cut);
  return out;
}

function cut(s: string): string {
  return typeof s !== 'string' ? String(s) : s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE)}…` : s;
}
