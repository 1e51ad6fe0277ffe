/** What inbound and outbound streams need from the engine (engine.ts implements it). */
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { S2sConfig } from '@parley/config';
import type { Logger } from '@parley/telemetry';
import type { Element } from '@parley/xml';
import type { S2sMetrics } from './metrics.js';
import type { RateVerdict } from './rate-limit.js';

export type DialbackVerdict = 'valid' | 'invalid';

export interface StanzaRoute {
  /** Remote domain. */
  from: string;
  /** Local domain. */
  to: string;
}

/** Something stanzas for a (local, remote) pair can be written to. */
export interface StanzaSink {
  /** Writes one serialized stanza; `cb` gets an error when it could not be written. */
  sendStanza(xml: string, cb: (err?: Error | null) => void): void;
  readonly usable: boolean;
}

export interface EngineContext {
  readonly config: S2sConfig;
  readonly logger: Logger;
  readonly metrics: S2sMetrics;
  readonly dialbackSecret: string;
  /** Server side of TLS: our certificate, the trust store, client certificates requested. */
  readonly serverTls: TlsOptions;
  isLocalDomain(domain: string): boolean;
  /** s2s.allow / s2s.deny. */
  isRemoteAllowed(domain: string): boolean;
  /** TLS client options for a connection to `remote` (SNI, our certificate, the trust store). */
  clientTls(remote: string): ConnectionOptions;
  /**
   * Asks the authoritative server of `originating` whether `key` is valid
   * for our stream `streamId` (XEP-0220 steps 2 and 3). Rejects when it
   * cannot be asked (with a stanza error condition in `condition`).
   */
  verifyDialback(
    receiving: string,
    originating: string,
    streamId: string,
    key: string,
  ): Promise<DialbackVerdict>;
  /**
   * An inbound stream authenticated `remote` (for `local`). False when
   * `remote` already has s2s.maxStreamsPerDomain other inbound streams.
   */
  inboundAuthenticated(
    stream: object,
    remote: string,
    local: string,
    bidi: StanzaSink | undefined,
  ): boolean;
  inboundClosed(stream: object): void;
  /** One inbound stanza from `remote` against its rate limit. */
  rate(remote: string): RateVerdict;
  deliver(el: Element, route: StanzaRoute): void;
}
