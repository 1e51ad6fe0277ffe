import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig } from './index.js';
import type { Config, DeepPartial } from './index.js';
import { configError, testFiles } from '../test/helpers.js';

const { dir, write } = testFiles('parley-config-test-');

let fileCounter = 0;
function writeConfig(content: unknown): string {
  return write(
    `config-${++fileCounter}.json`,
    typeof content === 'string' ? content : JSON.stringify(content),
  );
}

describe('defaults', () => {
  it('loads the documented defaults with no file and an empty environment', () => {
    const config = loadConfig({ env: {} });
    expect(config).toEqual(defaultConfig());
    expect(config.server.domains).toEqual(['localhost']);
    expect(config.server.dataDir).toBe('./data');
    expect(config.server.nodeId).toMatch(/^[a-z0-9_-]+$/);
    expect(config.c2s).toMatchObject({
      port: 5222,
      host: '0.0.0.0',
      directTlsPort: 5223,
      requireTls: true,
      allowPlainWithoutTls: false,
      maxStanzaBytes: 262_144,
      connectTimeoutMs: 30_000,
      idleTimeoutMs: 900_000,
      idleProbeTimeoutMs: 60_000,
      whitespaceKeepaliveMs: 60_000,
      maxUnauthenticatedPerAddress: 100,
      maxSessionsPerAddress: 10_000,
      tlsHandshakeTimeoutMs: 10_000,
    });
    expect(config.tls).toEqual({});
    expect(config.sasl.scramIterations).toBe(4096);
    expect(config.sasl.mechanisms).toContain('SCRAM-SHA-256');
    // The rate limits and reserved names: login-limits.test.ts.
    expect(config.registration).toMatchObject({ enabled: false, allowWithoutTls: false });
    expect(config.offline.maxPerUser).toBe(1000);
    expect(config.routing.partitions).toBe(64);
    expect(config.bus.kind).toBe('memory');
    expect(config.store.kind).toBe('lmdb');
    expect(config.http.port).toBe(5280);
    expect(config.log.level).toBe('info');
    expect(config.modules.version).toEqual({ name: 'Parley', showOs: false });
  });

  it('returns independent objects', () => {
    const a = defaultConfig();
    a.server.domains.push('mutated.example');
    a.c2s.port = 1;
    const b = defaultConfig();
    expect(b.server.domains).toEqual(['localhost']);
    expect(b.c2s.port).toBe(5222);
  });
});

