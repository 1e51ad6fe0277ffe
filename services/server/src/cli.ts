#!/usr/bin/env node
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  ConfigError,
  cassandraConnection,
  loadConfig,
  postgresConnection,
  reservedAccount,
} from '@parley/config';
import type { Config } from '@parley/config';
import { migrateCassandra, migratePostgres } from '@parley/store';
import type { Stores } from '@parley/store';
import type { AuditTarget } from '@parley/telemetry';
import { runApiCommand } from './admin-cli.js';
import { audited, openCliAuditLog } from './cli-audit.js';
import { openStores } from './server.js';
import { accountJid, importAccounts, importEntries, newAccount } from './users.js';

const USAGE = `xmppctl: manage a Parley server's accounts

  xmppctl user add <jid> [--password <pw>]      create an account (asks for the password if not given)
  xmppctl user remove <jid>                     delete an account, its roster and offline messages
  xmppctl user passwd <jid> [--password <pw>]   change a password
  xmppctl user list [--domain <d>] [--limit <n>] [--after <jid>]
  xmppctl user count [--domain <d>]
  xmppctl user import --pattern 'user%d@localhost' --count 20000 --password 'secret' [--start 1]
  xmppctl user import --file users.txt          one "jid password" per line
  xmppctl api <operation> [...]                 any admin API operation (xmppctl api list; see docs/admin-api.md)
  xmppctl postgres migrate [--dir <path>]       create or upgrade the schema of store.postgres
                                                (deploy/postgres; safe to run from several hosts at once)
  xmppctl cassandra migrate [--create-keyspace] [--dir <path>]
                                                apply pending schema migrations (deploy/cassandra)
                                                to the keyspace of store.cassandra

Configuration is read like the server's (PARLEY_CONFIG, PARLEY_* variables).`;

async function readPassword(prompt: string): Promise<string> {
  const rl = createInterface({
    input: process.stdin,
    output: process.stderr,
    terminal: process.stdin.isTTY,
  });
  try {
    if (process.stdin.isTTY) process.stderr.write(prompt);
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}

async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'api') {
    return runApiCommand(argv.slice(1), {
      fetch: (url, init) => fetch(url, init),
      env: process.env,
      out: (line) => console.log(line),
      err: (line) => console.error(line),
      defaultUrl: () => {
        const { host, port } = loadConfig().admin;
        return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
      },
      defaultDocUrl: () => {
        const { host, port } = loadConfig().ops;
        return port === 0
          ? undefined
          : `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}/openapi.json`;
      },
    });
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      password: { type: 'string', short: 'p' },
      domain: { type: 'string' },
      limit: { type: 'string' },
      after: { type: 'string' },
      pattern: { type: 'string' },
      count: { type: 'string' },
      start: { type: 'string' },
      file: { type: 'string' },
      'create-keyspace': { type: 'boolean' },
      dir: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [group, cmd, arg] = positionals;
  if (group === 'postgres' && !values.help) return postgresCommand(cmd, values.dir);
  if (group === 'cassandra' && !values.help) {
    return cassandraCommand(cmd, values['create-keyspace'] === true, values.dir);
  }
  if (values.help || group !== 'user' || !cmd) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const config: Config = loadConfig();
  const audit = openCliAuditLog(config);
  try {
    return await audited(audit, `user ${cmd}`, userTarget(config, arg, values.domain), () =>
      userCommand(config, cmd, arg, values),
    );
  } finally {
    audit.close();
  }
}

/** What `xmppctl user <cmd> [<jid>] [--domain d]` names, for the audit log. */
function userTarget(
  config: Config,
  arg: string | undefined,
  domain: string | undefined,
): AuditTarget | undefined {
  if (arg !== undefined) {
    try {
      return { jid: accountJid(arg, config.server.domains) };
    } catch {
      return { jid: arg };
    }
  }
  return domain !== undefined ? { domain } : undefined;
}

