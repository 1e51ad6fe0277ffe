import type { LastActivity, LastActivityStore } from '../contracts.js';
import type { Lifecycle } from '../shared/lifecycle.js';
import { checkJid, checkTimestamp } from '../shared/validate.js';
import { copyRecord } from './copy.js';

export class MemoryLastActivityStore implements LastActivityStore {
  private readonly activity = new Map<string, LastActivity>();

  constructor(private readonly life: Lifecycle) {}

  async set(jid: string, activity: LastActivity): Promise<void> {
    this.life.assertOpen();
    checkJid(jid);
    checkTimestamp(activity.ts, 'activity.ts');
    this.activity.set(jid, copyRecord(activity));
  }

  async get(jid: string): Promise<LastActivity | undefined> {
    this.life.assertOpen();
    checkJid(jid);
    const activity = this.activity.get(jid);
    return activity && copyRecord(activity);
  }

  async delete(jid: string): Promise<void> {
    this.life.assertOpen();
    checkJid(jid);
    this.activity.delete(jid);
  }
}
