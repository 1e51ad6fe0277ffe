/**
 * Message Archive Management (XEP-0313) query latency on a big archive.
 *
 * Before the server starts, one user's archive (load1@localhost) is filled
 * with M one-to-one messages written straight into the LMDB store of the
 * server's data directory (`openLmdbStores(<dataDir>/db)`, as the server
 * opens it): ids from `newArchiveId(ts)` with increasing times, alternating
 * between two partners, half sent and half received. Then C clients, all
 * logged in as that user with their own resources, run Q queries in
 * closed loop (each client waits for its answer before the next query):
 *
 * - `last`:  the newest page, `<set><max>50</max><before/></set>`;
 * - `with`:  the newest page with one partner (a `with` form field);
 * - `range`: the first page of a `start`/`end` window in the middle.
 *
 * Latency is from sending the IQ to receiving its result, after all the
 * page's `<result/>` messages (which the server sends first). Every answer
 * is checked: the expected ids in order, and a `<fin/>` whose RSM `<set/>`
 * has the right first (with index), last and count.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { newArchiveId, openLmdbStores, openPostgresStores } from '@parley/store';
import type { ArchivedMessage } from '@parley/store';
import type { Element } from '@parley/xml';
import type { TargetOptions } from './bench-idle.js';
import { escapeXml, LoadClient } from './client.js';
import {
  CPU_HEADERS,
  LATENCY_HEADERS,
  cpuByProcessLines,
  cpuCells,
  cpuFigures,
  latencyCells,
  latencyFigures,
} from './figures.js';
import type { CpuFigures, LatencyFigures } from './figures.js';
import {
  errorText,
  fmt,
  fmtInt,
  formatPairs,
  formatTable,
  fromPattern,
  percentiles,
  round,
  runPool,
  Samples,
  startCpuWindow,
} from './util.js';

export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_RSM = 'http://jabber.org/protocol/rsm';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_DATA = 'jabber:x:data';

/** Time between two pre-filled messages, ms (100,000 messages span about 12 days). */
export const PREFILL_INTERVAL_MS = 10_000;
/** Appends in flight at once while pre-filling (lmdb batches them into few transactions). */
const PREFILL_BATCH = 2_000;
/** One query must be answered within this. */
const QUERY_TIMEOUT_MS = 60_000;

export type MamQueryKind = 'last' | 'with' | 'range';
export const MAM_QUERY_KINDS: readonly MamQueryKind[] = ['last', 'with', 'range'];

/** What was written into the archive. */
export interface PrefilledArchive {
  owner: string;
  partners: [string, string];
  /** Archive ids in order; message i has time t0 + i * intervalMs and partner partners[i % 2]. */
  ids: string[];
  t0: number;
  intervalMs: number;
  seconds: number;
  /** Messages per second written. */
  rate: number;
  /** Size of the LMDB files after the pre-fill, bytes. */
  dbBytes: number;
}

const WORDS = (
  'the a to and of in is it you that for on was with he be at by are this have from or one had ' +
  'not but what all were when we there can an your which their said if do will each about how up ' +
  'out them then she many some so these would other into has more her two like him see time could ' +
  'no make than first been its who now people my made over did down only way find use may water ' +
  'long little very after words called just where most know lunch tomorrow meeting deploy build ' +
  'review merge release ticket coffee later thanks sounds good ok sure great'
).split(' ');

/** A deterministic chat body of 3 to 22 words. */
export function prefillBody(i: number): string {
  let x = (i * 2654435761) >>> 0;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const n = 3 + (next() % 20);
  const words: string[] = [];
  for (let k = 0; k < n; k++) words.push(WORDS[next() % WORDS.length]!);
  return `${words.join(' ')} #${i}`;
}

/**
 * Message i of the pre-fill: partner partners[i % 2]; messages 0,1 of each
 * group of four are sent by the owner (to the partner's bare JID, as a
 * client addresses them), 2,3 received from the partner's resource.
 */
export function prefillMessage(
  owner: string,
  partners: readonly [string, string],
  i: number,
  id: string,
  ts: number,
): ArchivedMessage {
  const partner = partners[i % 2]!;
  const outgoing = i % 4 < 2;
  const from = outgoing ? `${owner}/load` : `${partner}/load`;
  const to = outgoing ? partner : owner;
  const xml =
    `<message from="${escapeXml(from)}" to="${escapeXml(to)}" type="chat" id="pf${i}">` +
    `<body>${escapeXml(prefillBody(i))}</body>` +
    `<active xmlns="http://jabber.org/protocol/chatstates"/>` +
    `<origin-id xmlns="urn:xmpp:sid:0" id="pf${i}"/></message>`;
  return outgoing
    ? { id, ts, with: partner, xml }
    : { id, ts, with: partner, withResource: 'load', xml };
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) {
    const st = statSync(join(dir, f));
    if (st.isFile()) n += st.size;
  }
  return n;
}

