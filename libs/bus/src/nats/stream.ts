import type { JetStreamManager, StreamConfig, StreamInfo } from '@nats-io/jetstream';
import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { isStreamNotFound } from './errors.js';

export interface DurableStreamOptions {
  /** Stream name (default `PARLEY_ROUTE`). */
  name?: string;
  /** Subjects the stream stores (default `['xmpp.r.>']`). */
  subjects?: string[];
  /** Messages older than this are dropped (default 1 hour). */
  maxAgeMs?: number;
  /** Default `file`: survives a NATS restart. `memory` does not. */
  storage?: 'file' | 'memory';
  /** Copies kept in a JetStream cluster (default 1). */
  replicas?: number;
}

export interface ResolvedStreamOptions {
  name: string;
  subjects: string[];
  maxAgeMs: number;
  storage: 'file' | 'memory';
  replicas: number;
  /** Window in which a re-sent message id is recognised as a duplicate. */
  duplicateWindowMs: number;
}

export const DEFAULT_STREAM = 'PARLEY_ROUTE';
export const DEFAULT_STREAM_SUBJECTS = ['xmpp.r.>'];
const HOUR = 60 * 60 * 1000;
/** Longer than the publisher's retry budget, so a retried publish is never stored twice. */
const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

export function resolveStreamOptions(
  opts: DurableStreamOptions | undefined,
): ResolvedStreamOptions {
  const maxAgeMs = opts?.maxAgeMs ?? HOUR;
  if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0) {
    throw new Error(`stream.maxAgeMs must be a positive number, got ${maxAgeMs}`);
  }
  const subjects = opts?.subjects ?? DEFAULT_STREAM_SUBJECTS;
  if (subjects.length === 0) throw new Error('stream.subjects must not be empty');
  const replicas = opts?.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new Error(`stream.replicas must be an integer from 1 to 5, got ${replicas}`);
  }
  return {
    name: opts?.name ?? DEFAULT_STREAM,
    subjects: [...subjects],
    maxAgeMs,
    storage: opts?.storage ?? 'file',
    replicas,
    duplicateWindowMs: Math.min(DUPLICATE_WINDOW_MS, maxAgeMs),
  };
}

function desiredConfig(o: ResolvedStreamOptions): Partial<StreamConfig> & { name: string } {
  return {
    name: o.name,
    subjects: o.subjects,
    retention: RetentionPolicy.Limits,
    storage: o.storage === 'memory' ? StorageType.Memory : StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(o.maxAgeMs),
    duplicate_window: nanos(o.duplicateWindowMs),
    num_replicas: o.replicas,
  };
}

function sameSubjects(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

function needsUpdate(info: StreamInfo, want: ReturnType<typeof desiredConfig>): boolean {
  const have = info.config;
  return (
    !sameSubjects(have.subjects ?? [], want.subjects ?? []) ||
    have.max_age !== want.max_age ||
    have.duplicate_window !== want.duplicate_window ||
    have.discard !== want.discard ||
    have.num_replicas !== want.num_replicas
  );
}

/** JetStream's "stream name already in use" (another process created it first). */
const STREAM_NAME_IN_USE = 10058;

/**
 * Creates the durable stream, or brings an existing one to the wanted
 * limits. Idempotent, and safe when several processes start at once: a lost
 * creation race falls back to comparing and updating. Storage and retention
 * cannot change on a live stream; a mismatch is reported as an error rather
 * than by deleting data.
 */
export async function ensureStream(
  jsm: JetStreamManager,
  opts: ResolvedStreamOptions,
): Promise<StreamInfo> {
  const want = desiredConfig(opts);
  for (let attempt = 0; ; attempt++) {
    let info: StreamInfo | undefined;
    try {
      info = await jsm.streams.info(opts.name);
    } catch (err) {
      if (!isStreamNotFound(err)) throw err;
    }
    if (info === undefined) {
      try {
        return await jsm.streams.add(want);
      } catch (err) {
        if (err instanceof JetStreamApiError && err.code === STREAM_NAME_IN_USE && attempt < 3) {
          continue; // somebody else created it: compare and update
        }
        throw err;
      }
    }
    if (info.config.storage !== want.storage || info.config.retention !== want.retention) {
      throw new Error(
        `stream ${opts.name} exists with storage=${info.config.storage} retention=${info.config.retention}; ` +
          `wanted storage=${want.storage} retention=${want.retention}: these cannot be changed in place ` +
          `(delete the stream or configure a different name)`,
      );
    }
    if (!needsUpdate(info, want)) return info;
    const { name: _name, storage: _storage, retention: _retention, ...update } = want;
    return await jsm.streams.update(opts.name, { ...info.config, ...update });
  }
}
