export { buildAdminApp, startAdminApi } from './app.js';
export type { AdminApi } from './app.js';
export type { AdminDeps } from './deps.js';
export { hashToken } from './auth.js';
export { PROBLEMS, PROBLEM_CONTENT_TYPE, problemType } from './problem.js';
export type { ProblemCode } from './problem.js';
export { API_VERSION } from './openapi.js';