async function userCommand(
  config: Config,
  cmd: string,
  arg: string | undefined,
  values: {
    password?: string | undefined;
    domain?: string | undefined;
    limit?: string | undefined;
    after?: string | undefined;
    pattern?: string | undefined;
    count?: string | undefined;
    start?: string | undefined;
    file?: string | undefined;
  },
): Promise<number> {
  const stores: Stores = await openStores(config);
  const domains = config.server.domains;
  const iterations = config.sasl.scramIterations;
  try {
    switch (cmd) {
      case 'add': {
        const jid = accountJid(need(arg, 'jid'), domains);
        const reserved = reservedAccount(config, jid);
        if (reserved !== undefined) throw new Error(`${jid}: ${reserved}`);
        const password = values.password ?? (await readPassword(`Password for ${jid}: `));
        const ok = await stores.accounts.create(await newAccount(jid, password, iterations));
        if (!ok) throw new Error(`${jid} already exists`);
        console.log(`created ${jid}`);
        return 0;
      }
      case 'remove': {
        const jid = accountJid(need(arg, 'jid'), domains);
        if (!(await stores.accounts.delete(jid))) throw new Error(`${jid} does not exist`);
        await stores.rosters.deleteAll(jid);
        await stores.offline.deleteAll(jid);
        await stores.lastActivity.delete(jid);
        await stores.blocklists.clear(jid);
        console.log(`removed ${jid}`);
        return 0;
      }
      case 'passwd': {
        const jid = accountJid(need(arg, 'jid'), domains);
        const account = await stores.accounts.get(jid);
        if (!account) throw new Error(`${jid} does not exist`);
        const password = values.password ?? (await readPassword(`New password for ${jid}: `));
        const fresh = await newAccount(jid, password, iterations);
        await stores.accounts.update({ ...account, credentials: fresh.credentials });
        console.log(`password changed for ${jid}`);
        return 0;
      }
      case 'list': {
        const limit = values.limit ? Number.parseInt(values.limit, 10) : 1000;
        const page = await stores.accounts.list({
          limit,
          ...(values.after ? { after: values.after } : {}),
          ...(values.domain ? { domain: values.domain } : {}),
        });
        for (const a of page.items) console.log(a.jid);
        if (page.next) console.error(`(more: --after ${page.next})`);
        return 0;
      }
      case 'count':
        console.log(String(await stores.accounts.count(values.domain)));
        return 0;
      case 'import': {
        const entries = importEntries({
          ...(values.pattern ? { pattern: values.pattern } : {}),
          ...(values.count ? { count: Number.parseInt(values.count, 10) } : {}),
          ...(values.start ? { start: Number.parseInt(values.start, 10) } : {}),
          ...(values.password ? { password: values.password } : {}),
          ...(values.file ? { file: values.file } : {}),
        });
        const t0 = Date.now();
        const r = await importAccounts(stores.accounts, entries, domains, iterations, (n) => {
          if (process.stderr.isTTY) process.stderr.write(`\r${n}/${entries.length}`);
        });
        if (process.stderr.isTTY) process.stderr.write('\n');
        console.log(
          `imported ${r.created} accounts (${r.skipped} already existed) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
        return 0;
      }
      default:
        console.log(USAGE);
        return 2;
    }
  } finally {
    await stores.close();
  }
}

/** `xmppctl postgres migrate`: brings the configured schema up to date. */
async function postgresCommand(cmd: string | undefined, dir: string | undefined): Promise<number> {
  if (cmd !== 'migrate') {
    console.log(USAGE);
    return 2;
  }
  const config = loadConfig();
  const connection = postgresConnection(config);
  const audit = openCliAuditLog(config);
  try {
    return await audited(audit, 'postgres migrate', undefined, async () => {
      const result = await migratePostgres({
        ...connection,
        ...(dir !== undefined ? { dir } : {}),
        log: (message) => console.error(message),
      });
      return reportMigration(`schema ${result.schema}`, result);
    });
  } finally {
    audit.close();
  }
}

/** `xmppctl cassandra migrate`: brings the configured keyspace's schema up to date. */
async function cassandraCommand(
  cmd: string | undefined,
  createKeyspace: boolean,
  dir: string | undefined,
): Promise<number> {
  if (cmd !== 'migrate') {
    console.log(USAGE);
    return 2;
  }
  const config = loadConfig();
  const c = cassandraConnection(config);
  const audit = openCliAuditLog(config);
  try {
    return await audited(audit, 'cassandra migrate', undefined, () =>
      cassandraMigrate(c, createKeyspace, dir),
    );
  } finally {
    audit.close();
  }
}

async function cassandraMigrate(
  c: ReturnType<typeof cassandraConnection>,
  createKeyspace: boolean,
  dir: string | undefined,
): Promise<number> {
  const result = await migrateCassandra({
    contactPoints: c.contactPoints,
    localDataCenter: c.localDataCenter,
    keyspace: c.keyspace,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(c.clientOptions !== undefined ? { clientOptions: c.clientOptions } : {}),
    createKeyspace,
    replication:
      c.replicationClass === 'SimpleStrategy'
        ? { class: 'SimpleStrategy', replicationFactor: c.replicationFactor }
        : {
            class: 'NetworkTopologyStrategy',
            dataCenters: { [c.localDataCenter]: c.replicationFactor },
          },
    ...(dir !== undefined ? { dir } : {}),
    log: (message) => console.error(message),
  });
  return reportMigration(`keyspace ${result.keyspace}`, result);
}

/** Prints what a migrate run did (edited files as warnings); exit code 0. */
function reportMigration(
  target: string,
  result: { applied: number[]; alreadyApplied: number[]; changed: number[] },
): number {
  for (const v of result.changed) {
    console.error(`warning: migration ${v} was edited after it was applied`);
  }
  const version = Math.max(0, ...result.applied, ...result.alreadyApplied);
  console.log(
    result.applied.length > 0
      ? `${target}: applied ${result.applied.join(', ')}; schema version ${version}`
      : `${target} is up to date (schema version ${version})`,
  );
  return 0;
}

function need(v: string | undefined, what: string): string {
  if (!v) throw new Error(`missing <${what}>`);
  return v;
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(
      `xmppctl: ${err instanceof ConfigError ? `configuration error: ${err.message}` : err instanceof Error ? err.message : String(err)}`,
    );
    process.exit(1);
  },
);
