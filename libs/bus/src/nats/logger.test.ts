import { afterEach, describe, expect, it, vi } from 'vitest';
import { consoleLogger } from './logger.js';

describe('consoleLogger', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('hands an error in the fields to console as the Error itself, so its stack and cause are printed', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const err = new Error('publish failed', { cause: new Error('connection closed') });
    consoleLogger.warn('durable publish failed, retrying', { subject: 'a.b', err });
    consoleLogger.error('bus handler failed');
    consoleLogger.info('dropped', { err });
    expect(warn.mock.calls).toEqual([
      ['[bus] warn durable publish failed, retrying', { subject: 'a.b', err }],
    ]);
    expect((warn.mock.calls[0]?.[1] as { err: unknown }).err).toBe(err);
    expect(error.mock.calls).toEqual([['[bus] error bus handler failed']]);
  });
});
