import type { Row } from './session.js';
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
import type { CqlSession } from './session.js';
import { parseJson, requireString, toNumber } from './util.js';

/**
 * Table `push_registrations ((owner), jid, node)`: one partition per owner,
 * clustered by app server JID and node, so a listing comes back ordered and
 * removing every node of one JID is one range delete.
 */
export class CassandraPushRegistrationStore implements PushRegistrationStore {
  private readonly q: Record<
    'list' | 'listJid' | 'put' | 'removeNode' | 'removeJid' | 'deleteAll',
    string
  >;

  constructor(private readonly session: CqlSession) {
    const t = session.table('push_registrations');
    this.q = {
      list: `SELECT jid, node, options, enabled_by, created_at FROM ${t} WHERE owner = ?`,
      listJid: `SELECT node FROM ${t} WHERE owner = ? AND jid = ?`,
      put: `INSERT INTO ${t} (owner, jid, node, options, enabled_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
      removeNode: `DELETE FROM ${t} WHERE owner = ? AND jid = ? AND node = ?`,
      removeJid: `DELETE FROM ${t} WHERE owner = ? AND jid = ?`,
      deleteAll: `DELETE FROM ${t} WHERE owner = ?`,
    };
  }

  async list(owner: string): Promise<PushRegistration[]> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    const rows = await this.session.readAll('pushRegistrations.list', this.q.list, [owner]);
    return rows.map((row) =>
      registrationOf({
        jid: requireString(row.get('jid'), 'push_registrations.jid'),
        node: requireString(row.get('node'), 'push_registrations.node'),
        options: parseJson<Record<string, string[]>>(
          row.get('options'),
          'push_registrations.options',
        ),
        enabledBy: requireString(row.get('enabled_by'), 'push_registrations.enabled_by'),
        createdAt: toNumber(row.get('created_at'), 'push_registrations.created_at'),
      }),
    );
  }

  async put(owner: string, reg: PushRegistration): Promise<void> {
    this.session.life.assertOpen();
    checkRegistration(owner, reg);
    const options = JSON.stringify(registrationOf(reg).options);
    await this.session.write('pushRegistrations.put', this.q.put, [
      owner,
      reg.jid,
      reg.node,
      options,
      reg.enabledBy,
      reg.createdAt,
    ]);
  }

  async remove(owner: string, jid: string, node?: string): Promise<number> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    checkJid(jid, 'jid');
    // Counted first (a delete reports nothing); the owner's partition is written by one worker.
    const rows = await this.session.readAll('pushRegistrations.remove', this.q.listJid, [
      owner,
      jid,
    ]);
    const n = node === undefined ? rows.length : rows.filter((r) => r.get('node') === node).length;
    if (n === 0) return 0;
    if (node === undefined)
      await this.session.write('pushRegistrations.remove', this.q.removeJid, [owner, jid]);
    else
      await this.session.write('pushRegistrations.remove', this.q.removeNode, [owner, jid, node]);
    return n;
  }

  async deleteAll(owner: string): Promise<void> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    await this.session.write('pushRegistrations.deleteAll', this.q.deleteAll, [owner]);
  }
}

function deviceFrom(
  row: Row,
  table: string,
  key: { service?: string; owner?: string },
): PushDevice {
  return deviceOf({
    service: key.service ?? requireString(row.get('service'), `${table}.service`),
    node: requireString(row.get('node'), `${table}.node`),
    secretHash: requireString(row.get('secret_hash'), `${table}.secret_hash`),
    owner: key.owner ?? requireString(row.get('owner'), `${table}.owner`),
    device: requireString(row.get('device'), `${table}.device`),
    app: requireString(row.get('app'), `${table}.app`),
    token: requireString(row.get('token'), `${table}.token`),
    createdAt: toNumber(row.get('created_at'), `${table}.created_at`),
  });
}

/**
 * Tables `push_devices ((service, node))`, read on every push, and
 * `push_devices_by_owner ((owner), service, node)`, the same rows by
 * account; both are written by one logged batch, so they agree once it
 * applies.
 */
export class CassandraPushDeviceStore implements PushDeviceStore {
  private readonly q: Record<
    'get' | 'listByOwner' | 'put' | 'putByOwner' | 'delete' | 'deleteByOwner' | 'deleteAll',
    string
  >;

  constructor(private readonly session: CqlSession) {
    const t = session.table('push_devices');
    const o = session.table('push_devices_by_owner');
    this.q = {
      get: `SELECT node, secret_hash, owner, device, app, token, created_at FROM ${t} WHERE service = ? AND node = ?`,
      listByOwner: `SELECT service, node, secret_hash, device, app, token, created_at FROM ${o} WHERE owner = ?`,
      put: `INSERT INTO ${t} (service, node, secret_hash, owner, device, app, token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      putByOwner: `INSERT INTO ${o} (owner, service, node, secret_hash, device, app, token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      delete: `DELETE FROM ${t} WHERE service = ? AND node = ?`,
      deleteByOwner: `DELETE FROM ${o} WHERE owner = ? AND service = ? AND node = ?`,
      deleteAll: `DELETE FROM ${o} WHERE owner = ?`,
    };
  }

  async get(service: string, node: string): Promise<PushDevice | undefined> {
    this.session.life.assertOpen();
    checkDeviceKey(service, node);
    const [row] = await this.session.read('pushDevices.get', this.q.get, [service, node]);
    return row && deviceFrom(row, 'push_devices', { service });
  }

  async listByOwner(owner: string): Promise<PushDevice[]> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    const rows = await this.session.readAll('pushDevices.listByOwner', this.q.listByOwner, [owner]);
    return rows.map((row) => deviceFrom(row, 'push_devices_by_owner', { owner }));
  }

  async put(d: PushDevice): Promise<void> {
    this.session.life.assertOpen();
    checkDevice(d);
    const old = await this.get(d.service, d.node);
    const statements = [
      {
        query: this.q.put,
        params: [d.service, d.node, d.secretHash, d.owner, d.device, d.app, d.token, d.createdAt],
      },
      {
        query: this.q.putByOwner,
        params: [d.owner, d.service, d.node, d.secretHash, d.device, d.app, d.token, d.createdAt],
      },
    ];
    if (old !== undefined && old.owner !== d.owner)
      statements.push({ query: this.q.deleteByOwner, params: [old.owner, d.service, d.node] });
    await this.session.batch('pushDevices.put', statements, 'logged');
  }

  async delete(service: string, node: string): Promise<boolean> {
    this.session.life.assertOpen();
    checkDeviceKey(service, node);
    const old = await this.get(service, node);
    if (old === undefined) return false;
    await this.session.batch(
      'pushDevices.delete',
      [
        { query: this.q.delete, params: [service, node] },
        { query: this.q.deleteByOwner, params: [old.owner, service, node] },
      ],
      'logged',
    );
    return true;
  }

  async deleteAll(owner: string): Promise<void> {
    this.session.life.assertOpen();
    checkJid(owner, 'owner');
    const devices = await this.listByOwner(owner);
    for (const d of devices)
      await this.session.write('pushDevices.deleteAll', this.q.delete, [d.service, d.node]);
    await this.session.write('pushDevices.deleteAll', this.q.deleteAll, [owner]);
  }
}
