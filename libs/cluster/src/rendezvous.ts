import { fnv1a32 } from '@parley/hash';

/**
 * Rendezvous (highest random weight) hashing: each partition goes to the
 * member with the highest score for it. Balanced, deterministic, and when a
 * member joins or leaves only the partitions it wins or held move.
 */
export function ownerOf(partition: number, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const score = fnv1a32(`${partition}:${m}`);
    if (score > bestScore || (score === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = score;
    }
  }
  return best;
}

export function partitionsFor(
  me: string,
  members: readonly string[],
  partitions: number,
): number[] {
  const out: number[] = [];
  for (let p = 0; p < partitions; p++) if (ownerOf(p, members) === me) out.push(p);
  return out;
}
