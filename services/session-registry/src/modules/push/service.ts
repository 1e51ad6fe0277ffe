import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { JID } from '@parley/jid';
import { deviceHash, validToken } from '@parley/push';
import type { Envelope } from '@parley/routing';
import {
  NS_DISCO_INFO,
  NS_DISCO_ITEMS,
  StanzaError,
  badRequest,
  errorReply,
  findForm,
  forbidden,
  iqResult,
  itemNotFound,
  resourceConstraint,
  serviceUnavailable,
} from '@parley/stanza';
import type { PushDevice } from '@parley/store';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { refuseServiceMessage, replyToServiceIq } from '../service-stanzas.js';
import type { ModuleContext, ServerModule, ServiceStanza } from '../types.js';
import {
  COMMANDS,
  blankForm,
  canceled,
  completed,
  deviceId,
  executing,
  readCommand,
  registeredForm,
  value,
} from './commands.js';
import type { CommandRequest } from './commands.js';
import { Deliveries } from './delivery.js';
import { NS_COMMANDS, NS_PUBLISH_OPTIONS, NS_PUBSUB, NS_PUSH } from './ns.js';

const SERVICE_NAME = 'Push notifications';

/**
 * The built-in XEP-0357 app server on push.<domain> for every served
 * domain (`push.service.enabled`). Local users register a device with the
 * ad-hoc commands of Conversations' app server p2 (commands.ts) and get a
 * node and a secret; their server's publishes to that node, with the secret
 * in the publish options, are delivered to FCM or APNs (delivery.ts). The
 * secret is stored as its SHA-256 only and compared in constant time. A
 * dead token removes the device and the publish is answered item-not-found,
 * so the user's server disables the registration; a transient failure is
 * answered with a `wait` error, which does not. What reaches Google or
 * Apple is the p2 device hash only (docs/push.md).
 */
export const pushServiceModule: ServerModule = {
  name: 'push-service',
  configSections: ['push'],
  xeps: [
    {
      xep: '0357',
      title: 'Push Notifications (app server)',
      version: '0.4.1',
      note: 'push.<domain>: device registration by ad-hoc commands (register-push-fcm, register-push-apns, unregister-push, as Conversations p2), delivery to FCM HTTP v1 and APNs (HTTP/2, token auth) with retries and removal of dead tokens',
    },
    {
      xep: '0050',
      title: 'Ad-Hoc Commands',
      version: '1.3.0',
      note: 'the push service’s registration commands',
    },
  ],
  enabled: (config) => config.push.service.enabled,
  register(ctx) {
    const deliveries = new Deliveries(ctx.config, ctx.stores.pushDevices, ctx.logger, ctx.metrics);
    const local = new Set(ctx.config.server.domains);
    for (const domain of ctx.config.server.domains) {
      const service = `${ctx.config.push.service.subdomain}.${domain}`;
      ctx.discoItem(service, SERVICE_NAME);
      ctx.serviceDomain(service, (s) => handle(ctx, deliveries, local, service, s));
    }
    return () => deliveries.close();
  },
};

async function handle(
  ctx: ModuleContext,
  deliveries: Deliveries,
  local: ReadonlySet<string>,
  service: string,
  { env, from, to }: ServiceStanza,
): Promise<void> {
  const stanza = parseXml(env.xml);
  const addressed = to.local === '' && to.resource === '' && to.domain === service;
  if (env.kind === 'message') return refuseServiceMessage(ctx, env, stanza);
  if (env.kind !== 'iq' || (env.type !== 'get' && env.type !== 'set')) return;
  const payload = stanza.getChildElements()[0];
  if (env.type === 'set' && addressed && payload?.is('pubsub', NS_PUBSUB)) {
    return publish(ctx, deliveries, service, env, stanza, payload, from);
  }
  const type = env.type;
  await replyToServiceIq(ctx, env, stanza, 'push service request', () => {
    if (!addressed || payload === undefined) throw serviceUnavailable();
    return answer(ctx, deliveries, local, service, type, payload, from);
  });
}