describe('precedence', () => {
  it('overlays file, then conventional env names, then PARLEY_ env, then overrides', () => {
    const file = writeConfig({
      server: { domains: ['file.example'], dataDir: '/var/lib/parley' },
      c2s: { port: 6222, requireTls: false },
      bus: { kind: 'nats', natsUrl: 'nats://file:4222' },
      redis: { url: 'redis://file:6379' },
      log: { level: 'debug' },
    });
    const config = loadConfig({
      file,
      env: {
        PARLEY_SERVER_DOMAINS: 'a.org, b.org,,',
        PARLEY_C2S_PORT: '7222',
        NATS_URL: 'nats://alias:4222',
        PARLEY_BUS_NATS_URL: 'nats://explicit:4222',
        REDIS_URL: 'redis://alias:6379',
        NODE_ID: 'node-7',
      },
      overrides: { c2s: { port: 8222 }, modules: { version: { showOs: true } } },
    });
    expect(config.server.domains).toEqual(['a.org', 'b.org']);
    expect(config.server.dataDir).toBe('/var/lib/parley');
    expect(config.server.nodeId).toBe('node-7');
    expect(config.c2s.port).toBe(8222);
    expect(config.c2s.requireTls).toBe(false);
    expect(config.c2s.directTlsPort).toBe(5223);
    expect(config.bus).toEqual({
      kind: 'nats',
      natsUrl: 'nats://explicit:4222',
      durable: 'direct',
      nats: { tls: {} },
    });
    expect(config.redis.url).toBe('redis://alias:6379');
    expect(config.log.level).toBe('debug');
    expect(config.modules.version).toEqual({ name: 'Parley', showOs: true });
  });

  it('reads the file named by PARLEY_CONFIG, and an explicit file wins over it', () => {
    const fromEnv = writeConfig({ c2s: { port: 1111 } });
    const explicit = writeConfig({ c2s: { port: 2222 } });
    expect(loadConfig({ env: { PARLEY_CONFIG: fromEnv } }).c2s.port).toBe(1111);
    expect(loadConfig({ file: explicit, env: { PARLEY_CONFIG: fromEnv } }).c2s.port).toBe(2222);
  });

  it('prefers GATEWAY_ID over NODE_ID and PARLEY_SERVER_NODE_ID over both', () => {
    expect(loadConfig({ env: { NODE_ID: 'n', GATEWAY_ID: 'g' } }).server.nodeId).toBe('g');
    expect(
      loadConfig({ env: { NODE_ID: 'n', GATEWAY_ID: 'g', PARLEY_SERVER_NODE_ID: 'p' } }).server
        .nodeId,
    ).toBe('p');
  });

  it('parses every kind of value from the environment', () => {
    const config = loadConfig({
      env: {
        PARLEY_C2S_REQUIRE_TLS: 'no',
        PARLEY_C2S_ALLOW_PLAIN_WITHOUT_TLS: 'TRUE',
        PARLEY_C2S_CONNECT_TIMEOUT_MS: '2m',
        PARLEY_C2S_IDLE_TIMEOUT_MS: '1500',
        PARLEY_C2S_WHITESPACE_KEEPALIVE_MS: '0.5s',
        PARLEY_SASL_MECHANISMS: 'PLAIN,SCRAM-SHA-1,PLAIN',
        PARLEY_STORE_KIND: 'memory',
        PARLEY_TLS_CERT_FILE: '/etc/parley/cert.pem',
        PARLEY_TLS_KEY_FILE: '/etc/parley/key.pem',
        PARLEY_MODULES_VERSION_NAME: 'Custom',
        PARLEY_LOG_LEVEL: '',
        UNRELATED: 'x',
        PARLEY_SOMETHING_ELSE: 'not a config section, ignored',
      },
    });
    expect(config.c2s.requireTls).toBe(false);
    expect(config.c2s.allowPlainWithoutTls).toBe(true);
    expect(config.c2s.connectTimeoutMs).toBe(120_000);
    expect(config.c2s.idleTimeoutMs).toBe(1500);
    expect(config.c2s.whitespaceKeepaliveMs).toBe(500);
    expect(config.sasl.mechanisms).toEqual(['PLAIN', 'SCRAM-SHA-1']);
    expect(config.store.kind).toBe('memory');
    expect(config.tls).toEqual({
      certFile: '/etc/parley/cert.pem',
      keyFile: '/etc/parley/key.pem',
    });
    expect(config.modules.version.name).toBe('Custom');
    expect(config.log.level).toBe('info');
  });

  it('accepts port 0 for ephemeral test listeners', () => {
    const config = loadConfig({
      env: {},
      overrides: { c2s: { port: 0, directTlsPort: 0 }, http: { port: 0 } },
    });
    expect(config.c2s.port).toBe(0);
    expect(config.c2s.directTlsPort).toBe(0);
  });

  it('accepts duration strings and null optional values in files', () => {
    const file = writeConfig({ c2s: { idleTimeoutMs: '5m' }, tls: { certFile: null } });
    const config = loadConfig({ file, env: {} });
    expect(config.c2s.idleTimeoutMs).toBe(300_000);
    expect(config.tls.certFile).toBeUndefined();
  });
});

