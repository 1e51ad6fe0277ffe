import type { Config } from '@parley/config';
import type { JID } from '@parley/jid';
import type { ModuleDefinition, ServiceKey, XepDeclaration } from '@parley/modules';
import type { Envelope } from '@parley/routing';
import type { Stores } from '@parley/store';
import type { Logger, Metrics } from '@parley/telemetry';
import type { Element } from '@parley/xml';
import type { AccountCache } from '../account-cache.js';
import type {
  InboundFilter,
  MessageDeliveredHook,
  MessageSentHook,
  OutboundFilter,
} from '../hooks.js';
import type { SessionEntry, SessionTable } from '../sessions/session-table.js';

/** An IQ get/set addressed to the server or to an account's bare JID. */
export interface IqRequest {
  iq: Element;
  /** The query payload: the IQ's first child element. */
  payload: Element;
  from: JID;
  /** The addressee: the server domain, or an account's bare JID. */
  to: JID;
  env: Envelope;
}

/**
 * Returns the payload of the result (or nothing for an empty result);
 * throws a StanzaError to answer with that error. Any other exception
 * becomes internal-server-error for this stanza only.
 */
export type IqHandler = (req: IqRequest) => Promise<Element | void>;

export interface Identity {
  category: string;
  type: string;
  name?: string;
}

/** A stanza addressed to a service domain a module owns (see ModuleContext.serviceDomain). */
export interface ServiceStanza {
  env: Envelope;
  from: JID;
  /** The addressee: the service domain, or a JID on it. */
  to: JID;
}

export type ServiceHandler = (s: ServiceStanza) => void | Promise<void>;

/** An entry of the server's disco#items (XEP-0030), e.g. a service on a subdomain. */
export interface DiscoItem {
  jid: string;
  name?: string;
}

export interface ModuleContext {
  /** The name of the module this context belongs to. */
  readonly module: string;
  readonly config: Config;
  readonly stores: Stores;
  readonly logger: Logger;
  /** The process's Prometheus metrics (names get the `parley_` prefix). */
  readonly metrics: Metrics;
  readonly sessions: SessionTable;
  /**
   * Handles IQs of `type` whose payload is in `ns`, addressed to the server
   * domain. A second handler for the same type and namespace stops the
   * start (ModuleError 'duplicate-handler').
   */
  serverIq(type: 'get' | 'set', ns: string, handler: IqHandler): void;
  /** Handles IQs of `type` whose payload is in `ns`, addressed to an account's bare JID (one per key). */
  accountIq(type: 'get' | 'set', ns: string, handler: IqHandler): void;
  /** Shares state with the modules that require this one, under a typed key. */
  provide<T>(key: ServiceKey<T>, value: T): void;
  /** State a module started earlier provides; name it in `requires`. */
  use<T>(key: ServiceKey<T>): T;
  /** State an optional module provides when it is enabled; name it in `after`. */
  tryUse<T>(key: ServiceKey<T>): T | undefined;
  /** Advertises a disco feature of the server (scope 'server') or of every account (scope 'account'). */
  feature(ns: string, scope?: 'server' | 'account'): void;
  identity(identity: Identity, scope?: 'server' | 'account'): void;
  features(scope: 'server' | 'account'): string[];
  identities(scope: 'server' | 'account'): Identity[];
  /**
   * Adds an XEP-0128 extension (a `jabber:x:data` form of type result with
   * a hidden FORM_TYPE) to the disco#info of the server or of every account.
   */
  infoForm(form: Element, scope?: 'server' | 'account'): void;
  infoForms(scope: 'server' | 'account'): Element[];
  /** Time the service started (ms since epoch). */
  readonly startedAt: number;

  /**
   * Sees every stanza a local client sends, at the sender's partition,
   * before the registry acts on it, and the presence the server sends on the
   * user's behalf (broadcasts, probes). May drop it, answer it with an
   * error or replace it (see FilterVerdict).
   *
   * Every hook takes a priority (default `Priority.normal`): higher runs
   * first, equal ones in module start order (see @parley/modules).
   */
  onOutbound(filter: OutboundFilter, priority?: number): void;
  /** Sees every stanza for a local account, at the recipient's partition, before delivery. */
  onInbound(filter: InboundFilter, priority?: number): void;
  /** After a message for a local account was handed to resources or stored offline. */
  onMessageDelivered(hook: MessageDeliveredHook, priority?: number): void;
  /** After a local user's message was forwarded to its recipient, at the sender's partition. */
  onMessageSent(hook: MessageSentHook, priority?: number): void;
  /** Hands a stanza (from/to already set) to a session's connection. */
  deliver(session: SessionEntry, stanza: Element): void;
  /** Routes a server-built stanza (from/to already set) to its recipient, unfiltered. */
  send(stanza: Element): void;
  /** Sets or clears a per-session flag (SessionEntry.flags) and mirrors the session. */
  setSessionFlag(owner: string, session: SessionEntry, flag: string, on: boolean): void;
  /**
   * A per-account cache for state the module derives from its stores. It
   * lives in the owning partition and is emptied when the partition moves,
   * so it may be read on the hot path and updated after each store write.
   */
  accountCache<T>(max?: number): AccountCache<T>;
  /** Lists a JID (a service, e.g. pubsub.example.org) in the server's disco#items. */
  discoItem(jid: string, name?: string): void;
  /** The items registered with discoItem, in registration order. */
  discoItems(): DiscoItem[];
  /**
   * Makes the module the owner of a service domain (not one of the server's
   * domains, e.g. pubsub.example.org): every stanza addressed to it or to a
   * JID on it is routed to that JID's partition and handed to `handler`
   * there, in order, instead of being refused as remote.
   */
  serviceDomain(domain: string, handler: ServiceHandler): void;
}

export type { XepDeclaration };

/**
 * A feature of the session registry: one module, one entry point
 * (`register`), reaching the server only through its context; declared
 * dependencies, hook priorities and shared services as @parley/modules
 * defines them. Its `xeps` make the docs' supported-XEP list.
 */
export type ServerModule = ModuleDefinition<ModuleContext, Config>;
