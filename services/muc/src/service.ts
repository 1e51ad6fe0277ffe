/**
 * The MUC service (XEP-0045): a worker that owns a share of the MUC
 * partitions and handles every stanza for the rooms (and the service
 * JIDs) hashed to them, strictly in order per partition.
 */
import type { BusMessage, OrderedConsumer } from '@parley/bus';
import { StaticOwnership } from '@parley/cluster';
import type { PartitionOwnership } from '@parley/cluster';
import { tryParseJID } from '@parley/jid';
import { MUC_MESSAGES, mucConsumerName, mucPartitionPattern } from '@parley/routing';
import type { Element } from '@parley/xml';
import type { MucDeps } from './muc-context.js';
import { MucContext } from './muc-context.js';
import { handleIq } from './iq.js';
import { handleMessage } from './messages.js';
import { MucModules } from './modules/host.js';
import { mucModules } from './modules/index.js';
import type { MucModule } from './modules/types.js';
import { handlePresence } from './occupants.js';

export interface MucServiceOptions extends MucDeps {
  /** Which partitions to consume; default: all of them, always (single-node mode). */
  ownership?: PartitionOwnership;
  /** The modules the service offers; default: every built-in one (`mucModules`). */
  modules?: readonly MucModule[];
}

export interface MucService {
  /** The service domains (`conference.<domain>`). */
  readonly domains: string[];
  /** Partitions this worker consumes. */
  readonly partitions: number[];
  /** The modules started, in start order. */
  readonly modules: readonly MucModule[];
  /** Rooms in this worker's memory. */
  roomCount(): number;
  occupantCount(): number;
  /** Resolves once every partition consumer is running. */
  readonly ready: Promise<void>;
  /** Resolves when every queued stanza has been handled (tests, drain). */
  idle(): Promise<void>;
  /** Hands the partitions back (their hot state stays mirrored), then stops the modules. */
  close(): Promise<void>;
}

/**
 * Starts a MUC worker: its modules first (a duplicate IQ handler, a
 * missing or disabled dependency or an unknown `muc-…` name in
 * `modules.disabled` throws a ModuleError naming the modules, before
 * anything is consumed), then the partitions it owns.
 */
export function startMucService(opts: MucServiceOptions): MucService {
  const core = new MucContext(opts);
  const modules = new MucModules(core, opts.modules ?? mucModules);
  const onError = (err: unknown) => core.logger.error('muc job failed', { err });

  const handle = async (msg: BusMessage): Promise<void> => {
    // Unknown type or version, or invalid: counted and logged, not handled.
    const m = core.protocol.decode(MUC_MESSAGES, msg);
    if (m === undefined) return;
    const env = m.env;
    const from = tryParseJID(env.from);
    const to = tryParseJID(env.to);
    if (!from || !to || !core.serviceDomains.has(to.domain)) return;
    let el: Element;
    try {
      el = core.parse(env);
    } catch {
      return;
    }
    core.counted(env.kind);
    switch (env.kind) {
      case 'presence':
        if (to.local === '') return; // presence to the service itself: nothing to do
        return handlePresence(core, el, from, to);
      case 'message':
        if (to.local === '') return;
        return handleMessage(core, env, el, from, to);
      case 'iq':
        return handleIq(core, modules, el, from, to);
    }
  };

  const consumers = new Map<number, OrderedConsumer>();
  const ownership = opts.ownership ?? new StaticOwnership(core.partitions);
  const ready = (async () => {
    await core
      .seedOwnedIndex()
      .catch((err: unknown) =>
        core.logger.warn('muc: could not rebuild the owned-rooms index', { err }),
      );
    await ownership.start({
      acquire: async (p) => {
        core.forgetPartition(p);
        for (const hot of await core.stateStore.loadPartition(p)) {
          await core.restoreHot(hot).catch(onError);
        }
        const c = await opts.bus.consumeOrdered(mucPartitionPattern(p), mucConsumerName(p), (msg) =>
          handle(msg).catch(onError),
        );
        consumers.set(p, c);
        core.logger.debug('muc partition acquired', { partition: p });
      },
      resync: async (p) => {
        // The shared state was lost while this worker kept the partition: write it back.
        for (const room of core.rooms.values()) {
          if (core.partitionOf(room.jid) !== p || room.isEmpty()) continue;
          core.mirrorMeta(room);
          for (const o of room.occupants.values()) core.mirrorOccupant(room, o);
          for (const e of room.history) core.mirrorHistory(room, e);
        }
        core.logger.warn('muc partition state written back', { partition: p });
      },
      release: async (p) => {
        await consumers.get(p)?.stop();
        consumers.delete(p);
        // The next owner reads the mirror: it must hold everything handled here.
        await core.flushMirror();
        core.forgetPartition(p);
        core.logger.debug('muc partition released', { partition: p });
      },
    });
  })();

  return {
    domains: [...core.serviceDomains],
    get partitions() {
      return ownership.owned();
    },
    modules: modules.modules,
    roomCount: () => core.rooms.size,
    occupantCount: () => {
      let n = 0;
      for (const r of core.rooms.values()) n += r.occupantCount;
      return n;
    },
    ready,
    idle: async () => {
      await ready;
      await Promise.all([...consumers.values()].map((c) => c.idle()));
    },
    close: async () => {
      await ready.catch(() => undefined);
      await ownership.stop();
      await modules.stop();
    },
  };
}