describe('invalid values name the key', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    [
      'non-numeric port',
      { PARLEY_C2S_PORT: 'abc' },
      /^c2s\.port: expected an integer 0-65535, got "abc"/,
    ],
    [
      'port out of range',
      { PARLEY_C2S_PORT: '70000' },
      /^c2s\.port: expected an integer 0-65535, got "70000"/,
    ],
    [
      'fractional int',
      { PARLEY_ROUTING_PARTITIONS: '1.5' },
      /^routing\.partitions: expected an integer 1-65536/,
    ],
    [
      'int below min',
      { PARLEY_OFFLINE_MAX_PER_USER: '-1' },
      /^offline\.maxPerUser: expected an integer >= 0, got "-1"/,
    ],
    [
      'zero where not allowed',
      { PARLEY_ROUTING_PARTITIONS: '0' },
      /^routing\.partitions: expected an integer 1-65536, got "0"/,
    ],
    [
      'bad boolean',
      { PARLEY_C2S_REQUIRE_TLS: 'maybe' },
      /^c2s\.requireTls: expected a boolean \(true\/false\), got "maybe"/,
    ],
    [
      'bad enum',
      { PARLEY_BUS_KIND: 'kafka' },
      /^bus\.kind: expected one of memory, nats, got "kafka"/,
    ],
    [
      'bad list item',
      { PARLEY_SASL_MECHANISMS: 'PLAIN,DIGEST-MD5' },
      /^sasl\.mechanisms\[1\]: expected one of .*got "DIGEST-MD5"/,
    ],
    ['empty list', { PARLEY_SERVER_DOMAINS: ' , ' }, /^server\.domains: expected at least 1 entry/],
    [
      'bad duration',
      { PARLEY_C2S_IDLE_TIMEOUT_MS: '10 parsecs' },
      /^c2s\.idleTimeoutMs: expected a duration in ms/,
    ],
    [
      'zero duration where min is 1',
      { PARLEY_C2S_CONNECT_TIMEOUT_MS: '0' },
      /^c2s\.connectTimeoutMs: expected a duration in ms >= 1/,
    ],
  ];
  it.each(cases)('%s (environment)', (_name, env, message) => {
    const err = configError(() => loadConfig({ env }));
    expect(err.code).toBe('invalid-value');
    expect(err.name).toBe('ConfigError');
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`from ${Object.keys(env).at(-1) ?? ''}`);
    expect(err.cause).toBeInstanceOf(Error);
  });

  const fileCases: Array<[string, unknown, string, RegExp]> = [
    [
      'string for an integer',
      { c2s: { port: '5222' } },
      'c2s.port',
      /^c2s\.port: expected an integer 0-65535, got "5222"/,
    ],
    [
      'float for an integer',
      { c2s: { maxStanzaBytes: 2048.5 } },
      'c2s.maxStanzaBytes',
      /got 2048\.5/,
    ],
    [
      'string for a boolean',
      { registration: { enabled: 'yes' } },
      'registration.enabled',
      /^registration\.enabled: expected a boolean/,
    ],
    [
      'scalar for a list',
      { server: { domains: 'a.org' } },
      'server.domains',
      /^server\.domains: expected a list of string, got "a\.org"/,
    ],
    [
      'non-string list item',
      { server: { domains: ['a.org', 7] } },
      'server.domains',
      /^server\.domains\[1\]: expected a non-empty string, got 7/,
    ],
    [
      'bad enum',
      { log: { level: 'verbose' } },
      'log.level',
      /^log\.level: expected one of debug, info, warn, error, got "verbose"/,
    ],
    [
      'null for a required value',
      { http: { host: null } },
      'http.host',
      /^http\.host: expected a non-empty string, got null/,
    ],
    ['scalar for a section', { c2s: 5 }, 'c2s', /^c2s: expected an object, got 5/],
    [
      'scalar for a nested section',
      { modules: { version: true } },
      'modules.version',
      /^modules\.version: expected an object, got true/,
    ],
  ];
  it.each(fileCases)('%s (file)', (_name, content, key, message) => {
    const file = writeConfig(content);
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe('invalid-value');
    expect(err.key).toBe(key);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`in ${file}`);
  });

  it('validates overrides too', () => {
    const err = configError(() => loadConfig({ env: {}, overrides: { http: { port: -5 } } }));
    expect(err.code).toBe('invalid-value');
    expect(err.message).toMatch(
      /^http\.port: expected an integer 0-65535, got -5 \(in overrides\)/,
    );
  });

  it('checks rules spanning several keys', () => {
    expect(() =>
      loadConfig({
        env: { PARLEY_C2S_AUTH_FAILURE_DELAY_MS: '5s', PARLEY_C2S_AUTH_FAILURE_MAX_DELAY_MS: '1s' },
      }),
    ).toThrow(/^c2s\.authFailureMaxDelayMs: must be >= c2s\.authFailureDelayMs/);
    expect(() =>
      loadConfig({
        env: { PARLEY_C2S_FAST_TOKEN_LIFETIME_MS: '60m', PARLEY_C2S_FAST_ROTATE_BEFORE_MS: '90m' },
      }),
    ).toThrow(/^c2s\.fast\.rotateBeforeMs: must be < c2s\.fast\.tokenLifetimeMs/);
    expect(() => loadConfig({ env: { PARLEY_C2S_DIRECT_TLS_PORT: '5222' } })).toThrow(
      /^c2s\.directTlsPort: must differ from c2s\.port/,
    );
    expect(() => loadConfig({ env: { PARLEY_HTTP_PORT: '5223' } })).toThrow(
      /^http\.port: 5223 is already used/,
    );
    expect(() => loadConfig({ env: { PARLEY_TLS_CERT_FILE: '/c.pem' } })).toThrow(
      /^tls\.keyFile: required when tls\.certFile is set/,
    );
    expect(
      loadConfig({ env: { PARLEY_C2S_DIRECT_TLS_PORT: '0', PARLEY_HTTP_PORT: '0' } }).c2s
        .directTlsPort,
    ).toBe(0);
  });
});

