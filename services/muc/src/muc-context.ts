/**
 * Shared state and primitives of a MUC worker: the rooms of the partitions
 * it owns (in memory), how they are loaded, mirrored and stored, and how
 * stanzas leave the service. The handler files (occupants, messages,
 * admin, owner, disco, iq) build on it.
 */
import type { Bus } from '@parley/bus';
import type { Config } from '@parley/config';
import { tryParseJID } from '@parley/jid';
import { ArchiveWriter, LruTailCache } from '@parley/mam';
import type { Envelope, InboundRoutes, StanzaKind } from '@parley/routing';
import {
  BusProtocol,
  envelopeOf,
  inboundRoutes,
  inboundSubject,
  mucServiceDomains,
  partitionOf,
  publishInbound,
  versionedBus,
} from '@parley/routing';
import type { StanzaError } from '@parley/stanza';
import { canReplyWithError, errorReply } from '@parley/stanza';
import type { Stores } from '@parley/store';
import type { Logger, Metrics } from '@parley/telemetry';
import type { Element } from '@parley/xml';
import { parseXml, xml } from '@parley/xml';
import { NS_MUC_USER, NS_SID } from './ns.js';
import type { HistoryEntry, Occupant } from './room.js';
import { Room, storedCreator } from './room.js';
import type { RoomConfig } from './room-config.js';
import { defaultRoomConfig, toStored } from './room-config.js';
import type { HotRoom, MucStateStore, OccupantRecord, RoomMeta } from './state-store.js';
import { LocalMucStateStore } from './state-store.js';

export interface MucDeps {
  config: Config;
  bus: Bus;
  stores: Stores;
  logger: Logger;
  metrics: Metrics;
  /** Mirror of the rooms' hot state (cluster mode); default: this process only. */
  stateStore?: MucStateStore;
}

/** An IQ the room forwarded to an occupant, waiting for its answer (XEP-0045 7.2.x IQs to occupants). */
interface PendingIq {
  room: string;
  /** Full JID that asked, and its id. */
  requester: string;
  id: string | undefined;
  /** Nick of the occupant asked. */
  nick: string;
  expires: number;
}

/** Empty persistent rooms kept in memory (their history with them) before being dropped. */
const IDLE_ROOMS = 1000;
const PENDING_IQ_TTL_MS = 60_000;

/**
 * What every part of a MUC worker works with: the configuration, the
 * versioned bus, the stores, the rooms of the owned partitions with their
 * hot-state mirror, pending occupant IQs, and the primitives that send,
 * parse and mirror.
 */
export class MucContext {
  readonly config: Config;
  /** The bus as this release writes to it: every message carries the protocol version. */
  readonly bus: Bus;
  /** Checks what arrives on the bus; counts and logs what this release does not understand. */
  readonly protocol: BusProtocol;
  readonly stores: Stores;
  readonly logger: Logger;
  readonly stateStore: MucStateStore;
  readonly routes: InboundRoutes;
  readonly partitions: number;
  /** The MUC service domains. */
  readonly serviceDomains: ReadonlySet<string>;
  /** The server's own domains (where real users live). */
  readonly localDomains: ReadonlySet<string>;
  readonly admins: ReadonlySet<string>;
  readonly rooms = new Map<string, Room>();
  readonly writer: ArchiveWriter;
  /** Archive tails (see ArchiveWriter) of the rooms in owned partitions; forgotten when a partition moves. */
  private readonly tails = new LruTailCache();
  private readonly idleRooms = new Set<string>();
  private readonly pendingIq = new Map<string, PendingIq>();
  /** Mirror writes not yet acknowledged by the state store. */
  private readonly inflight = new Set<Promise<void>>();
  private iqSeq = 0;
  private readonly stanzas;
  private readonly fanout;

  constructor(deps: MucDeps) {
    this.config = deps.config;
    this.bus = versionedBus(deps.bus);
    this.protocol = new BusProtocol({ metrics: deps.metrics, logger: deps.logger });
    this.stores = deps.stores;
    this.logger = deps.logger;
    this.stateStore = deps.stateStore ?? new LocalMucStateStore();
    this.routes = inboundRoutes(deps.config);
    this.partitions = deps.config.muc.partitions;
    this.serviceDomains = new Set(
      mucServiceDomains(deps.config.server.domains, deps.config.muc.subdomain),
    );
    this.localDomains = new Set(deps.config.server.domains);
    this.admins = new Set(deps.config.muc.admins);
    this.writer = new ArchiveWriter(deps.stores.archive, this.tails);
    this.stanzas = deps.metrics.counter(
      'parley_muc_stanzas_total',
      'Stanzas handled by the MUC service',
      ['kind'],
    );
    this.fanout = deps.metrics.counter(
      'parley_muc_sent_total',
      'Stanzas the MUC service sent to occupants and users',
      ['kind'],
    );
  }

