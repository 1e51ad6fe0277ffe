import type { PrivateStore } from '../contracts.js';
import type { Lifecycle } from '../shared/lifecycle.js';
import { checkPrivateKey, checkXml } from '../shared/blob-validate.js';
import { checkJid } from '../shared/validate.js';

export class MemoryPrivateStore implements PrivateStore {
  /** owner -> JSON [ns, name] -> xml */
  private readonly owners = new Map<string, Map<string, string>>();

  constructor(private readonly life: Lifecycle) {}

  async get(owner: string, name: string, ns: string): Promise<string | undefined> {
    this.life.assertOpen();
    checkPrivateKey(owner, name, ns);
    return this.owners.get(owner)?.get(JSON.stringify([ns, name]));
  }

  async set(owner: string, name: string, ns: string, xml: string): Promise<void> {
    this.life.assertOpen();
    checkPrivateKey(owner, name, ns);
    checkXml(xml);
    let entries = this.owners.get(owner);
    if (!entries) this.owners.set(owner, (entries = new Map()));
    entries.set(JSON.stringify([ns, name]), xml);
  }

  async usage(owner: string): Promise<number> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    let total = 0;
    for (const xml of this.owners.get(owner)?.values() ?? []) total += Buffer.byteLength(xml);
    return total;
  }

  async deleteAll(owner: string): Promise<void> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    this.owners.delete(owner);
  }
}
