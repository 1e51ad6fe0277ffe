/**
 * Keys that existed once and were replaced by keys with other meanings. A
 * configuration that still sets one stops the start with a message naming
 * the replacement, rather than being guessed at (docs/configuration.md).
 */
export interface RemovedKey {
  key: string;
  env: string;
  replacement: string;
}

export const REMOVED_KEYS: readonly RemovedKey[] = [
  {
    key: 'c2s.maxConnectionsPerIp',
    env: 'PARLEY_C2S_MAX_CONNECTIONS_PER_IP',
    replacement:
      'c2s.maxUnauthenticatedPerAddress (connections not yet authenticated; the oldest is closed at the cap) and c2s.maxSessionsPerAddress (authenticated sessions; 0 = unlimited), see docs/security.md, "Connection limits"',
  },
];

/** The message for a removed key found at `key` (dotted) or in variable `env`, if it is one. */
export function removedKeyMessage(name: string): string | undefined {
  const removed = REMOVED_KEYS.find((r) => r.key === name || r.env === name);
  if (removed === undefined) return undefined;
  return `${name}: this key was removed; use ${removed.replacement}`;
}
