import { describe, expect, it } from 'vitest';
import { parseXml } from '@parley/xml';
import { capsOf, capsVer, notifyNodes, verificationString, verifyCaps } from '../src/index.js';

// The two examples of XEP-0115 sections 5.2 and 5.3.
const simple = parseXml(`<query xmlns='http://jabber.org/protocol/disco#info'>
  <identity category='client' name='Exodus 0.9.1' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
</query>`);

const complex = parseXml(`<query xmlns='http://jabber.org/protocol/disco#info'>
  <identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>
  <identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>
  <feature var='http://jabber.org/protocol/caps'/>
  <feature var='http://jabber.org/protocol/disco#info'/>
  <feature var='http://jabber.org/protocol/disco#items'/>
  <feature var='http://jabber.org/protocol/muc'/>
  <x xmlns='jabber:x:data' type='result'>
    <field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>
    <field var='ip_version'><value>ipv4</value><value>ipv6</value></field>
    <field var='os'><value>Mac</value></field>
    <field var='os_version'><value>10.5.1</value></field>
    <field var='software'><value>Psi</value></field>
    <field var='software_version'><value>0.11</value></field>
  </x>
</query>`);

describe('XEP-0115 verification', () => {
  it('builds the verification string and ver of the simple example', () => {
    expect(verificationString(simple)).toBe(
      'client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<',
    );
    expect(capsVer(simple)).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('handles languages and extended forms (complex example)', () => {
    expect(capsVer(complex)).toBe('q07IKJEyjvHSyhy//CH0CxmKi8w=');
    expect(
      verifyCaps({ node: 'x', ver: 'q07IKJEyjvHSyhy//CH0CxmKi8w=', hash: 'sha-1' }, complex),
    ).toBe(true);
    expect(verifyCaps({ node: 'x', ver: 'poisoned', hash: 'sha-1' }, complex)).toBe(false);
    expect(verifyCaps({ node: 'x', ver: 'q07IKJEyjvHSyhy//CH0CxmKi8w=' }, complex)).toBe(false);
  });

  it('refuses ill-formed results (duplicate features)', () => {
    const dup = parseXml(
      `<query xmlns='http://jabber.org/protocol/disco#info'><feature var='a'/><feature var='a'/></query>`,
    );
    expect(verificationString(dup)).toBeUndefined();
  });

  it('reads caps from presence and +notify interests from a result', () => {
    const p = parseXml(
      `<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://psi-im.org' ver='abc='/></presence>`,
    );
    expect(capsOf(p)).toEqual({ node: 'http://psi-im.org', ver: 'abc=', hash: 'sha-1' });
    expect(capsOf(parseXml('<presence/>'))).toBeUndefined();
    const q = parseXml(
      `<query xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:tune+notify'/><feature var='urn:tune'/><feature var='eu.siacs.conversations.axolotl.devicelist+notify'/></query>`,
    );
    expect([...notifyNodes(q)]).toEqual(['urn:tune', 'eu.siacs.conversations.axolotl.devicelist']);
  });
});
