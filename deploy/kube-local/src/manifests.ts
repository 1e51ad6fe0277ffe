/**
 * Rendering and schema validation of a Kustomize directory: `kubectl
 * kustomize <dir>`, every document parsed with `yaml`, and every object
 * checked against the Kubernetes OpenAPI schema of its apiVersion and kind
 * (the `kubernetes-models` package: one generated validator per kind).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { KubeLocalError } from './errors.js';
import type { KubeObject } from './types.js';

const run = promisify(execFile);

/** Renders an overlay or base with `kubectl kustomize` and parses every document. */
export async function renderKustomize(dir: string): Promise<KubeObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 64 * 1024 * 1024 }));
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr ?? String(cause);
    throw new KubeLocalError('render-failed', `kubectl kustomize ${dir}: ${stderr.trim()}`, {
      cause,
    });
  }
  return parseManifests(stdout, dir);
}

/** Parses a multi-document YAML stream; empty documents are skipped. */
export function parseManifests(text: string, source: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      throw new KubeLocalError('render-failed', `${source}: ${doc.errors[0]!.message}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new KubeLocalError('invalid-object', `${source}: a document is not an object`);
    }
    const obj = value as KubeObject;
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
      throw new KubeLocalError('invalid-object', `${source}: a document has no apiVersion/kind`);
    }
    objects.push(obj);
  }
  return objects;
}

/** `Deployment/gateway` (with the namespace when there is one). */
export function describeObject(obj: KubeObject): string {
  const ns = obj.metadata?.namespace;
  return `${obj.kind}/${ns ? `${ns}/` : ''}${obj.metadata?.name ?? '?'}`;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
}

/** The kubernetes-models class of an apiVersion + kind, or undefined when it has none. */
async function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  if (!/^[a-z0-9.-]+(\/[a-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) {
    return undefined;
  }
  try {
    const specifier = `kubernetes-models/${apiVersion}/${kind}`;
    const mod = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
    return mod[kind] as ModelClass | undefined;
  } catch {
    return undefined;
  }
}

export interface ValidationProblem {
  object: string;
  message: string;
}

/**
 * Validates every object against its schema. An apiVersion/kind without a
 * schema in kubernetes-models (a custom resource, a typo such as
 * `apps/v2`) is a problem too: nothing would accept it on a cluster without
 * its CRD.
 */
export async function validateManifests(objects: KubeObject[]): Promise<ValidationProblem[]> {
  const problems: ValidationProblem[] = [];
  for (const obj of objects) {
    const Model = await modelFor(obj.apiVersion, obj.kind);
    if (Model === undefined) {
      problems.push({
        object: describeObject(obj),
        message: `no schema for ${obj.apiVersion} ${obj.kind}`,
      });
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (err) {
      problems.push({ object: describeObject(obj), message: (err as Error).message });
    }
  }
  return problems;
}
