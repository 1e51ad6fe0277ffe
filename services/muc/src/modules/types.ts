import type { Config } from '@parley/config';
import type { JID } from '@parley/jid';
import type { ModuleDefinition, ServiceKey, XepDeclaration } from '@parley/modules';
import type { Element } from '@parley/xml';
import type { Actor } from '../admin.js';
import type { MucContext } from '../muc-context.js';
import type { Occupant, Room } from '../room.js';

/**
 * An IQ get/set addressed to a room's bare JID. The room exists and is
 * unlocked (or the asker owns it), and the IQ has a payload: the host
 * answered everything else already.
 */
export interface RoomIqRequest {
  room: Room;
  /** Who asks: real bare JID, affiliation, and occupant when present. */
  actor: Actor;
  /** The query payload: the IQ's first child element. */
  payload: Element;
  iq: Element;
  from: JID;
  /** The room's bare JID. */
  to: JID;
}

/** An IQ get/set addressed to the service JID (`<muc.subdomain>.<domain>`), with a payload. */
export interface ServiceIqRequest {
  payload: Element;
  iq: Element;
  from: JID;
  /** The service JID: its domain is the service domain asked. */
  to: JID;
}

/**
 * An IQ get/set an occupant sends to its own occupant JID (or to another
 * nick of the same user), answered by the room instead of being forwarded
 * (XEP-0410).
 */
export interface SelfIqRequest {
  room: Room;
  /** The occupant that sent it. */
  occupant: Occupant;
  payload: Element;
  iq: Element;
  from: JID;
  to: JID;
}

/**
 * Returns the payload of the result (or nothing for an empty result);
 * throws a StanzaError to answer with that error. Any other exception
 * becomes internal-server-error for this stanza only.
 */
export type MucIqHandler<R> = (req: R) => Element | void | Promise<Element | void>;

/** The disco features a room advertises that depend on the room (its configuration). */
export type RoomFeatures = (room: Room) => readonly string[];

/**
 * What a module of the MUC service registers through, and the only way
 * it reaches the service. Rooms, their occupants and the primitives that
 * load, save and send are the service core's (`core`).
 */
export interface MucModuleContext {
  /** The name of the module this context belongs to. */
  readonly module: string;
  readonly config: Config;
  /** The room engine: rooms in memory, loading and saving them, sending stanzas. */
  readonly core: MucContext;
  /**
   * Handles IQs of `type` whose payload is in `ns`, addressed to a room.
   * A second handler for the same type and namespace stops the start
   * (ModuleError 'duplicate-handler' naming both modules).
   */
  roomIq(type: 'get' | 'set', ns: string, handler: MucIqHandler<RoomIqRequest>): void;
  /** Handles IQs of `type` in `ns` addressed to the service JID (one per key). */
  serviceIq(type: 'get' | 'set', ns: string, handler: MucIqHandler<ServiceIqRequest>): void;
  /** Answers IQs of `type` in `ns` an occupant sends to itself (one per key); others are forwarded. */
  selfIq(type: 'get' | 'set', ns: string, handler: MucIqHandler<SelfIqRequest>): void;
  /** Advertises a disco feature of every room, or the features a room's state decides. */
  roomFeature(feature: string | RoomFeatures): void;
  /** Advertises a disco feature of the service JID. */
  serviceFeature(feature: string): void;
  /** The features of `room`, as the enabled modules registered them. */
  roomFeatures(room: Room): string[];
  /** The features of the service, as the enabled modules registered them. */
  serviceFeatures(): string[];
  /** Shares state with the modules that require this one, under a typed key. */
  provide<T>(key: ServiceKey<T>, value: T): void;
  /** State a module started earlier provides; name it in `requires`. */
  use<T>(key: ServiceKey<T>): T;
  /** State an optional module provides when it is enabled; name it in `after`. */
  tryUse<T>(key: ServiceKey<T>): T | undefined;
}

export type { XepDeclaration };

/**
 * A feature of the MUC service: one module, one entry point
 * (`register`), reaching the service only through its context; declared
 * dependencies and shared services as @parley/modules defines them. Its
 * name starts with `muc-` (the MUC service's names in
 * `modules.disabled`); its `xeps` make the docs' supported-XEP list.
 */
export type MucModule = ModuleDefinition<MucModuleContext, Config>;
