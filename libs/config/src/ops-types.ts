/**
 * The `ops` section: who may read /metrics and the admin API's reference
 * (/docs, /openapi.json), and on which listener. Health and readiness
 * (/healthz, /readyz) are never behind a token: the kubelet probes them.
 * See docs/security.md, "Metrics and the API reference".
 */
export interface OpsConfig {
  /**
   * Port of a separate ops listener serving /metrics (and, in a process
   * running the admin API, /docs and /openapi.json); 0 = none: /metrics
   * stays on http.port and the reference on the admin API's listener.
   */
  port: number;
  /** Address of the ops listener. */
  host: string;
  /**
   * /metrics needs a bearer token of admin.tokens with the `metrics` or
   * `admin` scope, and the reference any valid admin token.
   */
  requireToken: boolean;
}
