/** What every connection of one gateway shares: configuration, bus, stores, TLS, limits. */
import type { Bus } from '@parley/bus';
import type { Config } from '@parley/config';
import type { ServerMechanismOptions } from '@parley/sasl';
import type { AccountStore, InvitationStore, ResumptionStore } from '@parley/store';
import type { FastTokenStore } from '@parley/store/fast';
import type { Logger } from '@parley/telemetry';
import type { AddressLimits } from './limits/address-limits.js';
import type { LoginGuard } from './limits/login-guard.js';
import type { Connection } from './connection.js';
import type { GatewayMetrics } from './metrics.js';
import type { SmManager } from './sm/manager.js';
import type { ServerCaps } from './negotiation/caps.js';
import type { StreamExtensions } from './stream-modules/index.js';
import type { TlsMaterial } from '@parley/process';

export interface GatewayContext {
  readonly config: Config;
  readonly bus: Bus;
  readonly accounts: AccountStore;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly gatewayId: string;
  readonly tls: TlsMaterial;
  /** Normalized served domains. */
  readonly domains: ReadonlySet<string>;
  /** Used in stream headers sent before the client named a valid domain. */
  readonly defaultDomain: string;
  /** Login and registration limits: delays, account guard, refused addresses (limits/login-guard.ts). */
  readonly loginGuard: LoginGuard;
  /** Unauthenticated connections and sessions per client address (limits/address-limits.ts). */
  readonly limits: AddressLimits;
  readonly saslOptions: ServerMechanismOptions;
  /** XEP-0198 resumption state, shared by every gateway of the cluster. */
  readonly resumption: ResumptionStore;
  /** XEP-0484 FAST token records, shared by every gateway of the cluster. */
  readonly fastTokens: FastTokenStore;
  /** Registration invitations (invitations.ts), shared by the cluster. */
  readonly invitations: InvitationStore;
  /** What FAST tokens are derived from (negotiation/fast.ts), from sasl.fakeSaltSecret. */
  readonly fastKey: Buffer;
  /** What stable Bind2 resources are derived from (negotiation/bind2.ts), from sasl.fakeSaltSecret. */
  readonly bindKey: Buffer;
  /** XEP-0115 caps of the served domains, for the stream features. */
  readonly caps: ServerCaps;
  /** Stream management sessions held without a live connection, and the reaper. */
  readonly sm: SmManager;
  /** What the stream modules contributed: features and the elements that go with them. */
  readonly streams: StreamExtensions;
  /**
   * Publishes without throwing (a closed bus is logged, not propagated to a
   * connection). For a route subject (durable), the promise settles once
   * the bus has stored the message or it failed (and was answered).
   */
  publish(subject: string, data: unknown): Promise<void> | undefined;
  /** Called once per connection when its socket has closed. */
  connectionClosed(conn: Connection): void;
}
