/**
 * Stanzas for a remote server that the S2S worker took from the bus (and
 * confirmed) while the connection to that server was still being set up.
 * They are kept here until written or bounced, so that when the worker dies
 * the next owner of the partition sends them (or bounces them) instead of
 * losing them: the queue moves with the partition.
 *
 * One entry per stanza, keyed by an id unique within the partition; `load`
 * returns a partition's entries in the order they were added (by `seq`,
 * then by id), grouped by nothing: the caller sends them in that order.
 */
import type { Envelope } from '@parley/routing';

export interface PendingEntry {
  /** Unique within the partition. */
  id: string;
  /** Order of arrival: ms timestamp * 1000 + a counter (monotonic per worker). */
  seq: number;
  /** The remote (or component) domain it is for. */
  domain: string;
  env: Envelope;
}

export interface PendingStore {
  add(partition: number, entry: PendingEntry): Promise<void>;
  remove(partition: number, id: string): Promise<void>;
  /** Every entry of the partition, oldest first. */
  load(partition: number): Promise<PendingEntry[]>;
}

export function byArrival(a: PendingEntry, b: PendingEntry): number {
  return a.seq - b.seq || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Single node: the queue cannot outlive the process, so memory is enough. */
export class MemoryPendingStore implements PendingStore {
  private readonly partitions = new Map<number, Map<string, PendingEntry>>();

  async add(partition: number, entry: PendingEntry): Promise<void> {
    let p = this.partitions.get(partition);
    if (p === undefined) this.partitions.set(partition, (p = new Map()));
    p.set(entry.id, entry);
  }

  async remove(partition: number, id: string): Promise<void> {
    const p = this.partitions.get(partition);
    p?.delete(id);
    if (p?.size === 0) this.partitions.delete(partition);
  }

  async load(partition: number): Promise<PendingEntry[]> {
    return [...(this.partitions.get(partition)?.values() ?? [])].sort(byArrival);
  }
}
