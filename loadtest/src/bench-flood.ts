/**
 * One client floods, the others chat: does one session's flood raise the
 * latency of everyone else (issue 15)? P pairs chat at a fixed total rate
 * R as in the chat benchmark (connectPairs, runStep), measured three
 * times: without a flood, while one more client sends small messages to
 * itself as fast as TCP lets it (user 2P+1), and while another sends large
 * ones (user 2P+2, `--flood-bytes`, default 200,000 bytes of body each).
 * A flooder writes a prepared chunk of messages again and again, waiting
 * only for its socket to drain, and does not parse what comes back: it
 * counts the copies of its messages the server delivered to it, which is
 * what the server actually handled of the flood. It floods during the
 * warm-up and the measured window, and is then disconnected (what the
 * server had not read yet is dropped with the connection), so the drain
 * and the next phase see no flood. Run it once with the server's
 * defaults (shaping on) and once with `--server-env
 * PARLEY_SHAPER_ENABLED=false` to see what the shaper changes.
 */
import { LoadClient } from './client.js';
import type { ChatOptions, ChatStep, ChatSession } from './bench-chat.js';
import { connectPairs, runStep } from './bench-chat.js';
import { CPU_HEADERS, LATENCY_HEADERS, cpuCells, latencyCells } from './figures.js';
import { fmt, fmtInt, formatTable, fromPattern, round, sleep } from './util.js';

export type FloodKind = 'none' | 'small' | 'large';

export interface FloodOptions extends ChatOptions {
  /** The phases to run, in order. */
  phases: FloodKind[];
  /** Body size of the large flood messages. */
  largeBytes: number;
}

export interface FloodPhase {
  flood: FloodKind;
  /** The flooder's messages the server handled (delivered back to it), per second of the window. */
  floodMsgsPerS: number | null;
  /** The same in bytes (as received back). */
  floodBytesPerS: number | null;
  /** Whether the server closed the flooder's stream. */
  floodDropped: boolean;
  /** The chatting sessions during the window. */
  chat: ChatStep;
}

export interface FloodResult {
  pairs: number;
  rate: number;
  largeBytes: number;
  phases: FloodPhase[];
}

const CLOSE_TAG = Buffer.from('</message>');

/** One flooding client: writes `chunk` while it runs, counts what comes back. */
class Flooder {
  messagesIn = 0;
  bytesIn = 0;
  private running = false;
  private stopped: Promise<void> = Promise.resolve();

  constructor(readonly client: LoadClient) {
    // From now on nothing is parsed: count the copies of our messages the server sends back.
    client.socket.removeAllListeners('data');
    client.socket.on('data', (data: Buffer) => {
      this.bytesIn += data.length;
      for (let i = data.indexOf(CLOSE_TAG); i !== -1; i = data.indexOf(CLOSE_TAG, i + 1)) {
        this.messagesIn++;
      }
    });
  }

  get dropped(): boolean {
    return this.client.closed || this.client.socket.destroyed;
  }

  start(chunk: Buffer): void {
    this.running = true;
    this.stopped = this.loop(chunk);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.stopped;
  }

  private async loop(chunk: Buffer): Promise<void> {
    const socket = this.client.socket;
    while (this.running && !socket.destroyed) {
      if (socket.write(chunk)) continue;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          socket.off('drain', done);
          socket.off('close', done);
          clearInterval(poll);
          resolve();
        };
        // Stopping does not wait for a drain that may never come (a paused server).
        const poll = setInterval(() => {
          if (!this.running) done();
        }, 100);
        socket.on('drain', done);
        socket.on('close', done);
      });
    }
  }
}

/** Messages to `to`, repeated into a chunk of about 64 KiB (small) or one message (large). */
export function floodChunk(kind: 'small' | 'large', to: string, largeBytes: number): Buffer {
  if (kind === 'large') {
    return Buffer.from(
      `<message to="${to}" type="chat"><body>${'x'.repeat(largeBytes)}</body></message>`,
    );
  }
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < 65_536; i++) {
    const m = `<message to="${to}" type="chat"><body>flood ${i}</body></message>`;
    parts.push(m);
    size += m.length;
  }
  return Buffer.from(parts.join(''));
}

