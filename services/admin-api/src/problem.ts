/**
 * Errors as RFC 9457 problem details (`application/problem+json`). Every
 * error the API answers has a stable `code` from PROBLEMS; docs/admin-api.md
 * lists them all (a test keeps both in step).
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const PROBLEMS = {
  'validation-failed': { status: 400, title: 'The request does not match its schema' },
  'bad-request': { status: 400, title: 'The request cannot be carried out as given' },
  unauthorized: { status: 401, title: 'A valid bearer token is required' },
  'insufficient-scope': { status: 403, title: 'The token lacks the scope this operation needs' },
  'domain-not-allowed': { status: 403, title: 'The token may not act on this domain' },
  forbidden: { status: 403, title: 'The XMPP service does not allow this operation' },
  'not-found': { status: 404, title: 'No such resource' },
  conflict: { status: 409, title: 'The resource already exists or is in another state' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'uri-too-long': { status: 414, title: 'A path parameter is too long' },
  'unsupported-media-type': { status: 415, title: 'The request body must be JSON' },
  'rate-limited': { status: 429, title: 'Too many requests: retry later' },
  internal: { status: 500, title: 'Internal server error' },
  'not-implemented': { status: 501, title: 'This server does not provide the operation' },
  'xmpp-error': { status: 502, title: 'The XMPP service answered with an error' },
  unavailable: { status: 503, title: 'The service needed for this operation is not available' },
  timeout: { status: 504, title: 'A worker did not answer in time' },
} as const;

export type ProblemCode = keyof typeof PROBLEMS;

/** An error the API answers with as problem details. */
export class ApiProblem extends Error {
  override name = 'ApiProblem';
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ProblemCode,
    readonly detail?: string,
    /** Extension members (e.g. `errors` for validation, `condition` for XMPP errors). */
    readonly extra: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(detail ?? PROBLEMS[code].title, options);
    this.status = PROBLEMS[code].status;
    this.title = PROBLEMS[code].title;
  }

  body(instance?: string): Record<string, unknown> {
    return {
      type: problemType(this.code),
      title: this.title,
      status: this.status,
      ...(this.detail !== undefined ? { detail: this.detail } : {}),
      ...(instance !== undefined ? { instance } : {}),
      code: this.code,
      ...this.extra,
    };
  }
}

export function problemType(code: ProblemCode): string {
  return `urn:parley:admin:problem:${code}`;
}

export const notFound = (what: string) => new ApiProblem('not-found', what);
export const badRequest = (detail: string) => new ApiProblem('bad-request', detail);
export const conflict = (detail: string) => new ApiProblem('conflict', detail);

/** HTTP status of an XMPP stanza error condition, for errors the MUC or registry answer with. */
export function xmppProblem(condition: string, text?: string): ApiProblem {
  const detail = text ?? condition;
  switch (condition) {
    case 'item-not-found':
    case 'recipient-unavailable':
      return new ApiProblem('not-found', detail, { condition });
    case 'forbidden':
    case 'not-allowed':
    case 'not-authorized':
    case 'registration-required':
      return new ApiProblem('forbidden', detail, { condition });
    case 'conflict':
      return new ApiProblem('conflict', detail, { condition });
    case 'bad-request':
    case 'not-acceptable':
    case 'jid-malformed':
      return new ApiProblem('bad-request', detail, { condition });
    case 'service-unavailable':
    case 'remote-server-not-found':
      return new ApiProblem('unavailable', detail, { condition });
    default:
      return new ApiProblem('xmpp-error', detail, { condition });
  }
}
