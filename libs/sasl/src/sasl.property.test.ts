/**
 * Property tests of the SASL layer: SCRAM and PLAIN messages of any shape
 * are refused with the documented failure (never thrown), any username and
 * password (`=` and `,` included) complete a SCRAM exchange and a wrong
 * password never does, payload base64 is canonical. More runs: `pnpm fuzz`
 * (docs/security.md).
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { propertyTest } from '@parley/fuzz';
import { decodeBase64Strict } from './base64.js';
import type { StoredCredentials } from './credentials.js';
import { deriveCredentials } from './credentials.js';
import { SaslError } from './errors.js';
import { createServerMechanism } from './mechanisms.js';
import { decodeSaslPayload, encodeSaslPayload } from './payload.js';
import { preparePassword, prepareUsername } from './saslprep.js';
import { ScramClient } from './scram-client.js';
import {
  decodeSaslname,
  encodeSaslname,
  parseClientFinal,
  parseClientFirst,
} from './scram-messages.js';
import type { Mechanism, SaslContext, SaslStep } from './types.js';

/** RFC 6120 section 6.5 conditions a mechanism may answer with. */
const CONDITIONS = [
  'aborted',
  'account-disabled',
  'credentials-expired',
  'encryption-required',
  'incorrect-encoding',
  'invalid-authzid',
  'invalid-mechanism',
  'malformed-request',
  'mechanism-too-weak',
  'not-authorized',
  'temporary-auth-failure',
];

const FRAGMENTS = [
  'n',
  'y',
  'p',
  ',',
  '=',
  'n,,',
  'y,,',
  'p=tls-exporter,,',
  'p=tls-unique,,',
  'p=x y,,',
  'a=',
  'n=',
  'r=',
  'c=',
  'p=',
  'm=',
  's=',
  'i=',
  'e=',
  'v=',
  'x=',
  '=2C',
  '=3D',
  '=2c',
  '=3',
  'biws',
  'eSws',
  'cD10bHMtZXhwb3J0ZXIsLA==',
  '====',
  'AA==',
  'AAA=',
  'A',
  '\0',
  '\u00e9',
  '\u0301',
  '\u00ad',
  '\u2028',
  '\uD800',
  'user',
  'pencil',
  '\u2163',
  '\u00aa',
];
const token = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...FRAGMENTS) },
  { weight: 2, arbitrary: fc.base64String({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);
/** Strings made of SCRAM and PLAIN syntax: mostly wrong, sometimes right. */
const saslSoup = fc.array(token, { maxLength: 16 }).map((ts) => ts.join(''));
const saslBytes = fc.oneof(
  saslSoup.map((s) => Buffer.from(s, 'utf8')),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
);

/** Usernames and passwords that SASLprep accepts, `=` `,` NUL-free but otherwise anything. */
const nameChar = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('=', ',', '=2C', '=3D', ' ', '\u00e9', 'Σ', '中', '😀') },
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9!-+./:-@]$/) },
);
const preparable = (prepare: (s: string) => string) =>
  fc
    .array(nameChar, { minLength: 1, maxLength: 12 })
    .map((cs) => cs.join(''))
    .filter((s) => {
      try {
        prepare(s);
        return true;
      } catch {
        return false;
      }
    });
const username = preparable(prepareUsername);
const password = preparable((p) => preparePassword(p, true));

const SCRAM: Mechanism[] = [
  'SCRAM-SHA-1',
  'SCRAM-SHA-256',
  'SCRAM-SHA-1-PLUS',
  'SCRAM-SHA-256-PLUS',
];

function context(accounts: Map<string, StoredCredentials>): SaslContext {
  return {
    secure: true,
    lookup: async (name) => accounts.get(name),
    channelBinding: {
      types: ['tls-exporter'],
      get: (type) => (type === 'tls-exporter' ? Buffer.alloc(32, 7) : undefined),
    },
  };
}

/** A step must be one of the three kinds; a failure carries an RFC 6120 condition. */
function checkStep(step: SaslStep): void {
  expect(['challenge', 'success', 'failure']).toContain(step.kind);
  if (step.kind === 'failure') expect(CONDITIONS).toContain(step.condition);
}

function malformedOrParsed(parse: (s: string) => unknown, text: string): void {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(SaslError);
    expect((err as SaslError).code).toBe('malformed-message');
  }
}

// One account for the mechanisms fed garbage (its lookup is what a real user costs).
let shared: Map<string, StoredCredentials> | undefined;
async function sharedAccounts(): Promise<Map<string, StoredCredentials>> {
  shared ??= new Map([['user', await deriveCredentials('pencil')]]);
  return shared;
}

