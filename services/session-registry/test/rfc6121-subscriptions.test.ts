/**
 * RFC 6121 section 3 and Appendix A: the subscription state machine, one
 * row per existing state for each of the four subscription stanzas, on
 * both sides: the user's server processing what the user sends (A.2,
 * outbound) and what a contact sends to the user (A.3, inbound).
 *
 * The user is alice (online as alice/a, available and interested); the
 * contact is bob on the same server. Alice's roster item for bob is put in
 * the state of the row straight in the store. Each row checks the new
 * state, whether the stanza was routed (outbound) or delivered to alice's
 * available resource (inbound), and the roster push: exactly one when the
 * item as a client sees it changed, none on "no state change".
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Element } from '@parley/xml';
import type { FakeSession } from './harness.js';
import { Harness, STATES, brief, jidOf, pushes, stateOf } from './harness.js';

const ALICE = jidOf('alice');
const BOB = jidOf('bob');
const A = `${ALICE}/a`;

let h: Harness;
let alice: FakeSession;

beforeEach(async () => {
  h = await Harness.start({ accounts: ['alice', 'bob'] });
  alice = await h.online(ALICE, 'a');
  h.takeRouted();
});
afterEach(async () => {
  expect(h.problems()).toEqual([]);
  await h.close();
});

type SubType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';

interface Row {
  state: keyof typeof STATES;
  /** Outbound: routed to the contact. Inbound: delivered to the user's available resources. */
  yes: boolean;
  /** The state afterwards ('=' for no state change). */
  after: string;
  /** Pre-approval noted (outbound subscribed, RFC 6121 3.4). */
  approved?: boolean;
  /** Other stanzas the user's server routes to the contact, as `brief` lines. */
  also?: string[];
}

/** The roster item as pushed to / listed for a client: subscription, ask, approved. */
function visible(item: Element | undefined): string {
  if (item === undefined) return '(none)';
  const ask = item.attr('ask') ? ` ask=${item.attr('ask')}` : '';
  const approved = item.attr('approved') ? ` approved=${item.attr('approved')}` : '';
  return `${item.attr('subscription')}${ask}${approved}`;
}

/** What a client sees of an Appendix A state (pending-in is not shown). */
function visibleState(state: string, approved = false): string {
  const sub = state.split(' ')[0]!.toLowerCase();
  return `${sub}${state.includes('Pending Out') ? ' ask=subscribe' : ''}${approved ? ' approved=true' : ''}`;
}

async function check(row: Row, type: SubType, delivered: Element[], routed: string[]) {
  const item = await h.item(ALICE, BOB);
  const after = row.after === '=' ? row.state : row.after;
  expect(stateOf(item)).toBe(after);
  expect(item?.approved === true).toBe(row.approved === true);
  const pushed = pushes(delivered);
  const changed =
    visibleState(row.state, STATES[row.state]!.approved) !== visibleState(after, row.approved);
  expect(pushed.map(visible)).toEqual(changed ? [visibleState(after, row.approved)] : []);
  for (const p of pushed) expect(p.attr('jid')).toBe(BOB);
  return { item, pushed, routed };
}

// ---------------------------------------------------------------- outbound

