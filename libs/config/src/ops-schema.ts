/** Schema of the keys in ops-types.ts (who may read /metrics and the API reference, and where). */
import { bool, port, str } from './schema.js';
import type { OpsConfig } from './ops-types.js';
import type { SchemaFor } from './types.js';

export const opsSchema: SchemaFor<OpsConfig> = {
  port: port({
    allowZero: true,
    default: 0,
    doc: 'Port of a separate ops listener for /metrics and, in a process running the admin API, its reference (/docs, /openapi.json); with it, http.port serves only /healthz and /readyz and the admin API listener only /api. 0 = no ops listener: /metrics is served on http.port and the reference on admin.port.',
  }),
  host: str({
    default: '127.0.0.1',
    doc: 'Address the ops listener binds to (loopback by default; the pod IP in Kubernetes, for Prometheus).',
  }),
  requireToken: bool({
    default: true,
    doc: '/metrics needs `Authorization: Bearer <token>` with a token of admin.tokens holding the `metrics` or `admin` scope (and no domains), and /docs and /openapi.json any valid admin token; otherwise 401 (403 for a token without the scope). /healthz and /readyz never need one. Turn it off only where the listener is reachable by the scraper alone (ops.host on loopback, or a NetworkPolicy as in k8s/).',
  }),
};
