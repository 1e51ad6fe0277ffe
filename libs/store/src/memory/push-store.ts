import type {
  PushDevice,
  PushDeviceStore,
  PushRegistration,
  PushRegistrationStore,
} from '../push-contracts.js';
import { compareCodePoints } from '../shared/jid-order.js';
import type { Lifecycle } from '../shared/lifecycle.js';
import {
  checkDevice,
  checkDeviceKey,
  checkRegistration,
  deviceOf,
  registrationOf,
} from '../shared/push-validate.js';
import { checkJid } from '../shared/validate.js';

const key = (a: string, b: string) => JSON.stringify([a, b]);
const byJidNode = (a: PushRegistration, b: PushRegistration) =>
  compareCodePoints(a.jid, b.jid) || compareCodePoints(a.node, b.node);

export class MemoryPushRegistrationStore implements PushRegistrationStore {
  /** owner -> JSON [jid, node] -> registration */
  private readonly owners = new Map<string, Map<string, PushRegistration>>();

  constructor(private readonly life: Lifecycle) {}

  async list(owner: string): Promise<PushRegistration[]> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    return [...(this.owners.get(owner)?.values() ?? [])].map(registrationOf).sort(byJidNode);
  }

  async put(owner: string, registration: PushRegistration): Promise<void> {
    this.life.assertOpen();
    checkRegistration(owner, registration);
    let regs = this.owners.get(owner);
    if (!regs) this.owners.set(owner, (regs = new Map()));
    regs.set(key(registration.jid, registration.node), registrationOf(registration));
  }

  async remove(owner: string, jid: string, node?: string): Promise<number> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    checkJid(jid, 'jid');
    const regs = this.owners.get(owner);
    if (!regs) return 0;
    let n = 0;
    for (const [k, r] of regs)
      if (r.jid === jid && (node === undefined || r.node === node)) {
        regs.delete(k);
        n++;
      }
    if (regs.size === 0) this.owners.delete(owner);
    return n;
  }

  async deleteAll(owner: string): Promise<void> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    this.owners.delete(owner);
  }
}

export class MemoryPushDeviceStore implements PushDeviceStore {
  private readonly devices = new Map<string, PushDevice>();

  constructor(private readonly life: Lifecycle) {}

  async get(service: string, node: string): Promise<PushDevice | undefined> {
    this.life.assertOpen();
    checkDeviceKey(service, node);
    const d = this.devices.get(key(service, node));
    return d && deviceOf(d);
  }

  async listByOwner(owner: string): Promise<PushDevice[]> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    return [...this.devices.values()]
      .filter((d) => d.owner === owner)
      .map(deviceOf)
      .sort((a, b) => compareCodePoints(a.service, b.service) || compareCodePoints(a.node, b.node));
  }

  async put(device: PushDevice): Promise<void> {
    this.life.assertOpen();
    checkDevice(device);
    this.devices.set(key(device.service, device.node), deviceOf(device));
  }

  async delete(service: string, node: string): Promise<boolean> {
    this.life.assertOpen();
    checkDeviceKey(service, node);
    return this.devices.delete(key(service, node));
  }

  async deleteAll(owner: string): Promise<void> {
    this.life.assertOpen();
    checkJid(owner, 'owner');
    for (const [k, d] of this.devices) if (d.owner === owner) this.devices.delete(k);
  }
}
