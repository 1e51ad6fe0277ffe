import type {
  PushDevice,
  PushDeviceStore,
  PushRegistration,
  PushRegistrationStore,
} from '../push-contracts.js';
import {
  checkDevice,
  checkDeviceKey,
  checkRegistration,
  deviceOf,
  registrationOf,
} from '../shared/push-validate.js';
import { checkJid } from '../shared/validate.js';
import type { LmdbEnv } from './env.js';
import { asTuple, checkKeySize } from './keys.js';
import { prefixRange, removePrefix } from './range.js';

/**
 * push-registrations: [owner, jid, node] -> PushRegistration. One owner is
 * one range, already ordered by jid then node.
 */
export class LmdbPushRegistrationStore implements PushRegistrationStore {
  constructor(private readonly env: LmdbEnv) {}

  async list(owner: string): Promise<PushRegistration[]> {
    checkJid(owner, 'owner');
    checkKeySize(owner);
    return this.env.read('pushRegistrations.list', (snapshot) =>
      Array.from(
        this.env.dbs.pushRegistrations.getRange({ ...snapshot, ...prefixRange([owner]) }),
        ({ value }) => registrationOf(value),
      ),
    );
  }

  async put(owner: string, registration: PushRegistration): Promise<void> {
    checkRegistration(owner, registration);
    checkKeySize(owner, registration.jid, registration.node);
    await this.env.write('pushRegistrations.put', () => {
      void this.env.dbs.pushRegistrations.put(
        [owner, registration.jid, registration.node],
        registrationOf(registration),
      );
    });
  }

  async remove(owner: string, jid: string, node?: string): Promise<number> {
    checkJid(owner, 'owner');
    checkJid(jid, 'jid');
    checkKeySize(owner, jid, node ?? '');
    const db = this.env.dbs.pushRegistrations;
    return this.env.write('pushRegistrations.remove', () => {
      if (node === undefined) return removePrefix(db, [owner, jid]);
      if (db.get([owner, jid, node]) === undefined) return 0;
      void db.remove([owner, jid, node]);
      return 1;
    });
  }

  async deleteAll(owner: string): Promise<void> {
    checkJid(owner, 'owner');
    checkKeySize(owner);
    await this.env.write('pushRegistrations.deleteAll', () => {
      removePrefix(this.env.dbs.pushRegistrations, [owner]);
    });
  }
}

/**
 * push-devices: [service, node] -> PushDevice; push-devices-by-owner:
 * [owner, service, node] -> true, written in the same transaction.
 */
export class LmdbPushDeviceStore implements PushDeviceStore {
  constructor(private readonly env: LmdbEnv) {}

  async get(service: string, node: string): Promise<PushDevice | undefined> {
    checkDeviceKey(service, node);
    checkKeySize(service, node);
    const d = await this.env.read('pushDevices.get', (snapshot) =>
      this.env.dbs.pushDevices.get([service, node], snapshot),
    );
    return d && deviceOf(d);
  }

  async listByOwner(owner: string): Promise<PushDevice[]> {
    checkJid(owner, 'owner');
    checkKeySize(owner);
    const { pushDevices, pushDevicesByOwner } = this.env.dbs;
    return this.env.read('pushDevices.listByOwner', (snapshot) => {
      const out: PushDevice[] = [];
      for (const k of pushDevicesByOwner.getKeys({ ...snapshot, ...prefixRange([owner]) })) {
        const [, service, node] = asTuple<[string, string, string]>(
          k,
          'sss',
          'push-devices-by-owner',
        );
        const d = pushDevices.get([service, node], snapshot);
        if (d) out.push(deviceOf(d));
      }
      return out;
    });
  }

  async put(device: PushDevice): Promise<void> {
    checkDevice(device);
    checkKeySize(device.owner, device.service, device.node);
    const { pushDevices, pushDevicesByOwner } = this.env.dbs;
    await this.env.write('pushDevices.put', () => {
      const old = pushDevices.get([device.service, device.node]);
      if (old) void pushDevicesByOwner.remove([old.owner, old.service, old.node]);
      void pushDevices.put([device.service, device.node], deviceOf(device));
      void pushDevicesByOwner.put([device.owner, device.service, device.node], true);
    });
  }

  async delete(service: string, node: string): Promise<boolean> {
    checkDeviceKey(service, node);
    checkKeySize(service, node);
    const { pushDevices, pushDevicesByOwner } = this.env.dbs;
    return this.env.write('pushDevices.delete', () => {
      const old = pushDevices.get([service, node]);
      if (!old) return false;
      void pushDevices.remove([service, node]);
      void pushDevicesByOwner.remove([old.owner, service, node]);
      return true;
    });
  }

  async deleteAll(owner: string): Promise<void> {
    checkJid(owner, 'owner');
    checkKeySize(owner);
    const { pushDevices, pushDevicesByOwner } = this.env.dbs;
    await this.env.write('pushDevices.deleteAll', () => {
      for (const k of Array.from(pushDevicesByOwner.getKeys(prefixRange([owner])))) {
        const [, service, node] = asTuple<[string, string, string]>(
          k,
          'sss',
          'push-devices-by-owner',
        );
        void pushDevices.remove([service, node]);
        void pushDevicesByOwner.remove(k);
      }
    });
  }
}
