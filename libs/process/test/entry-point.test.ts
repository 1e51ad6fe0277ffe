import { ConfigError } from '@parley/config';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runEntryPoint } from '../src/index.js';

describe('runEntryPoint', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('ends a configuration error with code 2 and a message naming the key', async () => {
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const exit = vi.fn();
    await runEntryPoint(async () => {
      throw new ConfigError('invalid-value', 'c2s.port: expected a port number', {
        key: 'c2s.port',
      });
    }, exit);
    expect(exit).toHaveBeenCalledWith(2);
    expect(printed).toHaveBeenCalledWith('configuration error: c2s.port: expected a port number');
  });

  it('ends any other failure with code 1 and the error', async () => {
    const printed = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const exit = vi.fn();
    const failure = new Error('NATS is not there');
    await runEntryPoint(async () => {
      throw failure;
    }, exit);
    expect(exit).toHaveBeenCalledWith(1);
    expect(printed).toHaveBeenCalledWith(failure);
  });

  it('leaves a process whose main started alone', async () => {
    const exit = vi.fn();
    let ran = false;
    await runEntryPoint(async () => {
      ran = true;
    }, exit);
    expect(ran).toBe(true);
    expect(exit).not.toHaveBeenCalled();
  });
});
