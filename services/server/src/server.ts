import { mkdirSync } from 'node:fs';
import { startAdminApi } from '@parley/admin-api';
import type { AdminApi } from '@parley/admin-api';
import { MemoryBus } from '@parley/bus';
import { MemoryLoginLimits, loginLimitsOptions } from '@parley/cluster';
import { opsEndpointOptions } from '@parley/config';
import type { Config } from '@parley/config';
import { loadTlsMaterial, openConfiguredStores, processId, storeObserver } from '@parley/process';
import { startGateway } from '@parley/gateway';
import type { Gateway } from '@parley/gateway';
import { startMucService } from '@parley/muc';
import type { MucService } from '@parley/muc';
import { s2sServiceWanted, startS2sService } from '@parley/s2s';
import type { S2sService } from '@parley/s2s';
import { startSessionRegistry } from '@parley/session-registry';
import type { SessionRegistry } from '@parley/session-registry';
import { instrumentStores } from '@parley/store';
import { startEmbeddedUpload } from '@parley/upload-service';
import type { UploadService } from '@parley/upload-service';
import type { Stores } from '@parley/store';
import { createLogger, createMetrics, installTracing, startHttpEndpoint } from '@parley/telemetry';
import type { HttpEndpoint, Logger, Metrics } from '@parley/telemetry';

export interface RunningServer {
  config: Config;
  gateway: Gateway;
  registry: SessionRegistry;
  /** The XEP-0045 service (absent when muc.enabled is false). */
  muc?: MucService;
  /** Federation and external components (when s2s.enabled or components are configured). */
  s2s?: S2sService;
  stores: Stores;
  bus: MemoryBus;
  metrics: Metrics;
  logger: Logger;
  http?: HttpEndpoint;
  /** The admin REST API (when admin.enabled). */
  adminApi?: AdminApi;
  /** The XEP-0363 upload HTTP service (when upload.enabled with local storage). */
  upload?: UploadService;
  /** Drains the gateway, stops the workers and closes the stores. */
  close(): Promise<void>;
}

export function openStores(config: Config): Promise<Stores> {
  return openConfiguredStores(config);
}

/**
 * The all-in-one server: every service in one process over the in-process
 * bus, with LMDB (or memory) storage. Same service code as the cluster.
 */
export async function startServer(
  config: Config,
  opts: { logger?: Logger } = {},
): Promise<RunningServer> {
  const logger =
    opts.logger ??
    createLogger({ service: 'server', level: config.log.level, nodeId: config.server.nodeId });
  const metrics = createMetrics({ defaultLabels: { node: config.server.nodeId } });
  const tracing = config.tracing.enabled
    ? installTracing({
        serviceName: 'parley-server',
        instanceId: config.server.nodeId,
        sampleRatio: config.tracing.samplePercent / 100,
        ...(config.tracing.otlpEndpoint !== undefined
          ? { otlpEndpoint: config.tracing.otlpEndpoint }
          : {}),
      })
    : undefined;
  mkdirSync(config.server.dataDir, { recursive: true });
  const stores = instrumentStores(
    await openStores(config),
    storeObserver(metrics, config.store.kind),
  );
  const bus = new MemoryBus();
  // The gateway's login limits, shared with the admin API (listLoginRefusals, liftLoginRefusal).
  const loginLimits = new MemoryLoginLimits(loginLimitsOptions(config));
  bus.onError = (err, subject) => logger.error('bus handler failed', { subject, err });
  // Each service started is stopped again, in reverse order, if a later one fails to start.
  const started: (() => Promise<void>)[] = [() => stores.close()];
  const undoStarted = async (): Promise<void> => {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  };
  let upload: UploadService | undefined;
  let registry: SessionRegistry;
  let muc: MucService | undefined;
  let gateway: Gateway;
  let s2s: S2sService | undefined;
  let adminApi: AdminApi | undefined;
  try {
    // The upload HTTP service starts first: the registry's slots need its URL and secret.
    const embedded = await startEmbeddedUpload({
      config,
      logger: logger.child({ service: 'upload' }),
      metrics,
    });
    upload = embedded.service;
    const uploadService = upload;
    if (uploadService) started.push(() => uploadService.close());
    // Each host checks the names of modules.disabled that are its own (muc-… for the MUC
    // service): a ModuleError from either stops the server.
    const startedRegistry = startSessionRegistry({
      config: embedded.registryConfig,
      bus,
      stores,
      logger: logger.child({ service: 'session-registry' }),
      metrics,
    });
    registry = startedRegistry;
    started.push(() => startedRegistry.close());
    if (config.muc.enabled) {
      const startedMuc = startMucService({
        config,
        bus,
        stores,
        logger: logger.child({ service: 'muc' }),
        metrics,
      });
      muc = startedMuc;
      started.push(() => startedMuc.close());
      await startedMuc.ready;
    }
    const startedGateway = await startGateway({
      config,
      bus,
      accounts: stores.accounts,
      fastTokens: stores.fastTokens,
      invitations: stores.invitations,
      loginLimits,
      logger: logger.child({ service: 'gateway' }),
      metrics,
      gatewayId: processId(config.server.nodeId),
      // One gateway: a random secret in dataDir keeps unknown users' salts across restarts.
      unconfiguredFakeSaltSecret: 'persist',
    });
    gateway = startedGateway;
    started.push(() => startedGateway.close('system-shutdown'));
    if (s2sServiceWanted(config)) {
      const tls = await loadTlsMaterial(config, logger);
      const startedS2s = await startS2sService({
        config,
        bus,
        logger: logger.child({ service: 's2s' }),
        metrics,
        tls: { cert: tls.cert, key: tls.key },
      });
      s2s = startedS2s;
      started.push(() => startedS2s.close());
    }
    if (config.admin.enabled) {
      adminApi = await startAdminApi({
        config,
        bus,
        stores,
        logger: logger.child({ service: 'admin-api' }),
        metrics,
        instance: processId(config.server.nodeId),
        loginLimits,
      });
    }
  } catch (err) {
    await undoStarted();
    throw err;
  }
  let draining = false;
  let http: HttpEndpoint | undefined;
  if (config.http.port !== 0) {
    http = await startHttpEndpoint({
      port: config.http.port,
      host: config.http.host,
      ...opsEndpointOptions(config),
      ...(adminApi !== undefined ? { extra: adminApi.opsRoutes } : {}),
      metrics,
      health: async () => ({ ok: true }),
      ready: async () => ({
        ok: !draining,
        details: { connections: gateway.connectionCount(), sessions: registry.sessionCount() },
      }),
    });
  }
  let closing: Promise<void> | undefined;
  return {
    config,
    gateway,
    registry,
    ...(muc ? { muc } : {}),
    ...(s2s ? { s2s } : {}),
    stores,
    bus,
    metrics,
    logger,
    ...(http ? { http } : {}),
    ...(adminApi ? { adminApi } : {}),
    ...(upload ? { upload } : {}),
    close() {
      closing ??= (async () => {
        draining = true;
        await adminApi?.close();
        await s2s?.close();
        await gateway.close('system-shutdown');
        await registry.idle();
        if (muc) {
          // Sessions ending send unavailable presence to their rooms, which answer the registry.
          await muc.idle();
          await registry.idle();
          await muc.close();
        }
        await registry.close();
        await upload?.close();
        await http?.close();
        await bus.close();
        await stores.close();
        await tracing?.shutdown();
      })();
      return closing;
    },
  };
}