/**
 * Writes `messages` messages into `owner`'s archive in the LMDB store under
 * `<dataDir>/db` (the server must not be running yet), or in the PostgreSQL
 * database at `postgresUrl`.
 */
export async function prefillArchive(
  dataDir: string,
  opts: {
    owner: string;
    partners: [string, string];
    messages: number;
    log: (line: string) => void;
    now?: number;
    postgresUrl?: string;
  },
): Promise<PrefilledArchive> {
  const dir = join(dataDir, 'db');
  mkdirSync(dir, { recursive: true });
  const intervalMs = PREFILL_INTERVAL_MS;
  // End a minute before now: messages archived by the running server sort after these.
  const t0 = (opts.now ?? Date.now()) - 60_000 - opts.messages * intervalMs;
  const ids = new Array<string>(opts.messages);
  opts.log(`mam: pre-filling ${fmtInt(opts.messages)} messages into ${opts.owner}'s archive`);
  const stores =
    opts.postgresUrl !== undefined
      ? await openPostgresStores({ url: opts.postgresUrl, poolSize: 8 })
      : await openLmdbStores(dir);
  const start = performance.now();
  let duplicates = 0;
  try {
    const step = Math.max(
      PREFILL_BATCH,
      Math.floor(opts.messages / 10 / PREFILL_BATCH) * PREFILL_BATCH,
    );
    for (let i = 0; i < opts.messages; i += PREFILL_BATCH) {
      const batch: Promise<boolean>[] = [];
      for (let j = i; j < Math.min(opts.messages, i + PREFILL_BATCH); j++) {
        const ts = t0 + j * intervalMs;
        const id = newArchiveId(ts);
        ids[j] = id;
        batch.push(
          stores.archive.append(opts.owner, prefillMessage(opts.owner, opts.partners, j, id, ts)),
        );
      }
      for (const added of await Promise.all(batch)) if (!added) duplicates++;
      const done = Math.min(opts.messages, i + PREFILL_BATCH);
      if (done % step === 0 || done === opts.messages) {
        const s = (performance.now() - start) / 1000;
        opts.log(`  ${fmtInt(done).padStart(9)} written, ${fmt(s, 1)} s, ${fmtInt(done / s)}/s`);
      }
    }
    const count = await stores.archive.count(opts.owner, {});
    if (duplicates > 0 || count !== opts.messages)
      throw new Error(
        `pre-fill: the archive holds ${count} messages, expected ${opts.messages} (${duplicates} duplicate ids)`,
      );
  } finally {
    await stores.close();
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    owner: opts.owner,
    partners: opts.partners,
    ids,
    t0,
    intervalMs,
    seconds,
    rate: seconds > 0 ? opts.messages / seconds : 0,
    dbBytes: dirBytes(dir),
  };
}

