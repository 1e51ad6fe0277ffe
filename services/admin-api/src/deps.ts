import type { Bus } from '@parley/bus';
import type { LoginLimits } from '@parley/cluster';
import type { Config } from '@parley/config';
import type { Stores } from '@parley/store';
import type { Logger, Metrics } from '@parley/telemetry';

/** What the admin API needs from its process: the same in the all-in-one server and in the cluster. */
export interface AdminDeps {
  config: Config;
  bus: Bus;
  stores: Stores;
  logger: Logger;
  metrics: Metrics;
  /** Id of this API instance, safe in subjects (e.g. the node id). */
  instance: string;
  /**
   * The login limits the gateways use (the all-in-one server's own store in
   * memory, Redis in a cluster): listLoginRefusals and liftLoginRefusal act
   * on it. Absent: those operations answer 503 unavailable.
   */
  loginLimits?: LoginLimits;
}