const OUTBOUND: Record<SubType, { section: string; rows: Row[] }> = {
  subscribe: {
    section: 'RFC 6121 A.2.1 / 3.1.2',
    rows: [
      { state: 'None', yes: true, after: 'None + Pending Out' },
      { state: 'None + Pending Out', yes: true, after: '=' },
      { state: 'None + Pending In', yes: true, after: 'None + Pending Out/In' },
      { state: 'None + Pending Out/In', yes: true, after: '=' },
      { state: 'To', yes: true, after: '=' },
      { state: 'To + Pending In', yes: true, after: '=' },
      { state: 'From', yes: true, after: 'From + Pending Out' },
      { state: 'From + Pending Out', yes: true, after: '=' },
      { state: 'Both', yes: true, after: '=' },
    ],
  },
  unsubscribe: {
    section: 'RFC 6121 A.2.2 / 3.3.2',
    rows: [
      { state: 'None', yes: true, after: '=' },
      { state: 'None + Pending Out', yes: true, after: 'None' },
      { state: 'None + Pending In', yes: true, after: '=' },
      { state: 'None + Pending Out/In', yes: true, after: 'None + Pending In' },
      { state: 'To', yes: true, after: 'None' },
      { state: 'To + Pending In', yes: true, after: 'None + Pending In' },
      { state: 'From', yes: true, after: '=' },
      { state: 'From + Pending Out', yes: true, after: 'From' },
      { state: 'Both', yes: true, after: 'From' },
    ],
  },
  subscribed: {
    section: 'RFC 6121 A.2.3 / 3.1.5 / 3.4',
    rows: [
      { state: 'None', yes: false, after: '=', approved: true },
      { state: 'None + Pending Out', yes: false, after: '=', approved: true },
      { state: 'None + Pending In', yes: true, after: 'From', also: [`presence ${A} -> ${BOB}`] },
      {
        state: 'None + Pending Out/In',
        yes: true,
        after: 'From + Pending Out',
        also: [`presence ${A} -> ${BOB}`],
      },
      { state: 'To', yes: false, after: '=', approved: true },
      { state: 'To + Pending In', yes: true, after: 'Both', also: [`presence ${A} -> ${BOB}`] },
      { state: 'From', yes: false, after: '=' },
      { state: 'From + Pending Out', yes: false, after: '=' },
      { state: 'Both', yes: false, after: '=' },
    ],
  },
  unsubscribed: {
    section: 'RFC 6121 A.2.4 / 3.2.2',
    rows: [
      {
        state: 'None',
        yes: false,
        after: '=',
      },
      {
        state: 'None + Pending Out',
        yes: false,
        after: '=',
      },
      { state: 'None + Pending In', yes: true, after: 'None' },
      { state: 'None + Pending Out/In', yes: true, after: 'None + Pending Out' },
      {
        state: 'To',
        yes: false,
        after: '=',
      },
      { state: 'To + Pending In', yes: true, after: 'To' },
      { state: 'From', yes: true, after: 'None', also: [`presence:unavailable ${A} -> ${BOB}`] },
      {
        state: 'From + Pending Out',
        yes: true,
        after: 'None + Pending Out',
        also: [`presence:unavailable ${A} -> ${BOB}`],
      },
      { state: 'Both', yes: true, after: 'To', also: [`presence:unavailable ${A} -> ${BOB}`] },
    ],
  },
};

describe('RFC 6121 A.2: outbound subscription stanzas (the user sends)', () => {
  for (const [type, { section, rows }] of Object.entries(OUTBOUND) as Array<
    [SubType, (typeof OUTBOUND)[SubType]]
  >) {
    for (const row of rows) {
      const name = `${section}: ${type} in "${row.state}" ${row.yes ? 'is routed' : 'is not routed'}, ${
        row.after === '=' ? 'no state change' : `-> "${row.after}"`
      }${row.approved ? ' (pre-approved)' : ''}`;
      it(name, async () => {
        await h.setItem(ALICE, BOB, STATES[row.state]!);
        alice.send(`<presence xmlns='jabber:client' to='${BOB}' type='${type}'/>`);
        const delivered = await alice.drain();
        const routed = h.takeRouted();
        await check(row, type, delivered, routed);
        // Subscription stanzas travel with bare JIDs on both ends (RFC 6121 3.1.2).
        const stanza = `presence:${type} ${ALICE} -> ${BOB}`;
        expect(routed.filter((r) => r !== stanza).sort()).toEqual([...(row.also ?? [])].sort());
        expect(routed.filter((r) => r === stanza)).toEqual(row.yes ? [stanza] : []);
        // Nothing but roster pushes comes back to the user.
        expect(delivered.filter((e) => e.name !== 'iq').map(brief)).toEqual([]);
      });
    }
  }
});

