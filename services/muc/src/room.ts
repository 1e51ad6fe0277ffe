/**
 * One room's state as its owning worker keeps it: configuration,
 * affiliations, subject, occupants with their sessions and roles, and the
 * discussion history. Pure data and rules; sending and storing is done by
 * the handlers (see service.ts).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { RoomAffiliationItem, RoomConfigValue, StoredRoom } from '@parley/store';
import type { Affiliation, Role, RoomConfig } from './room-config.js';
import { fromStored, toStored } from './room-config.js';

/** One connected resource of an occupant. */
export interface OccupantSession {
  /** Real full JID. */
  jid: string;
  /** Its last presence to the room, serialized without from/to (MUC extensions stripped). */
  presence: string;
}

/**
 * An occupant: one nickname, held by one real bare JID, possibly from
 * several resources at once (multi-session nicks).
 */
export interface Occupant {
  nick: string;
  bare: string;
  role: Role;
  /** In join order; the last one's presence is the occupant's presence. */
  sessions: OccupantSession[];
}

export interface AffiliationEntry {
  affiliation: Exclude<Affiliation, 'none'>;
  reason?: string;
  /** Reserved nickname. */
  nick?: string;
}

export interface Subject {
  text: string;
  /** Nickname of the occupant who set it ('' when set by the room). */
  nick: string;
  ts: number;
}

/** A groupchat message as broadcast (from the occupant JID, no 'to'). */
export interface HistoryEntry {
  xml: string;
  ts: number;
  nick: string;
}

/** Extra keys kept in the stored configuration record. */
const X_SALT = 'x-parley#salt';
const X_CREATOR = 'x-parley#creator';
const X_AVATAR = 'x-parley#avatar';

const RANK: Record<Affiliation, number> = { owner: 4, admin: 3, member: 2, none: 1, outcast: 0 };

export function affiliationRank(a: Affiliation): number {
  return RANK[a];
}

export class Room {
  readonly jid: string;
  readonly local: string;
  readonly domain: string;
  createdAt: number;
  config: RoomConfig;
  readonly affiliations = new Map<string, AffiliationEntry>();
  subject: Subject | undefined;
  /** Created with the MUC protocol and not configured yet (XEP-0045 10.1). */
  locked = false;
  /** Secret of the XEP-0421 occupant ids. */
  salt: string;
  /** Bare JID of the creator (max rooms per user). */
  creator: string | undefined;
  /** SHA-1 hashes of the room's vCard photos (XEP-0486). */
  avatar: string[] = [];
  readonly occupants = new Map<string, Occupant>();
  private readonly byJid = new Map<string, Occupant>();
  history: HistoryEntry[] = [];
  /** Whether it has been written to the RoomStore (persistent rooms). */
  stored = false;

  constructor(
    jid: string,
    config: RoomConfig,
    private readonly serviceAdmins: ReadonlySet<string>,
    createdAt = Date.now(),
  ) {
    this.jid = jid;
    const at = jid.indexOf('@');
    this.local = jid.slice(0, at);
    this.domain = jid.slice(at + 1);
    this.config = config;
    this.createdAt = createdAt;
    this.salt = randomBytes(16).toString('base64url');
  }

  /** The natural-language name, or the room's local part. */
  get title(): string {
    return this.config.name || this.local;
  }

  /** Affiliation of a real JID (service admins own every room; a domain entry covers its users). */
  affiliationOf(bare: string): Affiliation {
    if (this.serviceAdmins.has(bare)) return 'owner';
    const exact = this.affiliations.get(bare);
    if (exact) return exact.affiliation;
    const at = bare.indexOf('@');
    if (at !== -1) {
      const domain = this.affiliations.get(bare.slice(at + 1));
      if (domain) return domain.affiliation;
    }
    return 'none';
  }

  /** The role a newly entering occupant with this affiliation gets. */
  defaultRole(a: Affiliation): Role {
    switch (a) {
      case 'owner':
      case 'admin':
        return 'moderator';
      case 'member':
        return 'participant';
      case 'none':
        return this.config.moderated ? 'visitor' : 'participant';
      case 'outcast':
        return 'none';
    }
  }

  /** Bare JIDs with this affiliation, sorted. */
  withAffiliation(a: Exclude<Affiliation, 'none'>): string[] {
    return [...this.affiliations]
      .filter(([, e]) => e.affiliation === a)
      .map(([j]) => j)
      .sort();
  }

