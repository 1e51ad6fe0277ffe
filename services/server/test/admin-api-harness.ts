import { createHash } from 'node:crypto';
import type { Config, DeepPartial } from '@parley/config';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';

/** Tokens of the admin API in tests: full rights, read-only, and limited to one domain. */
export const TOKENS = {
  admin: 'test-admin-token',
  read: 'test-read-token',
  scoped: 'test-scoped-token',
} as const;

const sha = (t: string) => createHash('sha256').update(t).digest('hex');

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: unknown;
  text: string;
}

export interface AdminTestServer extends TestServer {
  /** Calls the admin API through fastify's inject (no socket), with a token (default: admin). */
  api(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH',
    url: string,
    body?: unknown,
    token?: string | null,
  ): Promise<ApiResponse>;
}

/** The all-in-one server with the admin API enabled (no listener: inject only). */
export async function startAdminTestServer(
  overrides: DeepPartial<Config> = {},
): Promise<AdminTestServer> {
  const t = await startTestServer({
    ...overrides,
    server: { domains: ['localhost', 'example.net'], ...overrides.server },
    admin: {
      enabled: true,
      port: 0,
      requestTimeoutMs: 3000,
      tokens: [
        { name: 'admin', sha256: sha(TOKENS.admin), scopes: ['admin'] },
        { name: 'read', sha256: sha(TOKENS.read), scopes: ['read'] },
        { name: 'scoped', sha256: sha(TOKENS.scoped), scopes: ['admin'], domains: ['example.net'] },
      ],
      ...overrides.admin,
    },
    muc: { admins: ['admin-api@localhost'], ...overrides.muc },
  });
  const app = t.server.adminApi!.app;
  return {
    ...t,
    async api(method, url, body, token = TOKENS.admin) {
      const res = await app.inject({
        method,
        url,
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
        ...(body !== undefined ? { payload: body as object } : {}),
      });
      let parsed: unknown = undefined;
      try {
        parsed = res.body === '' ? undefined : JSON.parse(res.body);
      } catch {
        parsed = undefined;
      }
      return { status: res.statusCode, headers: res.headers, body: parsed, text: res.body };
    },
  };
}