describe('RFC 6121 3.2.2 / 3.4: cancelling a pre-approval', () => {
  it('RFC 6121 3.4: unsubscribed to a pre-approved contact removes the pre-approval (pushed)', async () => {
    await h.setItem(ALICE, BOB, { subscription: 'none', approved: true });
    alice.send(`<presence xmlns='jabber:client' to='${BOB}' type='unsubscribed'/>`);
    const delivered = await alice.drain();
    expect((await h.item(ALICE, BOB))?.approved).toBeUndefined();
    expect(pushes(delivered).map(visible)).toEqual(['none']);
  });

  it('RFC 6121 3.2.2 step 2: unsubscribed that cancels a pre-approval MUST NOT be routed', async () => {
    await h.setItem(ALICE, BOB, { subscription: 'none', approved: true });
    alice.send(`<presence xmlns='jabber:client' to='${BOB}' type='unsubscribed'/>`);
    await alice.drain();
    expect(h.takeRouted()).toEqual([]);
  });

  it('RFC 6121 3.2.2 step 3: unavailable presence from every resource reaches the user before the unsubscribed', async () => {
    await h.setItem(ALICE, BOB, { subscription: 'from' });
    alice.send(`<presence xmlns='jabber:client' to='${BOB}' type='unsubscribed'/>`);
    await alice.drain();
    expect(h.takeRouted()).toEqual([
      `presence:unavailable ${A} -> ${BOB}`,
      `presence:unsubscribed ${ALICE} -> ${BOB}`,
    ]);
  });
});

// ----------------------------------------------------------------- inbound

const INBOUND: Record<SubType, { section: string; rows: Row[] }> = {
  subscribe: {
    section: 'RFC 6121 A.3.1 / 3.1.3',
    rows: [
      { state: 'None', yes: true, after: 'None + Pending In' },
      { state: 'None + Pending Out', yes: true, after: 'None + Pending Out/In' },
      { state: 'None + Pending In', yes: false, after: '=' },
      { state: 'None + Pending Out/In', yes: false, after: '=' },
      { state: 'To', yes: true, after: 'To + Pending In' },
      { state: 'To + Pending In', yes: false, after: '=' },
      // Already subscribed: the server answers for the user (auto-reply).
      { state: 'From', yes: false, after: '=', also: [`presence:subscribed ${ALICE} -> ${BOB}`] },
      {
        state: 'From + Pending Out',
        yes: false,
        after: '=',
        also: [`presence:subscribed ${ALICE} -> ${BOB}`],
      },
      { state: 'Both', yes: false, after: '=', also: [`presence:subscribed ${ALICE} -> ${BOB}`] },
    ],
  },
  unsubscribe: {
    section: 'RFC 6121 A.3.2 / 3.3.3',
    rows: [
      { state: 'None', yes: false, after: '=' },
      { state: 'None + Pending Out', yes: false, after: '=' },
      { state: 'None + Pending In', yes: true, after: 'None' },
      { state: 'None + Pending Out/In', yes: true, after: 'None + Pending Out' },
      { state: 'To', yes: false, after: '=' },
      { state: 'To + Pending In', yes: true, after: 'To' },
      // The contact no longer sees the user: unavailable from every available resource.
      { state: 'From', yes: true, after: 'None', also: [`presence:unavailable ${A} -> ${BOB}`] },
      {
        state: 'From + Pending Out',
        yes: true,
        after: 'None + Pending Out',
        also: [`presence:unavailable ${A} -> ${BOB}`],
      },
      { state: 'Both', yes: true, after: 'To', also: [`presence:unavailable ${A} -> ${BOB}`] },
    ],
  },
  subscribed: {
    section: 'RFC 6121 A.3.3 / 3.1.6',
    rows: [
      { state: 'None', yes: false, after: '=' },
      { state: 'None + Pending Out', yes: true, after: 'To' },
      { state: 'None + Pending In', yes: false, after: '=' },
      { state: 'None + Pending Out/In', yes: true, after: 'To + Pending In' },
      { state: 'To', yes: false, after: '=' },
      { state: 'To + Pending In', yes: false, after: '=' },
      { state: 'From', yes: false, after: '=' },
      { state: 'From + Pending Out', yes: true, after: 'Both' },
      { state: 'Both', yes: false, after: '=' },
    ],
  },
  unsubscribed: {
    section: 'RFC 6121 A.3.4 / 3.2.3',
    rows: [
      { state: 'None', yes: false, after: '=' },
      { state: 'None + Pending Out', yes: true, after: 'None' },
      { state: 'None + Pending In', yes: false, after: '=' },
      { state: 'None + Pending Out/In', yes: true, after: 'None + Pending In' },
      { state: 'To', yes: true, after: 'None' },
      { state: 'To + Pending In', yes: true, after: 'None + Pending In' },
      { state: 'From', yes: false, after: '=' },
      { state: 'From + Pending Out', yes: true, after: 'From' },
      { state: 'Both', yes: true, after: 'From' },
    ],
  },
};