describe('unknown keys and bad files', () => {
  it('rejects unknown keys in the file with their full path', () => {
    const err = configError(() =>
      loadConfig({ file: writeConfig({ c2s: { prot: 5222 } }), env: {} }),
    );
    expect(err.code).toBe('unknown-key');
    expect(err.key).toBe('c2s.prot');
    expect(err.message).toMatch(/^c2s\.prot: unknown configuration key/);
  });

  it('rejects unknown sections and prototype keys', () => {
    expect(configError(() => loadConfig({ file: writeConfig({ c2z: {} }), env: {} })).key).toBe(
      'c2z',
    );
    const proto = configError(() =>
      loadConfig({ file: writeConfig('{"__proto__": {"port": 1}}'), env: {} }),
    );
    expect(proto.code).toBe('unknown-key');
    expect(proto.key).toBe('__proto__');
  });

  it('rejects unknown keys in overrides', () => {
    const overrides = { c2s: { portt: 1 } } as DeepPartial<Config>;
    const err = configError(() => loadConfig({ env: {}, overrides }));
    expect(err.code).toBe('unknown-key');
    expect(err.key).toBe('c2s.portt');
  });

  it('rejects unknown variables in a known section of the environment', () => {
    const err = configError(() => loadConfig({ env: { PARLEY_C2S_PROT: '5222' } }));
    expect(err.code).toBe('unknown-key');
    expect(err.message).toMatch(/^PARLEY_C2S_PROT: unknown configuration variable/);
  });

  it('reports missing, unparsable and non-object files as bad-file', () => {
    const missing = configError(() => loadConfig({ file: join(dir, 'nope.json'), env: {} }));
    expect(missing.code).toBe('bad-file');
    expect(missing.message).toContain('nope.json: ENOENT');
    expect(missing.cause).toBeInstanceOf(Error);

    const broken = writeConfig('{ "c2s": ');
    const syntax = configError(() => loadConfig({ file: broken, env: {} }));
    expect(syntax.code).toBe('bad-file');
    expect(syntax.message).toContain(`${broken} is not valid JSON`);
    expect(syntax.cause).toBeInstanceOf(SyntaxError);

    const array = configError(() => loadConfig({ file: writeConfig([1, 2]), env: {} }));
    expect(array.code).toBe('bad-file');
    expect(array.message).toMatch(/must hold a JSON object/);
  });

  it('ignores an empty PARLEY_CONFIG', () => {
    expect(loadConfig({ env: { PARLEY_CONFIG: '' } }).c2s.port).toBe(5222);
  });
});
