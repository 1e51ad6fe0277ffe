import type { JID } from '@parley/jid';
import { NS_DISCO_INFO, NS_DISCO_ITEMS, buildForm, serviceUnavailable } from '@parley/stanza';
import {
  NS_HTTP_UPLOAD,
  PendingSlots,
  checkQuota,
  newSlotId,
  openUploadBackend,
  uploadSettings,
  userKey,
} from '@parley/upload';
import type { UploadBackend } from '@parley/upload';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { refuseServiceMessage, replyToServiceIq } from '../service-stanzas.js';
import type { ModuleContext, ServerModule, ServiceStanza } from '../types.js';
import { overQuota, readSlotRequest, slotElement } from './slot-request.js';

const SERVICE_NAME = 'HTTP File Upload';
const DAY_MS = 86_400_000;

interface UploadState {
  backend: Promise<UploadBackend>;
  secret: string;
  pending: PendingSlots;
  local: ReadonlySet<string>;
}

/**
 * XEP-0363 HTTP File Upload on upload.<domain> for every served domain
 * (`upload.enabled`, subdomain `upload.subdomain`). The module owns that
 * service domain: slot requests from local users are answered at its
 * registry partition with signed URLs of the upload HTTP service (storage
 * `local`) or presigned URLs of an S3-compatible bucket (storage `s3`).
 * Quota is computed from storage plus the slots given and not used yet
 * (docs/upload.md). Listed in the server's disco#items.
 */
export const uploadModule: ServerModule = {
  name: 'upload',
  configSections: ['upload'],
  xeps: [
    {
      xep: '0363',
      title: 'HTTP File Upload',
      version: '1.1.0',
      note: 'upload.<domain>; local disk through the upload HTTP service or S3-compatible storage (presigned URLs); size limit, per-user quota, expiry, CORS',
    },
  ],
  enabled: (config) => config.upload.enabled,
  register(ctx) {
    const settings = uploadSettings(ctx.config);
    const backend = openUploadBackend(ctx.config, settings);
    // An S3 backend loads the SDK asynchronously; its failure is reported per request.
    backend.catch((err: unknown) => ctx.logger.error('upload storage failed to open', { err }));
    const state: UploadState = {
      backend,
      secret: settings.secret,
      pending: new PendingSlots(),
      local: new Set(ctx.config.server.domains),
    };
    for (const domain of ctx.config.server.domains) {
      const service = `${ctx.config.upload.subdomain}.${domain}`;
      ctx.discoItem(service, SERVICE_NAME);
      ctx.serviceDomain(service, (s) => handle(ctx, state, service, s));
    }
    const sweep = setInterval(() => state.pending.sweep(Date.now()), 60_000);
    sweep.unref();
    return async () => {
      clearInterval(sweep);
      (await backend.catch(() => undefined))?.close();
    };
  },
};

async function handle(
  ctx: ModuleContext,
  state: UploadState,
  service: string,
  { env, from, to }: ServiceStanza,
): Promise<void> {
  const stanza = parseXml(env.xml);
  const addressed = to.local === '' && to.resource === '' && to.domain === service;
  if (env.kind === 'iq') {
    const type = env.type;
    if (type !== 'get' && type !== 'set') return;
    await replyToServiceIq(ctx, env, stanza, 'upload slot request', () => {
      const payload = stanza.getChildElements()[0];
      if (!addressed || payload === undefined) throw serviceUnavailable();
      return answer(ctx, state, type, payload, from);
    });
    return;
  }
  if (env.kind === 'message') refuseServiceMessage(ctx, env, stanza);
}

async function answer(
  ctx: ModuleContext,
  state: UploadState,
  type: 'get' | 'set',
  payload: Element,
  from: JID,
): Promise<Element | undefined> {
  const cfg = ctx.config.upload;
  if (type === 'get' && payload.is('query', NS_DISCO_INFO) && payload.attr('node') === undefined)
    return xml(
      'query',
      { xmlns: NS_DISCO_INFO },
      xml('identity', { category: 'store', type: 'file', name: SERVICE_NAME }),
      ...[NS_DISCO_INFO, NS_DISCO_ITEMS, NS_HTTP_UPLOAD].map((f) => xml('feature', { var: f })),
      buildForm('result', NS_HTTP_UPLOAD, [
        { var: 'max-file-size', values: [String(cfg.maxFileBytes)] },
      ]),
    );
  if (type === 'get' && payload.is('query', NS_DISCO_ITEMS) && payload.attr('node') === undefined)
    return xml('query', { xmlns: NS_DISCO_ITEMS });
  if (type === 'get' && payload.is('request', NS_HTTP_UPLOAD)) {
    const ask = readSlotRequest(payload, from, state.local, cfg.maxFileBytes);
    const backend = await state.backend;
    const user = userKey(state.secret, from.toBareString());
    const now = Date.now();
    const files = await backend.files(user);
    const pending = state.pending.open(user, files, now);
    const verdict = checkQuota({
      quota: cfg.quotaBytesPerUser,
      size: ask.size,
      files,
      pending,
      expiryMs: cfg.expiryDays * DAY_MS,
    });
    if (!verdict.ok) throw overQuota(verdict, cfg.quotaBytesPerUser);
    const slot = newSlotId();
    const putExpires = Math.floor((now + cfg.putValidityMs) / 1000);
    const urls = await backend.slot({
      key: { user, slot, filename: ask.filename },
      size: ask.size,
      contentType: ask.contentType,
      putExpires,
    });
    state.pending.add(user, { slot, size: ask.size, expires: putExpires * 1000 });
    return slotElement(urls);
  }
  throw serviceUnavailable();
}