describe('RFC 6121 A.3: inbound subscription stanzas (a contact sends to the user)', () => {
  for (const [type, { section, rows }] of Object.entries(INBOUND) as Array<
    [SubType, (typeof INBOUND)[SubType]]
  >) {
    for (const row of rows) {
      const name = `${section}: ${type} in "${row.state}" ${row.yes ? 'is delivered' : 'is not delivered'}, ${
        row.after === '=' ? 'no state change' : `-> "${row.after}"`
      }`;
      it(name, async () => {
        await h.setItem(ALICE, BOB, STATES[row.state]!);
        // As bob's partition forwards it: from bob's bare JID to alice's.
        h.routeIn(`<presence xmlns='jabber:client' from='${BOB}' to='${ALICE}' type='${type}'/>`);
        const delivered = await alice.drain();
        const routed = h.takeRouted();
        await check(row, type, delivered, routed);
        const presence = delivered.filter((e) => e.name === 'presence').map(brief);
        expect(presence).toEqual(row.yes ? [`presence:${type} ${BOB} -> ${ALICE}`] : []);
        expect(routed.sort()).toEqual([...(row.also ?? [])].sort());
      });
    }
  }

  it('RFC 6121 3.1.3: a full-JID subscription request is handled for the bare JIDs', async () => {
    h.routeIn(
      `<presence xmlns='jabber:client' from='${BOB}/phone' to='${ALICE}/a' type='subscribe'/>`,
    );
    expect((await alice.drain()).map(brief)).toEqual([`presence:subscribe ${BOB} -> ${ALICE}`]);
    expect(stateOf(await h.item(ALICE, BOB))).toBe('None + Pending In');
  });

  it('RFC 6121 3.4: a subscription request from a pre-approved contact is approved by the server', async () => {
    await h.setItem(ALICE, BOB, { subscription: 'none', approved: true });
    h.routeIn(`<presence xmlns='jabber:client' from='${BOB}' to='${ALICE}' type='subscribe'/>`);
    const delivered = await alice.drain();
    const item = await h.item(ALICE, BOB);
    expect(stateOf(item)).toBe('From');
    expect(item?.approved).toBeUndefined();
    expect(delivered.filter((e) => e.name === 'presence')).toEqual([]);
    expect(pushes(delivered).map(visible)).toEqual(['from']);
    expect(h.takeRouted().sort()).toEqual(
      [`presence ${A} -> ${BOB}`, `presence:subscribed ${ALICE} -> ${BOB}`].sort(),
    );
  });
});

describe('RFC 6121 3.1: a whole subscription handshake between two local users', () => {
  it('RFC 6121 3.1.2-3.1.6: request, approval, presence; both rosters end in "To"/"From" and each side is pushed', async () => {
    const bob = await h.online(BOB, 'b');
    alice.send(`<presence xmlns='jabber:client' to='${BOB}' type='subscribe'/>`);
    expect(pushes(await alice.drain()).map(visible)).toEqual(['none ask=subscribe']);
    expect((await bob.drain()).map(brief)).toEqual([`presence:subscribe ${ALICE} -> ${BOB}`]);

    bob.send(`<presence xmlns='jabber:client' to='${ALICE}' type='subscribed'/>`);
    const toBob = await bob.drain();
    expect(pushes(toBob).map(visible)).toEqual(['from']);
    const toAlice = await alice.drain();
    expect(pushes(toAlice).map(visible)).toEqual(['to']);
    expect(toAlice.filter((e) => e.name === 'presence').map(brief)).toEqual([
      `presence:subscribed ${BOB} -> ${ALICE}`,
      `presence ${BOB}/b -> ${ALICE}`, // bob's current presence (3.1.5)
    ]);
    expect(stateOf(await h.item(ALICE, BOB))).toBe('To');
    expect(stateOf(await h.item(BOB, ALICE))).toBe('From');
  });
});
