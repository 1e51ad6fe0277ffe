import { describe, expect, it } from 'vitest';
import { capsVer } from '@parley/pubsub';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { CAPS_QUERY_PREFIX, CapsResolver } from './pep-caps.js';

const DISCO = 'http://jabber.org/protocol/disco#info';
const features = (...vars: string[]) =>
  parseXml(
    `<query xmlns='${DISCO}'><identity category='client' type='pc'/>${vars.map((v) => `<feature var='${v}'/>`).join('')}</query>`,
  );
const tuneQuery = features('urn:tune+notify', 'urn:tune', 'urn:geo+notify');
const ver = capsVer(tuneQuery);

function setup() {
  const sent: Element[] = [];
  let now = 0;
  const r = new CapsResolver(
    (el) => void sent.push(el),
    () => now,
  );
  const reply = (query: Element, from = 'bob@x/res', to = 0) => {
    const q = sent[to]!;
    return xml('iq', { type: 'result', id: q.attr('id'), from, to: q.attr('from') }, query);
  };
  return { r, sent, reply, advance: (ms: number) => void (now += ms) };
}

describe('CapsResolver', () => {
  it('asks a client once per ver and caches a verified answer for everyone', () => {
    const { r, sent, reply } = setup();
    const caps = { node: 'n', ver, hash: 'sha-1' };
    const got: string[][] = [];
    r.resolve('alice@x', 'bob@x/res', caps, (n) => void got.push([...n]));
    r.resolve('carol@x', 'dave@x/r', caps, (n) => void got.push([...n]));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.attrs).toMatchObject({ type: 'get', from: 'alice@x', to: 'bob@x/res' });
    expect(sent[0]!.attr('id')!.startsWith(CAPS_QUERY_PREFIX)).toBe(true);
    expect(sent[0]!.getChild('query', DISCO)!.attr('node')).toBe(`n#${ver}`);
    expect(r.answer(reply(tuneQuery))).toBe(true);
    expect(got).toEqual([
      ['urn:tune', 'urn:geo'],
      ['urn:tune', 'urn:geo'],
    ]);
    expect([...r.known(caps, 'someone@else/x')!]).toEqual(['urn:tune', 'urn:geo']);
  });

  it('trusts an answer that does not match its ver only for the client that gave it', () => {
    const { r, sent, reply } = setup();
    const caps = { node: 'n', ver: 'bogus=', hash: 'sha-1' };
    const got: string[] = [];
    r.resolve('alice@x', 'bob@x/res', caps, (n) => void got.push(`bob ${[...n]}`));
    r.resolve('alice@x', 'eve@x/res', caps, (n) => void got.push(`eve ${[...n]}`));
    r.answer(reply(tuneQuery));
    expect(got).toEqual(['bob urn:tune,urn:geo']);
    expect(r.known(caps, 'bob@x/res')).toBeDefined();
    expect(r.known(caps, 'eve@x/res')).toBeUndefined();
    // eve is asked herself.
    expect(sent.map((s) => s.attr('to'))).toEqual(['bob@x/res', 'eve@x/res']);
    r.answer(reply(features(), 'eve@x/res', 1));
    expect(got).toEqual(['bob urn:tune,urn:geo', 'eve ']);
  });

  it('ignores answers from another JID and unrelated ids; asks again after a timeout', () => {
    const { r, sent, reply, advance } = setup();
    const caps = { node: 'n', ver, hash: 'sha-1' };
    r.resolve('alice@x', 'bob@x/res', caps, () => {});
    expect(r.answer(reply(tuneQuery, 'mallory@x/r'))).toBe(true);
    expect(r.known(caps, 'bob@x/res')).toBeUndefined();
    expect(r.answer(parseXml("<iq type='result' id='other'/>"))).toBe(false);
    advance(31_000);
    r.resolve('alice@x', 'bob@x/res', caps, () => {});
    expect(sent).toHaveLength(2);
  });

  it('treats an error answer as no interest, without remembering it', () => {
    const { r, sent } = setup();
    const legacy = { node: 'n', ver: 'v' };
    let got: ReadonlySet<string> | undefined;
    r.resolve('alice@x', 'bob@x/res', legacy, (n) => void (got = n));
    r.answer(xml('iq', { type: 'error', id: sent[0]!.attr('id'), from: 'bob@x/res' }));
    expect(got?.size).toBe(0);
    expect(r.known(legacy, 'bob@x/res')).toBeUndefined();
  });
});