describe('SASL properties: arbitrary messages', () => {
  propertyTest('SCRAM message parsers accept or throw malformed-message only', 2000, () =>
    fc.property(saslSoup, (text) => {
      malformedOrParsed(parseClientFirst, text);
      malformedOrParsed(parseClientFinal, text);
      malformedOrParsed(decodeSaslname, text);
    }),
  );

  propertyTest('server mechanisms answer any two messages with a step, never a throw', 300, () =>
    fc.asyncProperty(
      fc.constantFrom<Mechanism>(...SCRAM, 'PLAIN'),
      fc.option(saslBytes, { nil: undefined }),
      saslBytes,
      async (name, first, second) => {
        const mech = createServerMechanism(name, context(await sharedAccounts()));
        const step = await mech.start(first);
        checkStep(step);
        if (step.kind !== 'challenge') {
          await expect(mech.step(second)).rejects.toMatchObject({ code: 'invalid-state' });
          return;
        }
        checkStep(await mech.step(second));
      },
    ),
  );

  propertyTest('payloads decode to bytes or incorrect-encoding; bytes round-trip', 2000, () =>
    fc.property(saslSoup, fc.uint8Array({ maxLength: 64 }), (text, bytes) => {
      const decoded = decodeSaslPayload(text);
      if (Buffer.isBuffer(decoded)) {
        if (text !== '' && text !== '=') expect(decoded.toString('base64')).toBe(text);
      } else {
        expect(decoded).toMatchObject({ kind: 'failure', condition: 'incorrect-encoding' });
      }
      const data = Buffer.from(bytes);
      expect(decodeSaslPayload(encodeSaslPayload(data))).toEqual(data);
      const strict = decodeBase64Strict(text);
      if (strict !== undefined) expect(strict.toString('base64')).toBe(text);
    }),
  );
});

describe('SASL properties: exchanges', () => {
  propertyTest('saslname escaping round-trips any name', 2000, () =>
    fc.property(fc.string({ minLength: 1, maxLength: 20 }), (name) => {
      fc.pre(!name.includes('\0'));
      const encoded = encodeSaslname(name);
      expect(encoded).not.toMatch(/,|=(?!2C|3D)/);
      expect(decodeSaslname(encoded)).toBe(name);
    }),
  );

  propertyTest('SCRAM succeeds with the right password and fails with a wrong one', 40, () =>
    fc.asyncProperty(
      username,
      password,
      password,
      fc.constantFrom<'SHA-1' | 'SHA-256'>('SHA-1', 'SHA-256'),
      fc.boolean(),
      async (user, secret, guess, hash, plus) => {
        const prepared = prepareUsername(user);
        const accounts = new Map([[prepared, await deriveCredentials(secret)]]);
        const cb = plus ? { type: 'tls-exporter' as const, data: Buffer.alloc(32, 7) } : undefined;
        const run = async (attempt: string) => {
          const client = new ScramClient(hash, user, attempt, cb);
          const server = createServerMechanism(client.mechanism as Mechanism, context(accounts));
          const first = await server.start(client.first());
          if (first.kind !== 'challenge') throw new Error(`expected a challenge: ${first.kind}`);
          const final = await server.step(await client.finalAsync(first.data));
          return { client, final };
        };
        const right = await run(secret);
        expect(right.final).toMatchObject({ kind: 'success', username: prepared });
        if (right.final.kind === 'success')
          expect(right.client.verify(right.final.data!)).toBe(true);

        const wrongPassword = preparePassword(guess, false) !== preparePassword(secret, false);
        const wrong = await run(guess);
        if (wrongPassword) {
          expect(wrong.final).toEqual({ kind: 'failure', condition: 'not-authorized' });
        } else {
          expect(wrong.final.kind).toBe('success');
        }
      },
    ),
  );

  propertyTest('PLAIN reads authzid NUL authcid NUL password, any UTF-8 in each', 40, () =>
    fc.asyncProperty(
      username,
      password,
      fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
      fc.integer({ min: 0, max: 3 }),
      async (user, secret, authzid, extraNuls) => {
        const prepared = prepareUsername(user);
        const accounts = new Map([[prepared, await deriveCredentials(secret)]]);
        const zid = authzid ?? '';
        const message = Buffer.from(`${zid}\0${user}\0${secret}${'\0'.repeat(extraNuls)}`, 'utf8');
        const step = await createServerMechanism('PLAIN', context(accounts)).start(message);
        if (zid.includes('\0') || extraNuls > 0) {
          expect(step).toMatchObject({ kind: 'failure', condition: 'malformed-request' });
        } else if (zid !== '') {
          expect(step).toEqual({ kind: 'success', username: prepared, authzid: zid });
        } else {
          expect(step).toEqual({ kind: 'success', username: prepared });
        }
      },
    ),
  );
});
