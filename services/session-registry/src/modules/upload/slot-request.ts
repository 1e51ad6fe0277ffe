/**
 * A XEP-0363 slot request, read and checked: who may ask (local users),
 * the file name, size and content type, the size limit and the quota, each
 * refusal with the error the XEP gives.
 */
import type { JID } from '@parley/jid';
import {
  badRequest,
  forbidden,
  notAcceptable,
  resourceConstraint,
  xep0082DateTime,
} from '@parley/stanza';
import type { StanzaError } from '@parley/stanza';
import { NS_HTTP_UPLOAD, filenameProblem, normalizeContentType } from '@parley/upload';
import type { QuotaVerdict } from '@parley/upload';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';

export interface SlotAsk {
  filename: string;
  size: number;
  contentType: string;
}

/**
 * The request's file name, size and content type; throws the StanzaError
 * to answer with: forbidden for anyone but a local user (`localDomains`),
 * bad-request for a malformed request, not-acceptable with
 * `<file-too-large><max-file-size/>` above `maxFileBytes`.
 */
export function readSlotRequest(
  request: Element,
  from: JID,
  localDomains: ReadonlySet<string>,
  maxFileBytes: number,
): SlotAsk {
  if (from.local === '' || !localDomains.has(from.domain))
    throw forbidden('Only users of this server may upload files');
  const filename = request.attr('filename') ?? '';
  const problem = filenameProblem(filename);
  if (problem !== undefined) throw badRequest(`Bad file name: ${problem}`);
  const sizeText = request.attr('size') ?? '';
  const size = /^\d{1,16}$/.test(sizeText) ? Number(sizeText) : NaN;
  if (!Number.isSafeInteger(size)) throw badRequest('The size must be a number of bytes');
  if (size > maxFileBytes) throw fileTooLarge(maxFileBytes);
  const contentType = normalizeContentType(request.attr('content-type'));
  if (contentType === undefined) throw badRequest('Malformed content-type');
  return { filename, size, contentType };
}

/** not-acceptable with the XEP's `<file-too-large><max-file-size>…</max-file-size></file-too-large>`. */
export function fileTooLarge(max: number): StanzaError {
  return notAcceptable(`File too large. The maximum file size is ${max} bytes`, {
    appCondition: xml(
      'file-too-large',
      { xmlns: NS_HTTP_UPLOAD },
      xml('max-file-size', {}, String(max)),
    ),
  });
}

/** resource-constraint (type wait) for a request over quota, with `<retry stamp/>` when known. */
export function overQuota(
  verdict: Extract<QuotaVerdict, { ok: false }>,
  quota: number,
): StanzaError {
  return resourceConstraint(
    `Quota reached: ${verdict.used} of ${quota} bytes are used`,
    verdict.retryAt !== undefined
      ? {
          appCondition: xml('retry', {
            xmlns: NS_HTTP_UPLOAD,
            stamp: xep0082DateTime(new Date(verdict.retryAt)).replace(/\.\d{3}Z$/, 'Z'),
          }),
        }
      : {},
  );
}

/** `<slot><put url><header/>…</put><get url/></slot>` */
export function slotElement(urls: {
  put: string;
  headers: readonly { name: string; value: string }[];
  get: string;
}): Element {
  return xml(
    'slot',
    { xmlns: NS_HTTP_UPLOAD },
    xml(
      'put',
      { url: urls.put },
      ...urls.headers.map((h) => xml('header', { name: h.name }, h.value)),
    ),
    xml('get', { url: urls.get }),
  );
}
