import type { VcardStore } from '../contracts.js';
import { checkXml } from '../shared/blob-validate.js';
import { checkJid } from '../shared/validate.js';
import type { LmdbEnv } from './env.js';
import { checkKeySize } from './keys.js';

/** vcards: jid -> serialized vCard. */
export class LmdbVcardStore implements VcardStore {
  constructor(private readonly env: LmdbEnv) {}

  async get(jid: string): Promise<string | undefined> {
    checkKey(jid);
    return this.env.read('vcards.get', (snapshot) => this.env.dbs.vcards.get(jid, snapshot));
  }

  async set(jid: string, xml: string): Promise<void> {
    checkKey(jid);
    checkXml(xml);
    await this.env.write('vcards.set', () => {
      void this.env.dbs.vcards.put(jid, xml);
    });
  }

  async delete(jid: string): Promise<void> {
    checkKey(jid);
    await this.env.write('vcards.delete', () => {
      void this.env.dbs.vcards.remove(jid);
    });
  }
}

function checkKey(jid: string): void {
  checkJid(jid);
  checkKeySize(jid);
}
