/**
 * The HTTP/1.1 client of the FCM sender and the Google token source
 * (undici): one connection pool per provider, optionally trusting an extra
 * CA (an endpoint override in tests or behind a proxy), and a timeout per
 * request.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { PushError } from './errors.js';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | undefined>;
  text: string;
}

export interface HttpClientOptions {
  /** PEM file of an extra CA to trust (besides the system's). */
  caFile?: string;
  /** Headers and body must arrive within this time. */
  timeoutMs: number;
}

export class HttpClient {
  private readonly agent: Agent;

  constructor(private readonly opts: HttpClientOptions) {
    let ca: string | undefined;
    if (opts.caFile !== undefined) {
      try {
        ca = readFileSync(opts.caFile, 'utf8');
      } catch (cause) {
        throw new PushError('bad-credentials', `cannot read the CA file ${opts.caFile}`, { cause });
      }
    }
    this.agent = new Agent({
      connect: ca === undefined ? {} : { ca },
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
    });
  }

  async post(url: string, headers: Record<string, string>, body: string): Promise<HttpAnswer> {
    const res = await request(url, {
      method: 'POST',
      headers,
      body,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    const text = await res.body.text();
    const out: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(res.headers)) out[k] = Array.isArray(v) ? v[0] : v;
    return { status: res.statusCode, headers: out, text };
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** Parses a JSON body, or undefined when it is not JSON. */
export function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