/** What one query asks and what its answer must be. */
export interface MamQuerySpec {
  kind: MamQueryKind;
  /** The <query/>'s children before the RSM set (a data form), or ''. */
  form: string;
  /** Page from the newest end (RSM <before/>). */
  before: boolean;
  max: number;
  /** Expected ids of the page, ascending. */
  expectIds: string[];
  /** Expected RSM count and the first item's index. */
  expectCount: number;
  expectFirstIndex: number;
  /** Expected `complete` attribute of <fin/>. */
  expectComplete: boolean;
  /** Human description. */
  label: string;
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

function form(fields: [string, string][]): string {
  return (
    `<x xmlns="${NS_DATA}" type="submit"><field var="FORM_TYPE" type="hidden"><value>${NS_MAM}</value></field>` +
    fields
      .map(([k, v]) => `<field var="${escapeXml(k)}"><value>${escapeXml(v)}</value></field>`)
      .join('') +
    '</x>'
  );
}

/**
 * The three queries on a pre-filled archive: `max` newest, `max` newest
 * with partners[0], the first `max` of a start/end window of `rangeSize`
 * messages starting in the middle of the archive.
 */
export function mamQuerySpecs(
  a: Pick<PrefilledArchive, 'ids' | 't0' | 'intervalMs' | 'partners'>,
  max: number,
  rangeSize: number,
): MamQuerySpec[] {
  const m = a.ids.length;
  const tsOf = (i: number) => a.t0 + i * a.intervalMs;
  const lastN = Math.min(max, m);
  const withIdx: number[] = [];
  for (let i = 0; i < m; i += 2) withIdx.push(i);
  const withPage = withIdx.slice(Math.max(0, withIdx.length - max));
  const lo = Math.floor(m / 2);
  const hi = Math.min(m - 1, lo + Math.max(1, rangeSize) - 1);
  const rangeCount = m === 0 ? 0 : hi - lo + 1;
  const rangePage = Array.from({ length: Math.min(max, rangeCount) }, (_, k) => lo + k);
  return [
    {
      kind: 'last',
      form: '',
      before: true,
      max,
      expectIds: a.ids.slice(m - lastN),
      expectCount: m,
      expectFirstIndex: m - lastN,
      expectComplete: m <= max,
      label: `newest ${max} of ${fmtInt(m)}`,
    },
    {
      kind: 'with',
      form: form([['with', a.partners[0]]]),
      before: true,
      max,
      expectIds: withPage.map((i) => a.ids[i]!),
      expectCount: withIdx.length,
      expectFirstIndex: withIdx.length - withPage.length,
      expectComplete: withIdx.length <= max,
      label: `newest ${max} with ${a.partners[0]} (${fmtInt(withIdx.length)} match)`,
    },
    {
      kind: 'range',
      form:
        m === 0
          ? form([['start', isoTime(a.t0)]])
          : form([
              ['start', isoTime(tsOf(lo))],
              ['end', isoTime(tsOf(hi))],
            ]),
      before: false,
      max,
      expectIds: rangePage.map((i) => a.ids[i]!),
      expectCount: rangeCount,
      expectFirstIndex: 0,
      expectComplete: rangeCount <= max,
      label: `first ${max} of a start/end window of ${fmtInt(rangeCount)} mid-archive`,
    },
  ];
}

/** The IQ for a query; `qid` is both the IQ id and the queryid. */
export function mamQueryIq(spec: MamQuerySpec, qid: string): string {
  return (
    `<iq type="set" id="${qid}"><query xmlns="${NS_MAM}" queryid="${qid}">${spec.form}` +
    `<set xmlns="${NS_RSM}"><max>${spec.max}</max>${spec.before ? '<before/>' : ''}</set></query></iq>`
  );
}

/** Checks an answer: the result ids received and the IQ result. Returns what is wrong, or undefined. */
export function checkMamAnswer(
  spec: MamQuerySpec,
  ids: readonly string[],
  badResults: number,
  iq: Element,
): string | undefined {
  if (iq.attr('type') !== 'result') {
    const err = iq.getChild('error');
    const cond = err?.getChildElements().find((c) => c.localName !== 'text')?.localName;
    return `IQ ${iq.attr('type') ?? '?'}${cond ? ` ${cond}` : ''}`;
  }
  if (badResults > 0) return `${badResults} results without a forwarded message`;
  if (ids.length !== spec.expectIds.length)
    return `${ids.length} results before the IQ result, expected ${spec.expectIds.length}`;
  for (let i = 0; i < ids.length; i++)
    if (ids[i] !== spec.expectIds[i])
      return `result ${i} has id ${ids[i]}, expected ${spec.expectIds[i]}`;
  const fin = iq.getChild('fin', NS_MAM);
  if (!fin) return 'IQ result without <fin/>';
  const complete = fin.attr('complete') === 'true';
  if (complete !== spec.expectComplete) return `<fin complete=${String(complete)}>`;
  const set = fin.getChild('set', NS_RSM);
  if (!set) return '<fin/> without an RSM <set/>';
  // <count/> and the first index are optional (mam.includeCount=false leaves them out).
  const count = set.getChildText('count');
  if (count !== undefined && count !== String(spec.expectCount))
    return `RSM count ${count}, expected ${spec.expectCount}`;
  if (spec.expectIds.length > 0) {
    const first = set.getChild('first');
    if (first === undefined || first.text() !== spec.expectIds[0])
      return `RSM first ${first?.text() ?? 'missing'}, expected ${spec.expectIds[0]}`;
    const index = first.attr('index');
    if (index !== undefined && index !== String(spec.expectFirstIndex))
      return `RSM first index ${index}, expected ${spec.expectFirstIndex}`;
    const last = set.getChildText('last');
    if (last !== spec.expectIds[spec.expectIds.length - 1])
      return `RSM last ${last ?? 'missing'}, expected ${spec.expectIds[spec.expectIds.length - 1]}`;
  }
  return undefined;
}

/** One client's query in flight. */
interface Pending {
  qid: string;
  ids: string[];
  bad: number;
  resolve: (iq: Element) => void;
}

class Querier {
  pending: Pending | undefined;
  /** Result messages that matched no query in flight. */
  strays = 0;
  constructor(readonly client: LoadClient) {}

