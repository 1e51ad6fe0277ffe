/**
 * Every string the admin API takes (path parameters, query, body) can end
 * up in an XML stanza or in stored data that is served as XML, so a
 * character XML 1.0 does not allow (C0 controls but tab, LF and CR, U+FFFE,
 * U+FFFF, unpaired surrogates) is refused with 400 up front; otherwise the
 * stanza built from it does not parse where it is sent and the request
 * waits for an answer that never comes (found by the property tests:
 * destroyRoom with a NUL in `reason` timed out).
 */
import type { FastifyInstance } from 'fastify';
import { ApiProblem } from './problem.js';

const NOT_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The location (e.g. `body/config/name`) of the first string XML cannot carry, if any. */
export function findNonXmlString(value: unknown, where: string, depth = 0): string | undefined {
  if (typeof value === 'string') return NOT_XML.test(value) ? where : undefined;
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  for (const [key, v] of Object.entries(value)) {
    if (NOT_XML.test(key)) return `${where}/${key}`;
    const found = findNonXmlString(v, `${where}/${key}`, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Refuses requests of `app` carrying such a string, before validation. */
export function installXmlCharCheck(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    for (const [part, value] of [
      ['params', req.params],
      ['querystring', req.query],
      ['body', req.body],
    ] as const) {
      const where = findNonXmlString(value, part);
      if (where !== undefined) {
        throw new ApiProblem('bad-request', `${where} holds a character XML does not allow`);
      }
    }
  });
}