async function answer(
  ctx: ModuleContext,
  deliveries: Deliveries,
  local: ReadonlySet<string>,
  service: string,
  type: 'get' | 'set',
  payload: Element,
  from: JID,
): Promise<Element | undefined> {
  const node = payload.attr('node');
  const apps = ctx.config.push.service.apps;
  const offered = COMMANDS.filter(
    (c) => c.kind === undefined || apps.some((a) => a.type === c.kind),
  );
  if (type === 'get' && payload.is('query', NS_DISCO_INFO)) {
    if (node === undefined)
      return xml(
        'query',
        { xmlns: NS_DISCO_INFO },
        xml('identity', { category: 'pubsub', type: 'push', name: SERVICE_NAME }),
        ...[NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PUSH, NS_COMMANDS].map((f) =>
          xml('feature', { var: f }),
        ),
      );
    if (node === NS_COMMANDS)
      return xml(
        'query',
        { xmlns: NS_DISCO_INFO, node },
        xml('identity', { category: 'automation', type: 'command-list' }),
      );
    const cmd = offered.find((c) => c.node === node);
    if (cmd === undefined) throw itemNotFound();
    return xml(
      'query',
      { xmlns: NS_DISCO_INFO, node },
      xml('identity', { category: 'automation', type: 'command-node', name: cmd.name }),
      xml('feature', { var: NS_COMMANDS }),
      xml('feature', { var: 'jabber:x:data' }),
    );
  }
  if (type === 'get' && payload.is('query', NS_DISCO_ITEMS)) {
    if (node === undefined) return xml('query', { xmlns: NS_DISCO_ITEMS });
    if (node !== NS_COMMANDS) throw itemNotFound();
    return xml(
      'query',
      { xmlns: NS_DISCO_ITEMS, node },
      ...offered.map((c) => xml('item', { jid: service, node: c.node, name: c.name })),
    );
  }
  if (type === 'set' && payload.is('command', NS_COMMANDS)) {
    // The service is for this server's users.
    if (!local.has(from.domain) || from.local === '')
      throw forbidden('the push service is for accounts of this server');
    const req = readCommand(payload);
    if (req.info === undefined || !offered.includes(req.info))
      throw itemNotFound('no such command');
    return command(ctx, deliveries, service, req, from.toBareString());
  }
  throw serviceUnavailable();
}