  onMessage(el: Element): void {
    const result = el.getChild('result', NS_MAM);
    if (!result) return;
    const p = this.pending;
    if (!p || result.attr('queryid') !== p.qid) {
      this.strays++;
      return;
    }
    const msg = result.getChild('forwarded', NS_FORWARD)?.getChild('message');
    if (msg?.getChild('body') === undefined) p.bad++;
    p.ids.push(result.attr('id') ?? '');
  }

  onStanza(el: Element): void {
    const p = this.pending;
    if (el.name === 'iq' && p && el.attr('id') === p.qid) {
      this.pending = undefined;
      p.resolve(el);
    }
  }

  query(spec: MamQuerySpec, qid: string): Promise<{ iq: Element; ids: string[]; bad: number }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new Error(`no answer to query ${qid} within ${QUERY_TIMEOUT_MS} ms`));
      }, QUERY_TIMEOUT_MS);
      const p: Pending = {
        qid,
        ids: [],
        bad: 0,
        resolve: (iq) => {
          clearTimeout(timer);
          resolve({ iq, ids: p.ids, bad: p.bad });
        },
      };
      this.pending = p;
      this.client.send(mamQueryIq(spec, qid));
    });
  }
}

export interface MamOptions extends TargetOptions {
  /** User index of the archive owner (1: load1). */
  user: number;
  /** Queries per run. */
  queries: number;
  /** Concurrent clients of each run, e.g. [1, 10]. */
  clients: number[];
  /** Page size (RSM max). */
  pageSize: number;
  /** Messages in the start/end window of the `range` query. */
  rangeSize: number;
  /** Unmeasured queries of each kind before its first run. */
  warmupQueries: number;
  /** Query kinds to run, in this order (default all). */
  kinds?: MamQueryKind[];
}

export interface MamRun extends CpuFigures {
  kind: MamQueryKind;
  label: string;
  clients: number;
  queries: number;
  ok: number;
  failed: number;
  firstFailure: string | null;
  seconds: number;
  /** Queries answered per second (all clients). */
  rate: number;
  latencyMs: LatencyFigures;
}

export interface MamResult {
  owner: string;
  messages: number;
  pageSize: number;
  prefill: { seconds: number; rate: number; dbMiB: number };
  loginSeconds: number;
  /** Result messages that arrived for no query in flight. */
  strayResults: number;
  runs: MamRun[];
}

async function runQueries(
  queriers: Querier[],
  spec: MamQuerySpec,
  count: number,
  prefix: string,
  samples: Samples | undefined,
): Promise<{ ok: number; failures: string[] }> {
  let next = 0;
  let ok = 0;
  const failures: string[] = [];
  await Promise.all(
    queriers.map(async (q, k) => {
      for (;;) {
        const n = next++;
        if (n >= count) return;
        const qid = `${prefix}-${k}-${n}`;
        const t0 = performance.now();
        try {
          const { iq, ids, bad } = await q.query(spec, qid);
          const ms = performance.now() - t0;
          const wrong = checkMamAnswer(spec, ids, bad, iq);
          if (wrong === undefined) {
            ok++;
            samples?.push(ms);
          } else failures.push(wrong);
        } catch (err) {
          failures.push(errorText(err));
        }
      }
    }),
  );
  return { ok, failures };
}

