export { KubeLocalError } from './errors.js';
export type { KubeLocalErrorCode } from './errors.js';
export { describeObject, parseManifests, renderKustomize, validateManifests } from './manifests.js';
export type { ValidationProblem } from './manifests.js';
export type { KubeObject } from './types.js';
