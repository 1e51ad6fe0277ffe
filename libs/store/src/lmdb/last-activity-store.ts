import type { LastActivity, LastActivityStore } from '../contracts.js';
import { withoutUndefined } from '../shared/record-values.js';
import { checkJid, checkTimestamp } from '../shared/validate.js';
import type { LmdbEnv } from './env.js';
import { checkKeySize } from './keys.js';

/** last-activity: jid -> LastActivity. */
export class LmdbLastActivityStore implements LastActivityStore {
  constructor(private readonly env: LmdbEnv) {}

  async set(jid: string, activity: LastActivity): Promise<void> {
    checkKey(jid);
    checkTimestamp(activity.ts, 'activity.ts');
    const record = withoutUndefined(activity);
    await this.env.write('lastActivity.set', () => {
      void this.env.dbs.lastActivity.put(jid, record);
    });
  }

  async get(jid: string): Promise<LastActivity | undefined> {
    checkKey(jid);
    return this.env.read('lastActivity.get', (snapshot) =>
      this.env.dbs.lastActivity.get(jid, snapshot),
    );
  }

  async delete(jid: string): Promise<void> {
    checkKey(jid);
    await this.env.write('lastActivity.delete', () => {
      void this.env.dbs.lastActivity.remove(jid);
    });
  }
}

function checkKey(jid: string): void {
  checkJid(jid);
  checkKeySize(jid);
}
