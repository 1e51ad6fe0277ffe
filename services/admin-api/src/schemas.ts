/**
 * Schemas shared by the routes, written with TypeBox: each one is the JSON
 * schema that validates a request, serializes a response and makes the
 * OpenAPI document, and its TypeScript type is derived from it
 * (`Static<typeof X>`; route handlers get it through the TypeBox type
 * provider). Schemas with an `$id` are registered with the application
 * (SHARED_SCHEMAS) and referenced with `ref()`, so the document shows them
 * once, as components; one is never embedded whole in another schema (its
 * `$id` would be declared twice and fastify would refuse the route).
 */
import { Type } from '@sinclair/typebox';
import type {
  ObjectOptions,
  SchemaOptions,
  Static,
  TObject,
  TProperties,
  TSchema,
  TString,
  TUnsafe,
} from '@sinclair/typebox';
import type { Config } from '@parley/config';
import { PROBLEMS, PROBLEM_CONTENT_TYPE } from './problem.js';
import type { ProblemCode } from './problem.js';

type NoProperties = Record<never, TSchema>;

/** An object that accepts its listed properties only; the optional ones wrapped in Type.Optional. */
export const obj = <P extends TProperties>(properties: P, options: ObjectOptions = {}) =>
  Type.Object(properties, { ...options, additionalProperties: false });

/** A string with one of the given values (an `enum`, as ajv reports it, rather than TypeBox's anyOf of literals). */
export const StringEnum = <const V extends readonly string[]>(values: V, options?: SchemaOptions) =>
  Type.Unsafe<V[number]>({ ...options, type: 'string', enum: [...values] });

/**
 * A property the request may leave out because its schema has a `default`:
 * optional in the schema, always present in the validated request (ajv
 * fills defaults in), so required in the derived type.
 */
export function Defaulted<T extends TSchema>(schema: T): T {
  if (schema.default === undefined) throw new Error('Defaulted: the schema has no default');
  return Type.Optional(schema) as TSchema as T;
}

/** A reference to a registered schema (one with an `$id`), typed as that schema. */
export function ref<T extends TSchema>(schema: T): TUnsafe<Static<T>> {
  if (schema.$id === undefined) throw new Error('ref: the schema has no $id');
  return Type.Unsafe<Static<T>>({ $ref: `${schema.$id}#` });
}

/** The schema with another description (e.g. a JID property, or a response in the document). */
export const described = <T extends TSchema>(schema: T, description: string): T => ({
  ...schema,
  description,
});

/** A response schema; its description is the response's in the document. */
export const ok = <T extends TSchema>(description: string, schema: T): T =>
  described(schema, description);

export const Problem = Type.Object(
  {
    type: Type.String({ description: 'URI naming the kind of problem' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String({ description: 'The request path' })),
    code: StringEnum(Object.keys(PROBLEMS) as ProblemCode[], { description: 'Stable error code' }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          location: Type.Optional(Type.String()),
          message: Type.Optional(Type.String()),
        }),
        { description: 'validation-failed: what did not match' },
      ),
    ),
    condition: Type.Optional(
      Type.String({ description: 'xmpp-error and others: the XMPP error condition' }),
    ),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details', additionalProperties: true },
);

export const Session = Type.Object(
  {
    jid: Type.String({ description: 'Full JID' }),
    gw: Type.String({ description: 'Gateway holding the connection' }),
    conn: Type.String({ description: 'Connection id on that gateway' }),
    available: Type.Boolean({ description: 'Sent available presence' }),
    priority: Type.Integer(),
    show: Type.Optional(Type.String()),
    status: Type.Optional(Type.String()),
    boundAt: Type.Integer({ description: 'ms since epoch' }),
    resumable: Type.Boolean({ description: 'XEP-0198 resumption enabled' }),
  },
  { $id: 'Session' },
);