export async function runFlood(opts: FloodOptions): Promise<FloodResult> {
  const session: ChatSession = await connectPairs(opts);
  let flooder: Flooder | undefined;
  const phases: FloodPhase[] = [];
  try {
    for (const kind of opts.phases) {
      const floodUser = opts.firstUser + opts.pairs * 2 + (kind === 'large' ? 1 : 0);
      const floodJid = fromPattern(opts.userPattern, floodUser);
      if (kind !== 'none') {
        opts.log(`flood: connecting the flooder ${floodJid}`);
        const client = await LoadClient.connect({
          host: opts.host,
          port: opts.ports[0] ?? opts.port,
          jid: floodJid,
          password: fromPattern(opts.passwordPattern, floodUser),
          resource: 'flood',
          mechanism: opts.mechanism,
          starttls: opts.starttls,
          timeoutMs: 60_000,
        });
        flooder = new Flooder(client);
      }
      opts.log(
        `flood: ${kind === 'none' ? 'no flood' : `${kind} flood`}, ${fmtInt(opts.rate)} msgs/s of chat, ` +
          `${opts.warmupS} s warm-up + ${opts.durationS} s measured`,
      );
      const f = kind === 'none' ? undefined : flooder!;
      f?.start(floodChunk(kind as 'small' | 'large', floodJid, opts.largeBytes));
      const in0 = { m: f?.messagesIn ?? 0, b: f?.bytesIn ?? 0 };
      let floodDropped = false;
      // runStep warms up, measures, then drains: the flood runs through all of it;
      // its rate is taken over the same span (warm-up excluded below).
      let w0 = 0;
      let w1 = 0;
      let mark0 = in0;
      let mark1 = in0;
      const marker = setTimeout(() => {
        w0 = performance.now();
        mark0 = { m: f?.messagesIn ?? 0, b: f?.bytesIn ?? 0 };
        const end = setTimeout(() => {
          w1 = performance.now();
          mark1 = { m: f?.messagesIn ?? 0, b: f?.bytesIn ?? 0 };
          // The flood ends with the window; what the server had not read goes with the connection.
          floodDropped = f?.dropped ?? false;
          void f?.stop().then(() => f.client.destroy());
        }, opts.durationS * 1000);
        end.unref();
      }, opts.warmupS * 1000);
      marker.unref();
      const chat = await runStep(session, opts.rate, opts.durationS, opts.warmupS);
      await f?.stop();
      f?.client.destroy();
      const seconds = (w1 - w0) / 1000;
      phases.push({
        flood: kind,
        floodMsgsPerS:
          f === undefined || seconds <= 0 ? null : round((mark1.m - mark0.m) / seconds, 1),
        floodBytesPerS:
          f === undefined || seconds <= 0 ? null : Math.round((mark1.b - mark0.b) / seconds),
        floodDropped,
        chat,
      });
      opts.log(`  ${phaseLine(phases[phases.length - 1]!)}`);
      // Let the server catch up on what it had read of the flood before the next phase.
      if (f !== undefined) await sleep(2000);
    }
  } finally {
    flooder?.client.destroy();
    await session.close();
  }
  return { pairs: opts.pairs, rate: opts.rate, largeBytes: opts.largeBytes, phases };
}

function phaseLine(p: FloodPhase): string {
  const c = p.chat;
  return (
    `flood ${p.flood}: ${p.floodMsgsPerS === null ? '-' : `${fmtInt(p.floodMsgsPerS)} msgs/s`} handled; ` +
    `others delivered ${fmtInt(c.deliveredRate)}/s, p50 ${fmt(c.latencyMs.p50 ?? undefined, 2)} ` +
    `p99 ${fmt(c.latencyMs.p99 ?? undefined, 2)} ms, lost ${c.lost}, server CPU ${fmt(c.serverCpuPct ?? undefined, 0)}%`
  );
}

export function formatFlood(r: FloodResult): string {
  const header = [
    'flood',
    'flood msgs/s',
    'flood KB/s',
    'others sent/s',
    'delivered/s',
    ...LATENCY_HEADERS,
    'lost',
    ...CPU_HEADERS,
  ];
  const rows = r.phases.map((p) => [
    p.flood === 'large' ? `large (${fmtInt(r.largeBytes)} B)` : p.flood,
    p.floodMsgsPerS === null ? '-' : fmt(p.floodMsgsPerS, p.floodMsgsPerS < 10 ? 1 : 0),
    p.floodBytesPerS === null ? '-' : fmtInt(p.floodBytesPerS / 1000),
    fmtInt(p.chat.sentRate),
    fmtInt(p.chat.deliveredRate),
    ...latencyCells(p.chat.latencyMs),
    String(p.chat.lost),
    ...cpuCells(p.chat),
  ]);
  const dropped = r.phases.filter((p) => p.floodDropped).map((p) => p.flood);
  return (
    `Flood: ${r.pairs * 2} sessions chatting at ${fmtInt(r.rate)} msgs/s in all, one more flooding itself\n` +
    formatTable(header, rows) +
    (dropped.length > 0
      ? `\nthe server closed the flooder's stream during: ${dropped.join(', ')}`
      : '')
  );
}