  counted(kind: StanzaKind): void {
    this.stanzas.inc({ kind });
  }

  partitionOf(room: string): number {
    return partitionOf(room, this.partitions);
  }

  defaults(): RoomConfig {
    return defaultRoomConfig(this.config);
  }

  isLocalUser(bare: string): boolean {
    const at = bare.indexOf('@');
    return at !== -1 && this.localDomains.has(bare.slice(at + 1));
  }

  parse(env: Envelope | string): Element {
    return parseXml(typeof env === 'string' ? env : env.xml);
  }

  /* ---------------------------------------------------------------- sending */

  /** Routes a stanza (from/to set) to its recipient's partition, as stage 'in'. */
  send(el: Element): void {
    const env = envelopeOf(el, 'in');
    const to = tryParseJID(env.to);
    if (!to) return;
    if (inboundSubject(to.toBareString(), to.domain, this.routes) === undefined) {
      // A remote domain without federation: nothing to answer (the room's own traffic).
      this.logger.debug('muc: dropped a stanza for an unreachable domain', { to: env.to });
      return;
    }
    publishInbound(this.bus, env, to.toBareString(), to.domain, this.routes).catch((err: unknown) =>
      this.logger.error('muc route publish failed', { to: env.to, err }),
    );
    this.fanout.inc({ kind: env.kind });
  }

  /** Sends `el` to `to` (changes el's 'to'). */
  sendTo(el: Element, to: string): void {
    el.setAttr('to', to);
    this.send(el);
  }

  /** Answers a stanza with an error from its addressee, unless it may not be answered. */
  replyError(stanza: Element, err: StanzaError): void {
    if (!canReplyWithError(stanza)) return;
    this.send(errorReply(stanza, err));
  }

  /** A groupchat message from the room itself with status codes (config changes). */
  statusMessage(room: Room, codes: number[]): void {
    const m = xml('message', { type: 'groupchat', from: room.jid });
    const x = m.c('x', { xmlns: NS_MUC_USER });
    for (const c of codes) x.c('status', { code: c });
    for (const o of room.occupants.values()) for (const s of o.sessions) this.sendTo(m, s.jid);
  }

  /* ------------------------------------------------------------- forwarded IQs */

