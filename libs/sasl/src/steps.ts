import type { SaslFailureCondition, SaslStep } from './types.js';

export function challenge(data: Buffer): SaslStep {
  return { kind: 'challenge', data };
}

export function failure(condition: SaslFailureCondition, text?: string): SaslStep {
  return text === undefined ? { kind: 'failure', condition } : { kind: 'failure', condition, text };
}
