import { describe, expect, it } from 'vitest';
import { defaultConfig, disabledModulesOf, moduleHostOf } from './index.js';

describe('modules.disabled: which host a module name belongs to', () => {
  it('gives muc- names to the MUC service and every other name to the session registry', () => {
    expect(moduleHostOf('muc-vcard')).toBe('muc');
    expect(moduleHostOf('vcard')).toBe('session-registry');
    // Only the prefix counts: a registry name merely containing 'muc' stays the registry's.
    expect(moduleHostOf('conference-listing')).toBe('session-registry');
    expect(moduleHostOf('mucky')).toBe('session-registry');
  });

  it('hands each host its own names, each name to exactly one host, in the given order', () => {
    const config = defaultConfig();
    config.modules.disabled = ['vcard', 'muc-vcard', 'nope', 'muc-nope', 'last'];
    expect(disabledModulesOf(config, 'session-registry')).toEqual(['vcard', 'nope', 'last']);
    expect(disabledModulesOf(config, 'muc')).toEqual(['muc-vcard', 'muc-nope']);
  });
});
