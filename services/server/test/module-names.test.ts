/**
 * `modules.disabled` is one list for two hosts that run apart in a
 * cluster: the name says whose a module is (`muc-…` the MUC service's),
 * and each host refuses the names of its own it does not know.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MUC_MODULE_PREFIX, describeConfig, moduleHostOf } from '@parley/config';
import { builtinStreamModules } from '@parley/gateway';
import { ModuleError } from '@parley/modules';
import { mucModules } from '@parley/muc';
import { builtinModules } from '@parley/session-registry';
import { startTestServer } from './harness.js';

describe('module names tell their host', () => {
  it('every MUC module is named muc-…, no registry module is', () => {
    for (const m of mucModules) {
      expect(m.name.startsWith(MUC_MODULE_PREFIX), m.name).toBe(true);
      expect(moduleHostOf(m.name)).toBe('muc');
    }
    for (const m of builtinModules) expect(moduleHostOf(m.name), m.name).toBe('session-registry');
  });
});

describe('module configuration sections', () => {
  it('every section a module declares is a section of the configuration schema', () => {
    const keys = describeConfig().map((k) => k.key);
    for (const m of [...builtinModules, ...mucModules, ...builtinStreamModules]) {
      for (const section of m.configSections ?? []) {
        expect(
          keys.some((k) => k.startsWith(`${section}.`)),
          `${m.name}: ${section}`,
        ).toBe(true);
      }
    }
  });
});

describe('modules.disabled on the all-in-one server', () => {
  const dirs: string[] = [];
  const dir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'parley-modules-'));
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  const start = async (disabled: string[]) =>
    startTestServer({ store: { kind: 'memory' }, modules: { disabled } }, await dir());
  const refusal = async (disabled: string[]): Promise<ModuleError> => {
    const err: unknown = await start(disabled).then(
      (t) => t.stop().then(() => new Error('the server started')),
      (e: unknown) => e,
    );
    if (err instanceof ModuleError) return err;
    throw err;
  };

  it('switches modules of both hosts off by name', async () => {
    const t = await start(['vcard', 'muc-vcard']);
    try {
      expect(t.server.registry.modules.map((m) => m.name)).not.toContain('vcard');
      expect(t.server.registry.modules.map((m) => m.name)).toContain('ping');
      expect(t.server.muc?.modules.map((m) => m.name)).not.toContain('muc-vcard');
      expect(t.server.muc?.modules.map((m) => m.name)).toContain('muc-ping');
    } finally {
      await t.stop();
    }
  });

  it('refuses a name neither host knows, naming it and the modules it could have meant', async () => {
    const muc = await refusal(['vcard', 'muc-vcrad']);
    expect(muc.code).toBe('unknown-module');
    expect(muc.message).toContain("cannot disable module 'muc-vcrad': no such module (known: ");
    expect(muc.message).toContain('muc-vcard');
    const registry = await refusal(['muc-vcard', 'vcrad']);
    expect(registry.code).toBe('unknown-module');
    expect(registry.message).toContain("cannot disable module 'vcrad': no such module (known: ");
    expect(registry.message).toContain('vcard');
  });
});
