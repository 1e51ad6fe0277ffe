import type { Config } from '@parley/config';
import type { JID } from '@parley/jid';
import type { Envelope } from '@parley/routing';
import type { Stores } from '@parley/store';
import type { Logger } from '@parley/telemetry';
import type { Element } from '@parley/xml';
import type { SessionTable } from '../session-table.js';

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

export interface ModuleContext {
  readonly config: Config;
  readonly stores: Stores;
  readonly logger: Logger;
  readonly sessions: SessionTable;
  /** Handles IQs of `type` whose payload is in `ns`, addressed to the server domain. */
  serverIq(type: 'get' | 'set', ns: string, handler: IqHandler): void;
  /** Handles IQs of `type` whose payload is in `ns`, addressed to an account's bare JID. */
  accountIq(type: 'get' | 'set', ns: string, handler: IqHandler): void;
  /** Advertises a disco feature of the server (scope 'server') or of every account (scope 'account'). */
  feature(ns: string, scope?: 'server' | 'account'): void;
  identity(identity: Identity, scope?: 'server' | 'account'): void;
  features(scope: 'server' | 'account'): string[];
  identities(scope: 'server' | 'account'): Identity[];
  /** Time the service started (ms since epoch). */
  readonly startedAt: number;
}

export interface XepDeclaration {
  xep: string;
  title: string;
  version: string;
  note?: string;
}

/** A server feature: one module, one entry point, reaching the server only through its context. */
export interface ServerModule {
  name: string;
  /** XEPs/RFCs this module implements (the docs' supported-XEP list is generated from these). */
  xeps: XepDeclaration[];
  enabled?(config: Config): boolean;
  register(ctx: ModuleContext): void;
}