  rememberIq(p: Omit<PendingIq, 'expires'>): string {
    const now = Date.now();
    if (this.pendingIq.size > 10_000) {
      for (const [k, v] of this.pendingIq) if (v.expires < now) this.pendingIq.delete(k);
    }
    const id = `muc${(++this.iqSeq).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    this.pendingIq.set(id, { ...p, expires: now + PENDING_IQ_TTL_MS });
    return id;
  }

  takeIq(id: string): PendingIq | undefined {
    const p = this.pendingIq.get(id);
    if (!p) return undefined;
    this.pendingIq.delete(id);
    return p.expires >= Date.now() ? p : undefined;
  }

  /* ------------------------------------------------------------ room loading */

  /** The room, loaded from the RoomStore when it is persistent and not in memory. */
  async getRoom(jid: string): Promise<Room | undefined> {
    const mem = this.rooms.get(jid);
    if (mem) return mem;
    const stored = await this.stores.rooms.get(jid);
    if (!stored) return undefined;
    const room = new Room(jid, this.defaults(), this.admins, stored.createdAt);
    room.loadStoredConfig(stored.config, this.defaults());
    room.loadAffiliations(await this.stores.rooms.affiliations(jid));
    if (stored.subject)
      room.subject = { text: stored.subject.text, nick: stored.subject.by, ts: stored.subject.ts };
    room.stored = true;
    const kept = this.stateStore.shared ? await this.stateStore.loadHistory(jid) : [];
    room.history = await this.loadHistory(room, kept);
    // Another worker may have held this room before: nothing cached from then is valid.
    this.writer.forget(jid);
    this.rooms.set(jid, room);
    this.markIdle(room);
    return room;
  }

  /** History from the hot state, or else from the archive (logged rooms). */
  private async loadHistory(room: Room, hot: HistoryEntry[]): Promise<HistoryEntry[]> {
    const max = room.config.historyLength;
    if (max <= 0) return [];
    if (hot.length > 0) return hot.slice(-max);
    if (!room.config.logging) return [];
    try {
      const page = await this.stores.archive.query(room.jid, { limit: max, fromEnd: true });
      return page.items.map((m) => {
        const el = parseXml(m.xml);
        el.append(xml('stanza-id', { xmlns: NS_SID, by: room.jid, id: m.id }));
        return { xml: el.toString(), ts: m.ts, nick: m.withResource ?? '' };
      });
    } catch (err) {
      this.logger.warn('muc: could not load history from the archive', {
        room: room.jid,
        err,
      });
      return [];
    }
  }

  /** A new room in memory, its creator owner (not stored yet). */
  newRoom(jid: string, creator: string, locked: boolean): Room {
    const room = new Room(jid, this.defaults(), this.admins);
    room.creator = creator;
    room.locked = locked;
    room.setAffiliation(creator, 'owner');
    this.rooms.set(jid, room);
    this.writer.forget(jid);
    return room;
  }

  /** Restores a room of a newly acquired partition from its mirrored hot state. */
  async restoreHot(hot: HotRoom): Promise<void> {
    const { meta } = hot;
    let room: Room | undefined;
    if (meta.persistent) {
      room = await this.getRoom(meta.jid);
      if (!room) {
        // Destroyed (or never stored): its hot state is stale.
        await this.stateStore.removeRoom(this.partitionOf(meta.jid), meta.jid);
        return;
      }
    } else {
      room = new Room(meta.jid, this.defaults(), this.admins, meta.createdAt);
      if (meta.config) room.loadStoredConfig(meta.config, this.defaults());
      room.loadAffiliations(meta.affiliations ?? []);
      if (meta.subject) room.subject = { ...meta.subject };
      room.avatar = meta.avatar ? [...meta.avatar] : [];
      this.rooms.set(meta.jid, room);
    }
    room.salt = meta.salt || room.salt;
    room.locked = meta.locked;
    if (meta.creator) room.creator = meta.creator;
    for (const o of hot.occupants) {
      if (!o.nick || !o.bare || !Array.isArray(o.sessions) || o.sessions.length === 0) continue;
      room.addOccupant({ nick: o.nick, bare: o.bare, role: o.role, sessions: [...o.sessions] });
    }
    room.history = await this.loadHistory(room, hot.history);
    this.writer.forget(meta.jid);
    if (room.isEmpty()) await this.roomEmptied(room);
    else this.idleRooms.delete(room.jid);
  }

  /** The partition moved away (or is being acquired): forget its rooms. */
  forgetPartition(partition: number): void {
    const mine = (jid: string) => this.partitionOf(jid) === partition;
    for (const jid of [...this.rooms.keys()]) {
      if (!mine(jid)) continue;
      this.rooms.delete(jid);
      this.idleRooms.delete(jid);
    }
    this.tails.forget(mine);
    for (const [k, p] of this.pendingIq) if (mine(p.room)) this.pendingIq.delete(k);
  }

  private markIdle(room: Room): void {
    if (!room.isEmpty()) return;
    this.idleRooms.delete(room.jid);
    this.idleRooms.add(room.jid);
    while (this.idleRooms.size > IDLE_ROOMS) {
      const oldest = this.idleRooms.values().next();
      if (oldest.done) break;
      this.idleRooms.delete(oldest.value);
      const r = this.rooms.get(oldest.value);
      if (r && r.isEmpty() && !r.locked) this.rooms.delete(oldest.value);
    }
  }

  /** The room has an occupant again: not a candidate for dropping from memory. */
  busy(room: Room): void {
    this.idleRooms.delete(room.jid);
  }

  /* ------------------------------------------------------ mirroring, storing */

  private meta(room: Room): RoomMeta {
    const meta: RoomMeta = {
      jid: room.jid,
      createdAt: room.createdAt,
      persistent: room.config.persistent && !room.locked,
      locked: room.locked,
      salt: room.salt,
    };
    if (room.creator) meta.creator = room.creator;
    if (!meta.persistent) {
      meta.config = toStored(room.config);
      meta.affiliations = room.affiliationItems();
      if (room.subject) meta.subject = { ...room.subject };
      if (room.avatar.length > 0) meta.avatar = [...room.avatar];
    }
    return meta;
  }

  private mirror(what: string, room: string, p: Promise<void>): void {
    const tracked = p.catch((err: unknown) =>
      this.logger.error('muc state mirror write failed', { what, room, err }),
    );
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));
  }

  /** Resolves once every mirror write issued so far has settled (before handing a partition over). */
  async flushMirror(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Writes the room's meta to the hot state (when shared), unless it is a persistent, empty room. */
  mirrorMeta(room: Room): void {
    if (!this.stateStore.shared) return;
    if (room.isEmpty() && room.config.persistent && !room.locked) return;
    this.mirror(
      'meta',
      room.jid,
      this.stateStore.putMeta(this.partitionOf(room.jid), this.meta(room)),
    );
  }

  mirrorOccupant(room: Room, o: Occupant): void {
    if (!this.stateStore.shared) return;
    const rec: OccupantRecord = { nick: o.nick, bare: o.bare, role: o.role, sessions: o.sessions };
    this.mirror('occupant', room.jid, this.stateStore.putOccupant(room.jid, rec));
  }

  mirrorOccupantGone(room: Room, nick: string): void {
    if (!this.stateStore.shared) return;
    this.mirror('occupant', room.jid, this.stateStore.removeOccupant(room.jid, nick));
  }

  mirrorHistory(room: Room, entry: HistoryEntry): void {
    if (!this.stateStore.shared) return;
    this.mirror(
      'history',
      room.jid,
      this.stateStore.pushHistory(room.jid, entry, room.config.historyLength),
    );
  }

  mirrorHistoryTrim(room: Room): void {
    if (!this.stateStore.shared) return;
    this.mirror(
      'history',
      room.jid,
      this.stateStore.trimHistory(room.jid, room.config.historyLength),
    );
  }

  /**
   * Saves what changed about the room: the RoomStore record of a
   * persistent (configured) room, and the hot meta. A room that stopped
   * being persistent leaves the RoomStore.
   */
  async save(room: Room): Promise<void> {
    const persistent = room.config.persistent && !room.locked;
    if (persistent) {
      const first = !room.stored;
      await this.stores.rooms.put(room.toStoredRoom());
      if (first) {
        for (const item of room.affiliationItems())
          await this.stores.rooms.setAffiliation(room.jid, item);
        room.stored = true;
      }
    } else if (room.stored) {
      await this.stores.rooms.delete(room.jid);
      room.stored = false;
    }
    this.mirrorMeta(room);
  }

  /** Saves one affiliation change (RoomStore for stored rooms, hot meta otherwise). */
  async saveAffiliation(room: Room, jid: string): Promise<void> {
    if (room.stored) {
      const e = room.affiliations.get(jid);
      await this.stores.rooms.setAffiliation(
        room.jid,
        e
          ? {
              jid,
              affiliation: e.affiliation,
              ...(e.reason ? { reason: e.reason } : {}),
              ...(e.nick ? { nick: e.nick } : {}),
            }
          : { jid, affiliation: 'none' },
      );
    }
    this.mirrorMeta(room);
  }

  /** The last occupant left: a temporary (or still locked) room goes, a persistent one idles. */
  async roomEmptied(room: Room): Promise<void> {
    if (!room.isEmpty()) return;
    if (!room.config.persistent || room.locked) {
      await this.destroyState(room);
      return;
    }
    if (this.stateStore.shared)
      await this.stateStore
        .removeRoom(this.partitionOf(room.jid), room.jid, { keepHistory: true })
        .catch((err: unknown) =>
          this.logger.error('muc state removal failed', { room: room.jid, err }),
        );
    this.markIdle(room);
  }

  /** Forgets a room everywhere: memory, hot state, RoomStore, archive, vCard. */
  async destroyState(room: Room): Promise<void> {
    this.rooms.delete(room.jid);
    this.idleRooms.delete(room.jid);
    this.writer.forget(room.jid);
    const p = this.partitionOf(room.jid);
    const steps: Promise<unknown>[] = [
      this.stateStore.removeRoom(p, room.jid),
      this.stores.archive.deleteAll(room.jid),
      this.stores.vcards.delete(room.jid),
    ];
    if (room.stored) steps.push(this.stores.rooms.delete(room.jid));
    if (room.creator) steps.push(this.stateStore.removeOwned(room.creator, room.jid));
    room.stored = false;
    const results = await Promise.allSettled(steps);
    for (const r of results)
      if (r.status === 'rejected')
        this.logger.error('muc room removal step failed', {
          room: room.jid,
          err: r.reason,
        });
  }

  /**
   * Rebuilds the index of rooms per creator from the RoomStore, once per
   * fresh hot state (muc.maxRoomsPerUser).
   */
  async seedOwnedIndex(): Promise<void> {
    if (this.config.muc.maxRoomsPerUser <= 0) return;
    if (!(await this.stateStore.claimOwnedSeed())) return;
    let after: string | undefined;
    for (;;) {
      const page = await this.stores.rooms.list({ limit: 500, ...(after ? { after } : {}) });
      for (const r of page.items) {
        const creator = storedCreator(r.config);
        if (creator) await this.stateStore.addOwned(creator, r.jid);
      }
      if (!page.next) break;
      after = page.next;
    }
  }
}
