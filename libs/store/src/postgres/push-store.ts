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
import type { PgSession } from './session.js';

interface RegistrationRow {
  jid: string;
  node: string;
  options: Record<string, string[]>;
  enabled_by: string;
  created_at: string;
}

/** `push_registrations`: one row per (owner, jid, node). */
export class PostgresPushRegistrationStore implements PushRegistrationStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const t = db.table('push_registrations');
    this.q = {
      list: `SELECT jid, node, options, enabled_by, created_at FROM ${t} WHERE owner = $1 ORDER BY jid, node`,
      put: `INSERT INTO ${t} (owner, jid, node, options, enabled_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (owner, jid, node) DO UPDATE SET options = excluded.options,
          enabled_by = excluded.enabled_by, created_at = excluded.created_at`,
      removeNode: `DELETE FROM ${t} WHERE owner = $1 AND jid = $2 AND node = $3`,
      removeJid: `DELETE FROM ${t} WHERE owner = $1 AND jid = $2`,
      deleteAll: `DELETE FROM ${t} WHERE owner = $1`,
    };
  }

  async list(owner: string): Promise<PushRegistration[]> {
    checkJid(owner, 'owner');
    const r = await this.db.run('pushRegistrations.list', (q) =>
      q.query<RegistrationRow>(this.q.list, [owner]),
    );
    return r.rows.map((row) =>
      registrationOf({
        jid: row.jid,
        node: row.node,
        options: row.options,
        enabledBy: row.enabled_by,
        createdAt: Number(row.created_at),
      }),
    );
  }

  async put(owner: string, reg: PushRegistration): Promise<void> {
    checkRegistration(owner, reg);
    const options = JSON.stringify(registrationOf(reg).options);
    await this.db.run('pushRegistrations.put', (q) =>
      q.query(this.q.put, [owner, reg.jid, reg.node, options, reg.enabledBy, reg.createdAt]),
    );
  }

  async remove(owner: string, jid: string, node?: string): Promise<number> {
    checkJid(owner, 'owner');
    checkJid(jid, 'jid');
    const r = await this.db.run('pushRegistrations.remove', (q) =>
      node === undefined
        ? q.query(this.q.removeJid, [owner, jid])
        : q.query(this.q.removeNode, [owner, jid, node]),
    );
    return r.rowCount ?? 0;
  }

  async deleteAll(owner: string): Promise<void> {
    checkJid(owner, 'owner');
    await this.db.run('pushRegistrations.deleteAll', (q) => q.query(this.q.deleteAll, [owner]));
  }
}

interface DeviceRow {
  service: string;
  node: string;
  secret_hash: string;
  owner: string;
  device: string;
  app: string;
  token: string;
  created_at: string;
}

const COLUMNS = 'service, node, secret_hash, owner, device, app, token, created_at';

function fromRow(row: DeviceRow): PushDevice {
  return deviceOf({
    service: row.service,
    node: row.node,
    secretHash: row.secret_hash,
    owner: row.owner,
    device: row.device,
    app: row.app,
    token: row.token,
    createdAt: Number(row.created_at),
  });
}

/** `push_devices`: one row per (service, node), indexed by owner. */
export class PostgresPushDeviceStore implements PushDeviceStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const t = db.table('push_devices');
    this.q = {
      get: `SELECT ${COLUMNS} FROM ${t} WHERE service = $1 AND node = $2`,
      listByOwner: `SELECT ${COLUMNS} FROM ${t} WHERE owner = $1 ORDER BY service, node`,
      put: `INSERT INTO ${t} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (service, node) DO UPDATE SET secret_hash = excluded.secret_hash,
          owner = excluded.owner, device = excluded.device, app = excluded.app,
          token = excluded.token, created_at = excluded.created_at`,
      delete: `DELETE FROM ${t} WHERE service = $1 AND node = $2`,
      deleteAll: `DELETE FROM ${t} WHERE owner = $1`,
    };
  }

  async get(service: string, node: string): Promise<PushDevice | undefined> {
    checkDeviceKey(service, node);
    const r = await this.db.run('pushDevices.get', (q) =>
      q.query<DeviceRow>(this.q.get, [service, node]),
    );
    return r.rows[0] && fromRow(r.rows[0]);
  }

  async listByOwner(owner: string): Promise<PushDevice[]> {
    checkJid(owner, 'owner');
    const r = await this.db.run('pushDevices.listByOwner', (q) =>
      q.query<DeviceRow>(this.q.listByOwner, [owner]),
    );
    return r.rows.map(fromRow);
  }

  async put(d: PushDevice): Promise<void> {
    checkDevice(d);
    await this.db.run('pushDevices.put', (q) =>
      q.query(this.q.put, [
        d.service,
        d.node,
        d.secretHash,
        d.owner,
        d.device,
        d.app,
        d.token,
        d.createdAt,
      ]),
    );
  }

  async delete(service: string, node: string): Promise<boolean> {
    checkDeviceKey(service, node);
    const r = await this.db.run('pushDevices.delete', (q) =>
      q.query(this.q.delete, [service, node]),
    );
    return (r.rowCount ?? 0) > 0;
  }

  async deleteAll(owner: string): Promise<void> {
    checkJid(owner, 'owner');
    await this.db.run('pushDevices.deleteAll', (q) => q.query(this.q.deleteAll, [owner]));
  }
}