async function command(
  ctx: ModuleContext,
  deliveries: Deliveries,
  service: string,
  req: CommandRequest,
  owner: string,
): Promise<Element> {
  const { info } = req;
  if (req.action === 'cancel') return canceled(info, req.sessionid);
  if (req.action !== 'execute' && req.action !== 'complete' && req.action !== 'next')
    throw badRequest(`unexpected action '${req.action}'`);
  const apps = ctx.config.push.service.apps;
  if (req.form === undefined || req.form.type === 'form' || req.form.fields.size === 0)
    return executing(info, blankForm(info, apps));
  const form = req.form;
  const device = deviceHash(owner, deviceId(form));
  const store = ctx.stores.pushDevices;
  const mine = (await store.listByOwner(owner)).filter((d) => d.service === service);
  const wantedApp = value(form, 'application');
  if (info.unregister) {
    const doomed = mine.filter(
      (d) =>
        d.device === device &&
        (info.kind === undefined || deliveries.app(d.app)?.type === info.kind) &&
        (wantedApp === undefined || d.app === wantedApp),
    );
    if (doomed.length === 0) throw itemNotFound('no such device is registered');
    for (const d of doomed) {
      await store.delete(d.service, d.node);
      // XEP-0357 section 8: the user's server may stop publishing to the node at once.
      ctx.send(
        xml(
          'message',
          { from: service, to: owner, type: 'headline' },
          xml(
            'pubsub',
            { xmlns: NS_PUBSUB, node: d.node },
            xml('affiliation', { jid: owner, affiliation: 'none' }),
          ),
        ),
      );
    }
    return completed(info, req.sessionid);
  }
  const app = apps.find(
    (a) => a.type === info.kind && (wantedApp === undefined || a.id === wantedApp),
  );
  if (app === undefined)
    throw itemNotFound(`no ${info.kind} application ${wantedApp ?? ''}`.trim());
  const token = value(form, 'token');
  if (token === undefined) throw badRequest('the token field is required');
  if (!validToken(app.type, token)) throw badRequest(`not a ${app.type} device token`);
  const existing = mine.find((d) => d.device === device && d.app === app.id);
  const max = ctx.config.push.service.maxDevicesPerAccount;
  if (existing === undefined && mine.length >= max)
    throw resourceConstraint(`at most ${max} devices per account`);
  // A registration again (a new token, or the client set up again) keeps the node; the secret is new.
  const node = existing?.node ?? randomBytes(12).toString('base64url');
  const secret = randomBytes(18).toString('base64url');
  await store.put({
    service,
    node,
    secretHash: sha256(secret),
    owner,
    device,
    app: app.id,
    token,
    createdAt: Date.now(),
  });
  return completed(info, req.sessionid, registeredForm(service, node, secret));
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with the stored hash. */
function secretMatches(secret: string, hash: string): boolean {
  const a = Buffer.from(sha256(secret), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A XEP-0357 publish from a user's server: checked (node, publisher,
 * secret) at once, delivered in the background; the answer follows the
 * delivery, so the user's server learns whether to keep the registration.
 */
async function publish(
  ctx: ModuleContext,
  deliveries: Deliveries,
  service: string,
  env: Envelope,
  stanza: Element,
  pubsub: Element,
  from: JID,
): Promise<void> {
  const reply = (err?: StanzaError) => {
    const r = err === undefined ? iqResult(stanza) : errorReply(stanza, err);
    r.setAttr('from', env.to);
    ctx.send(r);
  };
  let device: PushDevice;
  try {
    device = await check(ctx, deliveries, service, pubsub, from);
  } catch (err) {
    if (!(err instanceof StanzaError)) ctx.logger.error('push publish failed', { err });
    return reply(err instanceof StanzaError ? err : new StanzaError('internal-server-error'));
  }
  if (!deliveries.hasRoom())
    return reply(resourceConstraint('too many pushes in flight', { type: 'wait' }));
  void deliveries.deliver(device).then((outcome) => {
    if (outcome === 'ok') return reply();
    if (outcome === 'dead') return reply(itemNotFound('the device is no longer registered'));
    // Transient or a configuration problem here: the registration stays (type wait).
    return reply(
      new StanzaError('recipient-unavailable', { type: 'wait', text: 'push delivery failed' }),
    );
  });
}

async function check(
  ctx: ModuleContext,
  deliveries: Deliveries,
  service: string,
  pubsub: Element,
  from: JID,
): Promise<PushDevice> {
  const node = pubsub.getChild('publish', NS_PUBSUB)?.attr('node');
  if (node === undefined || node === '') throw badRequest('a publish to a node is expected');
  const device = await ctx.stores.pushDevices.get(service, node);
  if (device === undefined) throw itemNotFound();
  // Only the account's own server publishes, from the account's bare JID (XEP-0357 section 4.2).
  if (from.resource !== '' || from.toBareString() !== device.owner) throw forbidden();
  const options = pubsub.getChild('publish-options', NS_PUBSUB);
  const form = options === undefined ? undefined : findForm(options, NS_PUBLISH_OPTIONS);
  const secret = form?.fields.get('secret')?.[0];
  if (secret === undefined || !secretMatches(secret, device.secretHash)) throw forbidden();
  if (deliveries.app(device.app) === undefined) throw itemNotFound('the device’s app is gone');
  return device;
}
