import { ACKED_DID_MAX, ACKED_DID_RETAIN_MS } from '../resumption.js';
import type {
  ClaimRequest,
  NewResumption,
  OutboundEntry,
  ResumptionState,
  ResumptionStore,
} from '../resumption.js';
import { Lifecycle } from '../shared/lifecycle.js';
import {
  checkCounter,
  checkEntries,
  checkResumptionId,
  outOfSequence,
} from '../shared/resumption-validate.js';

export interface MemoryResumptionStoreOptions {
  /** How long after expiry an unreaped record is still kept (default 60 s). */
  retainMs?: number;
}

interface Rec extends Omit<ResumptionState, 'outbound' | 'ackedDids'> {
  outbound: OutboundEntry[];
  /** Acknowledged delivery ids with when they were acknowledged, oldest first. */
  ackedDids: [did: string, at: number][];
}

/**
 * Process-local resumption state: for a single node and for tests. Every
 * operation runs synchronously inside its call, so each one is atomic.
 */
export class MemoryResumptionStore implements ResumptionStore {
  private readonly records = new Map<string, Rec>();
  private readonly life = new Lifecycle();
  private readonly retainMs: number;

  constructor(opts: MemoryResumptionStoreOptions = {}) {
    this.retainMs = opts.retainMs ?? 60_000;
  }

  async create(init: NewResumption): Promise<boolean> {
    this.life.assertOpen();
    if (this.live(init.id) !== undefined) return false;
    this.records.set(init.id, {
      id: init.id,
      jid: init.jid,
      gw: init.gw,
      conn: init.conn,
      epoch: 1,
      inboundH: 0,
      outboundSeq: 0,
      acked: 0,
      outbound: [],
      ackedDids: [],
      expiresAt: init.expiresAt,
    });
    return true;
  }

  async get(id: string): Promise<ResumptionState | undefined> {
    this.life.assertOpen();
    const rec = this.live(id);
    return rec === undefined ? undefined : copy(rec);
  }

  async appendOutbound(
    id: string,
    epoch: number,
    entries: readonly OutboundEntry[],
  ): Promise<boolean> {
    this.life.assertOpen();
    checkEntries(entries);
    const rec = this.owned(id, epoch);
    if (rec === undefined) return false;
    const first = entries[0];
    if (first !== undefined && first[0] !== rec.outboundSeq + 1) throw outOfSequence(id);
    for (const [seq, xml, did] of entries) rec.outbound.push(entry(seq, xml, did));
    const last = entries[entries.length - 1];
    if (last !== undefined) rec.outboundSeq = last[0];
    return true;
  }

  async ack(id: string, epoch: number, h: number, now = Date.now()): Promise<boolean> {
    this.life.assertOpen();
    checkCounter(h, 'h');
    const rec = this.owned(id, epoch);
    if (rec === undefined) return false;
    let drop = 0;
    while (drop < rec.outbound.length && rec.outbound[drop]![0] <= h) {
      const did = rec.outbound[drop]![2];
      if (did !== undefined) rec.ackedDids.push([did, now]);
      drop++;
    }
    if (drop > 0) rec.outbound.splice(0, drop);
    const keep = rec.ackedDids.filter(([, at]) => at > now - ACKED_DID_RETAIN_MS);
    rec.ackedDids = keep.slice(Math.max(0, keep.length - ACKED_DID_MAX));
    if (h > rec.acked) rec.acked = h;
    return true;
  }

  async setInboundH(id: string, epoch: number, h: number): Promise<boolean> {
    this.life.assertOpen();
    checkCounter(h, 'h');
    const rec = this.owned(id, epoch);
    if (rec === undefined) return false;
    rec.inboundH = h;
    return true;
  }

  async touch(id: string, epoch: number, expiresAt: number): Promise<boolean> {
    this.life.assertOpen();
    const rec = this.owned(id, epoch);
    if (rec === undefined) return false;
    rec.expiresAt = expiresAt;
    return true;
  }

  async detach(id: string, epoch: number, detachedAt: number, expiresAt: number): Promise<boolean> {
    this.life.assertOpen();
    const rec = this.owned(id, epoch);
    if (rec === undefined) return false;
    rec.detachedAt = detachedAt;
    rec.expiresAt = expiresAt;
    return true;
  }

  async claim(id: string, req: ClaimRequest): Promise<ResumptionState | undefined> {
    this.life.assertOpen();
    const rec = this.live(id);
    if (rec === undefined || rec.epoch !== req.epoch || rec.expiresAt <= req.now) return undefined;
    rec.epoch++;
    rec.gw = req.gw;
    rec.conn = req.conn;
    rec.expiresAt = req.expiresAt;
    delete rec.detachedAt;
    return copy(rec);
  }

  async delete(id: string, epoch?: number): Promise<ResumptionState | undefined> {
    this.life.assertOpen();
    const rec = this.live(id);
    if (rec === undefined || (epoch !== undefined && rec.epoch !== epoch)) return undefined;
    this.records.delete(id);
    return copy(rec);
  }

  async expired(now: number, limit: number): Promise<string[]> {
    this.life.assertOpen();
    checkCounter(limit, 'limit');
    const found: Rec[] = [];
    const drop = Date.now() - this.retainMs;
    for (const rec of this.records.values()) {
      if (rec.expiresAt <= drop) this.records.delete(rec.id);
      else if (rec.expiresAt <= now) found.push(rec);
    }
    found.sort((a, b) => a.expiresAt - b.expiresAt);
    return found.slice(0, limit).map((r) => r.id);
  }

  async reap(id: string, now: number): Promise<ResumptionState | undefined> {
    this.life.assertOpen();
    const rec = this.live(id);
    if (rec === undefined || rec.expiresAt > now) return undefined;
    this.records.delete(id);
    return copy(rec);
  }

  async close(): Promise<void> {
    this.life.markClosed();
    this.records.clear();
  }

  /** The record unless it is past its retention (then it is dropped). */
  private live(id: string): Rec | undefined {
    checkResumptionId(id);
    const rec = this.records.get(id);
    if (rec !== undefined && rec.expiresAt + this.retainMs <= Date.now()) {
      this.records.delete(id);
      return undefined;
    }
    return rec;
  }

  private owned(id: string, epoch: number): Rec | undefined {
    const rec = this.live(id);
    return rec !== undefined && rec.epoch === epoch ? rec : undefined;
  }
}

function copy(rec: Rec): ResumptionState {
  const { ackedDids, ...rest } = rec;
  const state: ResumptionState = {
    ...rest,
    outbound: rec.outbound.map(([seq, xml, did]) => entry(seq, xml, did)),
  };
  if (ackedDids.length > 0) state.ackedDids = ackedDids.map(([did]) => did);
  if (rec.detachedAt === undefined) delete state.detachedAt;
  return state;
}

/** A copy of an outbound entry; the delivery id only when there is one. */
function entry(seq: number, xml: string, did: string | undefined): OutboundEntry {
  return did === undefined ? [seq, xml] : [seq, xml, did];
}