  setAffiliation(bare: string, a: Affiliation, reason?: string, nick?: string): void {
    if (a === 'none') {
      this.affiliations.delete(bare);
      return;
    }
    const e: AffiliationEntry = { affiliation: a };
    if (reason) e.reason = reason;
    if (nick) e.nick = nick;
    this.affiliations.set(bare, e);
  }

  /** The bare JID that reserved `nick` (a member list entry with that nick). */
  nickReservedBy(nick: string): string | undefined {
    for (const [j, e] of this.affiliations)
      if (e.nick === nick && e.affiliation !== 'outcast') return j;
    return undefined;
  }

  reservedNickOf(bare: string): string | undefined {
    return this.affiliations.get(bare)?.nick;
  }

  occupantByJid(full: string): Occupant | undefined {
    return this.byJid.get(full);
  }

  occupantsOf(bare: string): Occupant[] {
    return [...this.occupants.values()].filter((o) => o.bare === bare);
  }

  addOccupant(o: Occupant): void {
    this.occupants.set(o.nick, o);
    for (const s of o.sessions) this.byJid.set(s.jid, o);
  }

  addSession(o: Occupant, s: OccupantSession): void {
    o.sessions = o.sessions.filter((x) => x.jid !== s.jid);
    o.sessions.push(s);
    this.byJid.set(s.jid, o);
  }

  /** Removes one session; returns the occupant if it has sessions left. */
  removeSession(full: string): Occupant | undefined {
    const o = this.byJid.get(full);
    if (!o) return undefined;
    this.byJid.delete(full);
    o.sessions = o.sessions.filter((s) => s.jid !== full);
    if (o.sessions.length === 0) {
      this.occupants.delete(o.nick);
      return undefined;
    }
    return o;
  }

  removeOccupant(o: Occupant): void {
    this.occupants.delete(o.nick);
    for (const s of o.sessions) this.byJid.delete(s.jid);
  }

  rename(o: Occupant, nick: string): void {
    this.occupants.delete(o.nick);
    o.nick = nick;
    this.occupants.set(nick, o);
  }

  get occupantCount(): number {
    return this.occupants.size;
  }

  isEmpty(): boolean {
    return this.occupants.size === 0;
  }

  /** XEP-0421: HMAC of the real bare JID under the room's secret; stable, not reversible. */
  occupantId(bare: string): string {
    return createHmac('sha256', this.salt).update(bare).digest('base64url');
  }

  /** Whether an occupant with role `viewer` sees real JIDs. */
  showsJidsTo(viewer: Role): boolean {
    return this.config.whois === 'anyone' || viewer === 'moderator';
  }

  affiliationItems(): RoomAffiliationItem[] {
    return [...this.affiliations].map(([jid, e]) => {
      const item: RoomAffiliationItem = { jid, affiliation: e.affiliation };
      if (e.reason) item.reason = e.reason;
      if (e.nick) item.nick = e.nick;
      return item;
    });
  }

  loadAffiliations(items: readonly RoomAffiliationItem[]): void {
    this.affiliations.clear();
    for (const i of items) this.setAffiliation(i.jid, i.affiliation, i.reason, i.nick);
  }

  /** The configuration record as stored, with the room's own extra keys. */
  storedConfig(): Record<string, RoomConfigValue> {
    const rec = toStored(this.config);
    rec[X_SALT] = this.salt;
    if (this.creator) rec[X_CREATOR] = this.creator;
    if (this.avatar.length > 0) rec[X_AVATAR] = [...this.avatar];
    return rec;
  }

  loadStoredConfig(rec: Record<string, RoomConfigValue>, defaults: RoomConfig): void {
    this.config = fromStored(rec, defaults);
    const salt = rec[X_SALT];
    if (typeof salt === 'string' && salt !== '') this.salt = salt;
    const creator = rec[X_CREATOR];
    this.creator = typeof creator === 'string' ? creator : undefined;
    const avatar = rec[X_AVATAR];
    this.avatar = Array.isArray(avatar) ? [...avatar] : [];
  }

  toStoredRoom(): StoredRoom {
    const r: StoredRoom = { jid: this.jid, createdAt: this.createdAt, config: this.storedConfig() };
    if (this.subject)
      r.subject = { text: this.subject.text, by: this.subject.nick, ts: this.subject.ts };
    return r;
  }
}

/** The creator recorded in a stored configuration record. */
export function storedCreator(rec: Record<string, RoomConfigValue>): string | undefined {
  const c = rec[X_CREATOR];
  return typeof c === 'string' ? c : undefined;
}