export const JID = Type.String({
  description: 'A JID, e.g. alice@example.org',
  minLength: 3,
  maxLength: 3071,
});
export const BARE_JID = Type.String({
  description: 'A bare JID, e.g. alice@example.org',
  minLength: 3,
  maxLength: 2047,
});
export const XML = Type.String({ description: 'A serialized XML element', minLength: 3 });
/** The `domain` filter of lists and counts. */
export const DOMAIN = Type.String({ description: 'Only this domain', minLength: 1 });

/** An account. */
export const User = obj(
  {
    jid: BARE_JID,
    createdAt: Type.Integer({ description: 'ms since epoch' }),
    banned: Type.Boolean({ description: 'Banned accounts cannot log in' }),
  },
  { $id: 'User' },
);

/** Contact names and groups, as stored and as set. */
export const CONTACT_NAME = Type.String({
  description: 'Name shown for the contact',
  maxLength: 1024,
});
export const CONTACT_GROUPS = Type.Array(
  Type.String({ description: 'Group', minLength: 1, maxLength: 1024 }),
  { maxItems: 100 },
);
/** A roster item. */
export const Contact = obj(
  {
    jid: BARE_JID,
    name: Type.Optional(CONTACT_NAME),
    subscription: StringEnum(['none', 'to', 'from', 'both'], { description: 'Subscription state' }),
    ask: Type.Optional(StringEnum(['subscribe'], { description: 'Pending outbound request' })),
    pendingIn: Type.Optional(
      Type.Boolean({
        description: 'Pending inbound request (such items are not in the roster the client sees)',
      }),
    ),
    groups: CONTACT_GROUPS,
  },
  { $id: 'Contact' },
);

/** Path parameters: each a non-empty string, described. */
export function params<K extends string>(
  descriptions: Record<K, string>,
): TObject<{ [N in K]: TString }> {
  const properties = Object.fromEntries(
    Object.entries<string>(descriptions).map(([name, description]) => [
      name,
      Type.String({ description, minLength: 1, maxLength: 3071 }),
    ]),
  ) as { [N in K]: TString };
  return obj(properties);
}

/** `/users/:jid/...`: the account. */
export const UserParams = params({ jid: 'Bare JID of the account' });
/** `/muc/rooms/:room/...`: the room. */
export const RoomParams = params({
  room: 'Bare JID of the room, e.g. lounge@conference.example.org',
});

/** Query string of a list: cursor pagination (`limit`, `after`), plus the list's own filters. */
export function pageQuery<P extends TProperties = NoProperties>(config: Config, filters?: P) {
  const max = config.admin.maxPageSize;
  return obj({
    limit: Defaulted(
      Type.Integer({
        description: 'Page size',
        minimum: 1,
        maximum: max,
        default: Math.min(100, max),
      }),
    ),
    after: Type.Optional(
      Type.String({ description: 'Cursor: the `next` value of the previous page', minLength: 1 }),
    ),
    ...(filters as P),
  });
}

/** A page of a list; `next` is absent on the last page. */
export function page<T extends TSchema, P extends TProperties = NoProperties>(item: T, extra?: P) {
  return Type.Object({
    items: Type.Array(item),
    next: Type.Optional(
      Type.String({ description: 'Pass as `after` for the next page; absent on the last page' }),
    ),
    ...(extra as P),
  });
}

/** The empty body of a 204 (`type: 'null'` in the document; the handler sends nothing). */
export const NO_CONTENT = Type.Unsafe<undefined>({ description: 'Done', type: 'null' });
export const ACCEPTED = (description: string) =>
  Type.Object({ id: Type.Optional(Type.String({ description: 'Stanza id' })) }, { description });

/** Problem responses for the given codes (merged by status). */
export function problems(...codes: ProblemCode[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const code of codes) {
    const status = String(PROBLEMS[code].status);
    const prev = out[status] as { description: string } | undefined;
    out[status] = {
      description: prev ? `${prev.description}; ${PROBLEMS[code].title}` : PROBLEMS[code].title,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ref(Problem) } },
    };
  }
  return out;
}

/** Registered with the application: referenced by `ref()`, components of the document. */
export const SHARED_SCHEMAS: TSchema[] = [Problem, Session, User, Contact];
