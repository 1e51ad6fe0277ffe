/** The parts of Kubernetes objects the runner reads (types from kubernetes-models). */
export type { IContainer as Container } from 'kubernetes-models/v1/Container';
export type { IPodSpec as PodSpec } from 'kubernetes-models/v1/PodSpec';
export type { IProbe as Probe } from 'kubernetes-models/v1/Probe';
export type { IService as Service } from 'kubernetes-models/v1/Service';
export type { IVolume as Volume } from 'kubernetes-models/v1/Volume';
export type { IEnvVar as EnvVar } from 'kubernetes-models/v1/EnvVar';
export type { IConfigMap as ConfigMap } from 'kubernetes-models/v1/ConfigMap';
export type { ISecret as Secret } from 'kubernetes-models/v1/Secret';

/** Any rendered object: apiVersion, kind, metadata, and the rest unread. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}
