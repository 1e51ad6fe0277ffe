import type { BusMessage, DurableMessage, OrderedConsumer } from '@parley/bus';
import { StaticOwnership } from '@parley/cluster';
import { disabledModulesOf } from '@parley/config';
import { ModuleError, Priority, ServiceRegistry, startModules } from '@parley/modules';
import type { PartitionOwnership } from '@parley/cluster';
import {
  REGISTRY_MESSAGES,
  envelopeOf,
  isAdminRequest,
  partitionOf,
  partitionPattern,
} from '@parley/routing';
import { NS_ROSTER } from '@parley/stanza';
import { SpanKind, getTracer, inSpan } from '@parley/telemetry';
import type { Element } from '@parley/xml';
import type { AdminRequest, Envelope, RegistryMessage } from '@parley/routing';
import { startAdminControl } from './admin/admin-control.js';
import type { RegistryDeps } from './registry-context.js';
import { RegistryContext, fromRecord, toRecord } from './registry-context.js';
import { destructiveGuard } from './admin/destructive-guard.js';
import { gatewayDown, startReaper } from './sessions/reaper.js';
import type { GatewayLiveness } from './sessions/reaper.js';
import { handleInbound, handleOutbound } from './rules/route-stanza.js';
import { IqHandlers, handlerKey } from './rules/iq.js';
import { serverInfo } from './rules/server-info.js';
import { builtinModules } from './modules/index.js';
import type { DiscoItem, Identity, ModuleContext, ServerModule } from './modules/types.js';
import { rosterGet, rosterSet } from './rules/roster.js';
import {
  accountRemoved,
  bind,
  bounced,
  fenceDone,
  markDetached,
  markResumable,
  unbind,
} from './sessions/sessions.js';
import { syncSessions } from './sessions/session-sync.js';

const tracer = getTracer('parley-session-registry');
export interface SessionRegistry {
  /** Partitions this worker consumes. */
  readonly partitions: number[];
  /** The modules started, in start order. */
  readonly modules: readonly ServerModule[];
  sessionCount(): number;
  /** Resolves once every partition consumer is running. */
  readonly ready: Promise<void>;
  /** Resolves when every queued job has finished (tests, drain). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface RegistryOptions extends RegistryDeps {
  /** Which partitions to consume; default: all of them, always (single-node mode). */
  ownership?: PartitionOwnership;
  /** Tells whether a gateway is alive (cluster mode): sessions on dead gateways are ended. */
  gatewayLiveness?: GatewayLiveness;
  modules?: readonly ServerModule[];
}

/**
 * Starts a session-registry worker: consumes the partition subjects it owns
 * and applies the RFC 6120/6121 routing rules for the accounts in them.
 */
