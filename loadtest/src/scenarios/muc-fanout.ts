/**
 * muc-fanout: rooms of K occupants (sessions r*K .. r*K+K-1 in room r); the
 * first occupant creates the room (instant room), the others join; then S
 * senders per room send groupchat at a fixed total rate and every occupant
 * records the latency of every reflected message.
 */
import type { Element } from '@parley/xml';
import type { LoadClient } from '../client.js';
import { escapeXml } from '../client.js';
import { closeAll, openLoopFor, tsOfBody } from './common.js';
import type { Scenario, WorkerContext } from './types.js';
import { nowMs, num, str } from './types.js';

const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
const NS_DATA = 'jabber:x:data';

interface Occupant {
  joined?: (codes: string[]) => void;
  iq?: (el: Element) => void;
}

function roomJid(ctx: WorkerContext, room: number): string {
  return `room${room}@${str(ctx.cfg, 'service')}`;
}

function join(
  ctx: WorkerContext,
  c: LoadClient,
  occ: Occupant,
  room: string,
  nick: string,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`join ${room} timed out`)), 30_000);
    occ.joined = (codes) => {
      clearTimeout(t);
      occ.joined = undefined;
      resolve(codes);
    };
    c.send(
      `<presence to="${escapeXml(`${room}/${nick}`)}"><x xmlns="${NS_MUC}"><history maxstanzas="0"/></x></presence>`,
    );
    void ctx;
  });
}

export const mucFanout: Scenario = {
  name: 'muc-fanout',
  description: 'rooms of K occupants, groupchat at a fixed total rate, fan-out latency',
  config: {
    occupants: { default: 20, help: 'occupants per room (sessions are split into rooms)' },
    senders: { default: 1, help: 'senders per room (its first occupants)' },
    msgRate: {
      default: 50,
      help: 'total groupchat messages/s, all rooms (deliveries = x occupants)',
    },
    duration: { default: 30, help: 'seconds of sending' },
    drain: { default: 5, help: 'seconds to wait after sending' },
    service: { default: 'conference.localhost', help: 'MUC service domain' },
    joinConcurrency: { default: 50, help: 'joins in flight per worker' },
  },
  serverEnv: (_common, cfg) => ({
    PARLEY_MUC_ROOM_DEFAULTS_MAX_USERS: String(Math.max(200, num(cfg, 'occupants'))),
  }),
  async worker(ctx) {
    const k = Math.max(1, num(ctx.cfg, 'occupants'));
    const occupants: Occupant[] = Array.from({ length: ctx.count }, () => ({}));
    let received = 0;
    const clients = await ctx.connectAll((i) => {
      const occ = occupants[i - ctx.first]!;
      return {
        onMessage: (el: Element) => {
          if (el.attr('type') === 'error') {
            ctx.counters.errors++;
            return;
          }
          if (el.attr('type') !== 'groupchat') return;
          const ts = tsOfBody(el.getChildText('body'));
          if (!Number.isFinite(ts)) return;
          received++;
          ctx.counters.received++;
          ctx.latency(nowMs() - ts);
        },
        onStanza: (el: Element) => {
          if (el.name === 'iq') {
            occ.iq?.(el);
            return;
          }
          if (el.name !== 'presence' || !occ.joined) return;
          const x = el.getChild('x', NS_MUC_USER);
          if (el.attr('type') === 'error') {
            ctx.error(`join error: ${el.getChild('error')?.getChildElements()[0]?.localName}`);
            occ.joined([]);
            return;
          }
          const codes = (x?.getChildren('status') ?? []).map((s) => s.attr('code') ?? '');
          if (codes.includes('110')) occ.joined(codes);
        },
      };
    });
    await ctx.barrier('connected');
    // Owners: the first occupant of each room in this worker's range.
    const joinOne = async (kk: number): Promise<void> => {
      const i = ctx.first + kk;
      const c = clients[kk];
      if (!c?.ready) return;
      const room = roomJid(ctx, Math.floor(i / k));
      try {
        const codes = await join(ctx, c, occupants[kk]!, room, `u${i}`);
        if (codes.includes('201')) {
          await new Promise<void>((resolve) => {
            const occ = occupants[kk]!;
            const t = setTimeout(() => resolve(), 10_000);
            occ.iq = (el) => {
              if (el.attr('id') === 'cfg1') {
                clearTimeout(t);
                occ.iq = undefined;
                if (el.attr('type') !== 'result') ctx.error('instant room configuration refused');
                resolve();
              }
            };
            c.send(
              `<iq type="set" id="cfg1" to="${room}"><query xmlns="${NS_MUC_OWNER}"><x xmlns="${NS_DATA}" type="submit"/></query></iq>`,
            );
          });
        }
        ctx.result['joined'] = Number(ctx.result['joined'] ?? 0) + 1;
      } catch (err) {
        ctx.error(err instanceof Error ? err.message : String(err));
      }
    };
    const pool = async (indexes: number[]): Promise<void> => {
      let next = 0;
      const lanes = Math.max(1, num(ctx.cfg, 'joinConcurrency'));
      await Promise.all(
        Array.from({ length: Math.min(lanes, indexes.length) }, async () => {
          while (next < indexes.length && !ctx.expired()) await joinOne(indexes[next++]!);
        }),
      );
    };
    const all = Array.from({ length: ctx.count }, (_, kk) => kk);
    await pool(all.filter((kk) => (ctx.first + kk) % k === 0));
    await ctx.barrier('created');
    await pool(all.filter((kk) => (ctx.first + kk) % k !== 0));
    await ctx.barrier('joined');
    const senders = all.filter(
      (kk) => (ctx.first + kk) % k < num(ctx.cfg, 'senders') && clients[kk]?.ready,
    );
    let next = 0;
    const rate = num(ctx.cfg, 'msgRate') / ctx.workers;
    if (senders.length > 0) {
      await openLoopFor(ctx, rate, num(ctx.cfg, 'duration'), () => {
        const kk = senders[next]!;
        next = (next + 1) % senders.length;
        const c = clients[kk];
        if (!c?.ready) {
          ctx.counters.errors++;
          return;
        }
        const i = ctx.first + kk;
        c.sendMessage(roomJid(ctx, Math.floor(i / k)), `${i} ${nowMs()}`, 'groupchat');
        ctx.counters.sent++;
      });
    }
    await ctx.barrier('sent');
    await ctx.sleep(num(ctx.cfg, 'drain') * 1000);
    await ctx.barrier('drained');
    ctx.result['received'] = received;
    await closeAll(clients);
  },
  summarize(sum, run) {
    const k = Number(run.cfg['occupants']);
    const sessions = run.common.sessions;
    // Occupants of each sender's room (the last room may be smaller).
    const expected = run.counters.sent * Math.min(k, sessions);
    return {
      rooms: Math.ceil(sessions / k),
      joined: sum['joined'] ?? 0,
      sent: run.counters.sent,
      deliveries: run.counters.received,
      expectedDeliveries: expected,
      lost: expected - run.counters.received,
      errors: run.counters.errors,
    };
  },
};
