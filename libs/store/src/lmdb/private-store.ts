import type { PrivateStore } from '../contracts.js';
import { checkPrivateKey, checkXml } from '../shared/blob-validate.js';
import { checkJid } from '../shared/validate.js';
import type { LmdbEnv } from './env.js';
import { checkKeySize } from './keys.js';
import { prefixRange, removePrefix } from './range.js';

/** private-xml: [owner, namespace, name] -> serialized element; one owner is one range. */
export class LmdbPrivateStore implements PrivateStore {
  constructor(private readonly env: LmdbEnv) {}

  async get(owner: string, name: string, ns: string): Promise<string | undefined> {
    checkPrivateKey(owner, name, ns);
    checkKeySize(owner, ns, name);
    return this.env.read('privateXml.get', (snapshot) =>
      this.env.dbs.privateXml.get([owner, ns, name], snapshot),
    );
  }

  async set(owner: string, name: string, ns: string, xml: string): Promise<void> {
    checkPrivateKey(owner, name, ns);
    checkKeySize(owner, ns, name);
    checkXml(xml);
    await this.env.write('privateXml.set', () => {
      void this.env.dbs.privateXml.put([owner, ns, name], xml);
    });
  }

  async usage(owner: string): Promise<number> {
    checkJid(owner, 'owner');
    checkKeySize(owner);
    return this.env.read('privateXml.usage', (snapshot) => {
      let total = 0;
      const range = this.env.dbs.privateXml.getRange({ ...snapshot, ...prefixRange([owner]) });
      for (const { value } of range) total += Buffer.byteLength(value);
      return total;
    });
  }

  async deleteAll(owner: string): Promise<void> {
    checkJid(owner, 'owner');
    checkKeySize(owner);
    await this.env.write('privateXml.deleteAll', () => {
      removePrefix(this.env.dbs.privateXml, [owner]);
    });
  }
}