export async function runMam(opts: MamOptions, archive: PrefilledArchive): Promise<MamResult> {
  const maxClients = Math.max(1, ...opts.clients);
  opts.log(`mam: logging in ${maxClients} clients as ${archive.owner}`);
  const t0 = performance.now();
  const queriers: Querier[] = [];
  const { errors } = await runPool(maxClients, opts.concurrency, async (k) => {
    const q: { querier?: Querier } = {};
    const client = await LoadClient.connect({
      host: opts.host,
      port: opts.ports.length > 0 ? opts.ports[k % opts.ports.length]! : opts.port,
      jid: fromPattern(opts.userPattern, opts.user),
      password: fromPattern(opts.passwordPattern, opts.user),
      resource: `mam${k + 1}`,
      mechanism: opts.mechanism,
      starttls: opts.starttls,
      timeoutMs: 60_000,
      onMessage: (el) => q.querier?.onMessage(el),
      onStanza: (el) => q.querier?.onStanza(el),
    });
    q.querier = new Querier(client);
    queriers[k] = q.querier;
  });
  if (errors.length > 0) {
    await Promise.all(queriers.map((q) => q?.client.close()));
    throw new Error(`${errors.length} logins failed, e.g. ${errorText(errors[0]!.error)}`);
  }
  const loginSeconds = (performance.now() - t0) / 1000;
  const all = mamQuerySpecs(archive, opts.pageSize, opts.rangeSize);
  const specs = (opts.kinds ?? MAM_QUERY_KINDS).map((k) => all.find((s) => s.kind === k)!);
  const runs: MamRun[] = [];
  try {
    for (const spec of specs) {
      if (opts.warmupQueries > 0) {
        const w = await runQueries(
          queriers.slice(0, 1),
          spec,
          opts.warmupQueries,
          `w${spec.kind}`,
          undefined,
        );
        if (w.failures.length > 0)
          opts.log(`mam: warm-up of '${spec.kind}' failed: ${w.failures[0]}`);
      }
      for (const c of opts.clients) {
        opts.log(`mam: ${spec.kind} (${spec.label}): ${opts.queries} queries, ${c} client(s)`);
        const samples = new Samples();
        const readCpu = startCpuWindow(opts.serverProcesses);
        const r0 = performance.now();
        const { ok, failures } = await runQueries(
          queriers.slice(0, c),
          spec,
          opts.queries,
          `${spec.kind}${c}`,
          samples,
        );
        const seconds = (performance.now() - r0) / 1000;
        const cpu = readCpu();
        const p = percentiles(samples.sorted());
        const run: MamRun = {
          kind: spec.kind,
          label: spec.label,
          clients: c,
          queries: opts.queries,
          ok,
          failed: failures.length,
          firstFailure: failures[0] ?? null,
          seconds: round(seconds)!,
          rate: round(seconds > 0 ? ok / seconds : 0, 1)!,
          latencyMs: latencyFigures(p),
          ...cpuFigures(cpu),
        };
        opts.log(
          `  ${ok} ok, ${failures.length} failed${failures[0] ? ` (${failures[0]})` : ''}, ${fmt(run.rate, 1)} q/s, ` +
            `p50 ${fmt(run.latencyMs.p50 ?? undefined, 2)} p99 ${fmt(run.latencyMs.p99 ?? undefined, 2)} ms, ` +
            `server CPU ${fmt(run.serverCpuPct ?? undefined, 0)}%, other CPU ${fmt(run.otherCpuPct ?? undefined, 0)}%`,
        );
        runs.push(run);
      }
    }
  } finally {
    await Promise.all(queriers.map((q) => q.client.close()));
  }
  return {
    owner: archive.owner,
    messages: archive.ids.length,
    pageSize: opts.pageSize,
    prefill: {
      seconds: round(archive.seconds)!,
      rate: round(archive.rate, 0)!,
      dbMiB: round(archive.dbBytes / 1048576, 1)!,
    },
    loginSeconds: round(loginSeconds)!,
    strayResults: queriers.reduce((n, q) => n + q.strays, 0),
    runs,
  };
}

export function formatMam(r: MamResult): string {
  const head = formatPairs([
    ['archive', `${r.owner}, ${fmtInt(r.messages)} messages (LMDB)`],
    [
      'pre-fill',
      `${fmt(r.prefill.seconds, 2)} s, ${fmtInt(r.prefill.rate)} messages/s; LMDB files ${fmt(r.prefill.dbMiB, 1)} MiB`,
    ],
    ['page', `RSM max ${r.pageSize}; latency = IQ sent to IQ result, after all results`],
  ]);
  const header = ['query', 'clients', 'ok', 'failed', 'q/s', ...LATENCY_HEADERS, ...CPU_HEADERS];
  const rows = r.runs.map((x) => [
    x.kind,
    String(x.clients),
    String(x.ok),
    String(x.failed),
    fmt(x.rate, 1),
    ...latencyCells(x.latencyMs),
    ...cpuCells(x),
  ]);
  const kinds = [...new Map(r.runs.map((x) => [x.kind, x.label])).entries()]
    .map(([k, label]) => `    ${k.padEnd(5)}  ${label}`)
    .join('\n');
  let out = `MAM: archive queries\n${head}\n\n${formatTable(header, rows)}\n  queries:\n${kinds}`;
  const failed = r.runs.filter((x) => x.firstFailure !== null);
  if (failed.length > 0)
    out +=
      '\n  first failures:\n' +
      failed.map((x) => `    ${x.kind} x${x.clients}: ${x.firstFailure}`).join('\n');
  if (r.strayResults > 0) out += `\n  result messages for no query in flight: ${r.strayResults}`;
  return (
    out + cpuByProcessLines(r.runs, (x) => `${x.kind.padEnd(5)} x${String(x.clients).padEnd(3)}`)
  );
}
