/**
 * JSON schemas shared by the routes. Route schemas are the single source
 * of request validation, response serialization and the OpenAPI document.
 */
import type { Config } from '@parley/config';
import { PROBLEMS, PROBLEM_CONTENT_TYPE } from './problem.js';
import type { ProblemCode } from './problem.js';

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', description: 'URI naming the kind of problem' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The request path' },
    code: { type: 'string', enum: Object.keys(PROBLEMS), description: 'Stable error code' },
    errors: {
      type: 'array',
      description: 'validation-failed: what did not match',
      items: {
        type: 'object',
        properties: { location: { type: 'string' }, message: { type: 'string' } },
      },
    },
    condition: { type: 'string', description: 'xmpp-error and others: the XMPP error condition' },
  },
  additionalProperties: true,
} as const;

export const sessionSchema = {
  $id: 'Session',
  type: 'object',
  required: ['jid', 'gw', 'conn', 'available', 'priority', 'boundAt', 'resumable'],
  properties: {
    jid: { type: 'string', description: 'Full JID' },
    gw: { type: 'string', description: 'Gateway holding the connection' },
    conn: { type: 'string', description: 'Connection id on that gateway' },
    available: { type: 'boolean', description: 'Sent available presence' },
    priority: { type: 'integer' },
    show: { type: 'string' },
    status: { type: 'string' },
    boundAt: { type: 'integer', description: 'ms since epoch' },
    resumable: { type: 'boolean', description: 'XEP-0198 resumption enabled' },
  },
} as const;

export const SHARED_SCHEMAS = [problemSchema, sessionSchema];

export const ref = (id: string) => ({ $ref: `${id}#` });

export const str = (description?: string, extra: Record<string, unknown> = {}) => ({
  type: 'string',
  ...(description ? { description } : {}),
  ...extra,
});
export const int = (description?: string, extra: Record<string, unknown> = {}) => ({
  type: 'integer',
  ...(description ? { description } : {}),
  ...extra,
});
export const bool = (description?: string) => ({
  type: 'boolean',
  ...(description ? { description } : {}),
});

/** Object schema: every property listed, `required` ones required, nothing else accepted. */
export function obj(
  properties: Record<string, unknown>,
  required: string[] = [],
  description?: string,
): Record<string, unknown> {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}

export const JID = str('A JID, e.g. alice@example.org', { minLength: 3, maxLength: 3071 });
export const BARE_JID = str('A bare JID, e.g. alice@example.org', {
  minLength: 3,
  maxLength: 2047,
});
export const XML = str('A serialized XML element', { minLength: 3 });

/** Path parameters. */
export function params(names: Record<string, string>): Record<string, unknown> {
  return obj(
    Object.fromEntries(
      Object.entries(names).map(([k, d]) => [k, str(d, { minLength: 1, maxLength: 3071 })]),
    ),
    Object.keys(names),
  );
}

export const userParams = params({ jid: 'Bare JID of the account' });

/** Query string of a list: cursor pagination, plus the list's own filters. */
export function pageQuery(config: Config, extra: Record<string, unknown> = {}) {
  const max = config.admin.maxPageSize;
  return obj({
    limit: int('Page size', { minimum: 1, maximum: max, default: Math.min(100, max) }),
    after: str('Cursor: the `next` value of the previous page', { minLength: 1 }),
    ...extra,
  });
}

/** A page of a list; `next` is absent on the last page. */
export function page(item: unknown, extra: Record<string, unknown> = {}) {
  return {
    type: 'object',
    required: ['items'],
    properties: {
      items: { type: 'array', items: item },
      next: str('Pass as `after` for the next page; absent on the last page'),
      ...extra,
    },
  };
}

export function ok(description: string, schema: Record<string, unknown> = { type: 'object' }) {
  return { description, ...schema };
}

export const NO_CONTENT = { description: 'Done', type: 'null' };
export const ACCEPTED = (description: string) => ({
  description,
  type: 'object',
  properties: { id: str('Stanza id') },
});

/** Problem responses for the given codes (merged by status). */
export function problems(...codes: ProblemCode[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const code of codes) {
    const status = String(PROBLEMS[code].status);
    const prev = out[status] as { description: string } | undefined;
    out[status] = {
      description: prev ? `${prev.description}; ${PROBLEMS[code].title}` : PROBLEMS[code].title,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
    };
  }
  return out;
}
