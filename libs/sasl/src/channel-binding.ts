import type { ChannelBindingSource } from './types.js';

/** True when the source can provide data for at least one binding type. */
export function channelBindingAvailable(source: ChannelBindingSource | undefined): boolean {
  return source !== undefined && source.types.some((type) => source.get(type) !== undefined);
}