export function startSessionRegistry(opts: RegistryOptions): SessionRegistry {
  const core = new RegistryContext(opts);
  const iqs = new IqHandlers();
  const startedAt = Date.now();
  const features = { server: [] as string[], account: [] as string[] };
  const identities = { server: [] as Identity[], account: [] as Identity[] };
  const infoForms = { server: [] as Element[], account: [] as Element[] };
  const discoItems: DiscoItem[] = [];
  const services = new ServiceRegistry();
  const contextFor = (module: string): ModuleContext => ({
    module,
    config: core.config,
    stores: core.stores,
    logger: core.logger,
    metrics: opts.metrics,
    sessions: core.sessions,
    startedAt,
    serverIq: (type, ns, h) => iqs.server.register(handlerKey(type, ns), h, module),
    accountIq: (type, ns, h) => iqs.account.register(handlerKey(type, ns), h, module),
    provide: (key, value) => services.provide(key, value, module),
    use: (key) => services.use(key, module),
    tryUse: (key) => (services.has(key) ? services.use(key, module) : undefined),
    feature: (ns, scope = 'server') => void features[scope].push(ns),
    identity: (id, scope = 'server') => void identities[scope].push(id),
    features: (scope) => [...new Set(features[scope])],
    identities: (scope) => identities[scope],
    infoForm: (form, scope = 'server') => void infoForms[scope].push(form),
    infoForms: (scope) => infoForms[scope],
    onOutbound: (f, priority = Priority.normal) => core.hooks.outbound.add(f, priority, module),
    onInbound: (f, priority = Priority.normal) => core.hooks.inbound.add(f, priority, module),
    onMessageDelivered: (h, priority = Priority.normal) =>
      core.hooks.delivered.add(h, priority, module),
    onMessageSent: (h, priority = Priority.normal) => core.hooks.sent.add(h, priority, module),
    deliver: (session, stanza) => core.deliver(session, envelopeOf(stanza, 'in')),
    send: (stanza) => core.send(stanza),
    setSessionFlag: (owner, session, flag, on) => {
      if ((session.flags?.[flag] === true) === on) return;
      if (on) session.flags = { ...session.flags, [flag]: true };
      else if (session.flags) {
        const { [flag]: _off, ...rest } = session.flags;
        if (Object.keys(rest).length > 0) session.flags = rest;
        else delete session.flags;
      }
      core.sessions.touch(owner, session);
    },
    accountCache: (max) => core.accountCache(max),
    discoItem: (jid, name) => {
      if (!discoItems.some((i) => i.jid === jid)) discoItems.push(name ? { jid, name } : { jid });
    },
    discoItems: () => [...discoItems],
    serviceDomain: (domain, handler) => {
      const prev = core.serviceDomains.get(domain);
      if (prev !== undefined) {
        throw new ModuleError(
          'duplicate-handler',
          `module '${module}' claims service domain '${domain}', already owned by module '${prev.module}'`,
        );
      }
      core.serviceDomains.set(domain, { handler, module });
    },
  });
  // The roster (RFC 6121 section 2) is part of the registry's rules, registered like a module.
  iqs.account.register(handlerKey('get', NS_ROSTER), (req) => rosterGet(core, req), 'roster');
  iqs.account.register(handlerKey('set', NS_ROSTER), (req) => rosterSet(core, req), 'roster');
  // The admin API's requests and relay (first inbound filter: its stanzas reach no module).
  const admin = startAdminControl(core, iqs, () => ownership.owned(), opts.metrics);
  // Declared dependencies, one handler per IQ, disabled modules named in the config: a
  // mistake stops the start here with a ModuleError naming the modules.
  const started = startModules({
    modules: opts.modules ?? builtinModules,
    config: core.config,
    // The muc-… names of modules.disabled are the MUC service's to check.
    disabled: disabledModulesOf(core.config, 'session-registry'),
    contextFor: (m) => contextFor(m.name),
  });
  const modules = started.modules;

  // Destructive messages are checked against the stores and heartbeats first (docs/security.md).
  const guard = destructiveGuard(core, opts.gatewayLiveness, opts.metrics, core.logger);
  const onError = (err: unknown) => core.logger.error('registry job failed', { err });

  const resynced = opts.metrics.counter(
    'parley_registry_sessions_resynced_total',
    'Sessions re-registered by gateways (session-sync) after a partition changed owner or Redis lost the session table, by outcome: added (the owner did not know it), known, replaced, refused.',
    ['outcome'],
  );
  const redelivered = opts.metrics.counter(
    'parley_registry_redelivered_total',
    'Durable messages handled that had been delivered to a consumer before (after a failover or a lost confirmation): an upper bound on the messages handled twice.',
  );
  /** A stanza for one of the owned partitions: synchronous while its handling is. */
  const routeStanza = (env: Envelope): void | Promise<void> =>
    env.stage === 'out' ? handleOutbound(core, iqs, env) : handleInbound(core, iqs, env);
  const handle = (msg: BusMessage): void | Promise<void> => {
    const deliveries = (msg as Partial<DurableMessage>).deliveries;
    if (deliveries !== undefined && deliveries > 1) redelivered.inc();
    // Unknown type or version, or invalid: counted, logged and (a request) answered.
    const m = core.protocol.decode(REGISTRY_MESSAGES, msg);
    if (m === undefined) return;
    if (m.t !== 'stanza') return control(m, msg);
    const env = m.env;
    if (env.tp === undefined) return routeStanza(env);
    return inSpan(
      tracer,
      `xmpp.route.${env.stage} ${env.kind}`,
      {
        parent: env.tp,
        kind: SpanKind.CONSUMER,
        attributes: { 'xmpp.stanza.kind': env.kind },
      },
      () => routeStanza(env),
    );
  };
  /** Everything on a partition's subject that is not a stanza. */
  const control = async (m: RegistryMessage | AdminRequest, msg: BusMessage): Promise<void> => {
    if (isAdminRequest(m)) return admin.handle(m, msg.respond);
    switch (m.t) {
      case 'stanza':
        return routeStanza(m.env);
      case 'bind': {
        const reply = await bind(core, m).catch((err: unknown) => {
          onError(err);
          return { ok: false as const, condition: 'internal-server-error' as const };
        });
        core.protocol.respond(msg, reply);
        return;
      }
      case 'unbind':
        return unbind(core, m);
      case 'bounce':
        return bounced(core, iqs, m);
      case 'gateway-down':
        if (!(await guard.gatewayDown(m.gw))) return;
        return gatewayDown(core, m.gw, m.partition, m.resumableToo);
      case 'account-removed':
        if (!(await guard.accountRemovable(m.jid))) return;
        return accountRemoved(core, m.jid);
      case 'session-resumable':
        return markResumable(core, m.jid, m.conn);
      case 'session-detached':
        return markDetached(core, m.jid, m.conn);
      case 'session-sync':
        return syncSessions(core, m, (outcome) => resynced.inc({ outcome }));
      case 'fence-done':
        return fenceDone(core, m);
      case 'server-info':
        core.protocol.respond(msg, await serverInfo(core, iqs, m.domain));
        return;
    }
  };

  // One ordered durable consumer per owned partition: everything for an
  // account is handled in arrival order; partitions run concurrently.
  const consumers = new Map<number, OrderedConsumer>();
  const ownership = opts.ownership ?? new StaticOwnership(core.partitions);
  const ready = ownership.start({
    acquire: async (p) => {
      core.forgetPartition(p); // nothing cached from an earlier term of ownership may survive
      for (const rec of await core.sessionStore.loadPartition(p))
        core.sessions.load(rec.bare, fromRecord(rec));
      const c = await opts.bus.consumeOrdered(partitionPattern(p), `registry-p${p}`, (msg) => {
        let r: void | Promise<void>;
        try {
          r = handle(msg);
        } catch (err) {
          onError(err);
          return;
        }
        return r instanceof Promise ? r.catch(onError) : undefined;
      });
      consumers.set(p, c);
      core.logger.debug('partition acquired', { partition: p });
    },
    resync: async (p) => {
      for (const [bare, e] of core.sessions.all()) {
        if (partitionOf(bare, core.partitions) === p)
          await core.sessionStore.put(p, toRecord(bare, e));
      }
      core.logger.warn('partition state written back to the session store', { partition: p });
    },
    release: async (p) => {
      await consumers.get(p)?.stop();
      consumers.delete(p);
      core.forgetPartition(p);
      core.logger.debug('partition released', { partition: p });
    },
  });
  const reaper = opts.gatewayLiveness
    ? startReaper(core, opts.gatewayLiveness, () => ownership.owned(), core.bus)
    : undefined;
  const sessionsGauge = opts.metrics.gauge(
    'parley_sessions',
    'Bound resources (online sessions) in the partitions this worker owns.',
  );
  const gaugeTimer = setInterval(() => sessionsGauge.set(core.sessions.size()), 1000);
  gaugeTimer.unref();

  return {
    get partitions() {
      return ownership.owned();
    },
    modules,
    sessionCount: () => core.sessions.size(),
    ready,
    idle: async () => {
      await ready;
      await Promise.all([...consumers.values()].map((c) => c.idle()));
    },
    close: async () => {
      clearInterval(gaugeTimer);
      await ready;
      reaper?.stop();
      admin.stop();
      await ownership.stop();
      await started.stop();
    },
  };
}
