import type { VcardStore } from '../contracts.js';
import type { Lifecycle } from '../shared/lifecycle.js';
import { checkXml } from '../shared/blob-validate.js';
import { checkJid } from '../shared/validate.js';

export class MemoryVcardStore implements VcardStore {
  private readonly vcards = new Map<string, string>();

  constructor(private readonly life: Lifecycle) {}

  async get(jid: string): Promise<string | undefined> {
    this.life.assertOpen();
    checkJid(jid);
    return this.vcards.get(jid);
  }

  async set(jid: string, xml: string): Promise<void> {
    this.life.assertOpen();
    checkJid(jid);
    checkXml(xml);
    this.vcards.set(jid, xml);
  }

  async delete(jid: string): Promise<void> {
    this.life.assertOpen();
    checkJid(jid);
    this.vcards.delete(jid);
  }
}
