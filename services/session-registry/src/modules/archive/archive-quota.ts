/**
 * The per-account archive quota (`quotas.archiveMaxMessages`,
 * docs/security.md): an account's archive keeps its newest messages; the
 * oldest beyond the limit are deleted. New messages are always archived and
 * always delivered: the archive is a history for syncing devices, whose
 * newest part matters most, and refusing to archive would lose exactly
 * that. Trimming runs once every 1% of the limit per account (so an archive
 * holds at most the limit plus that step), after the message was archived;
 * a failed trim is logged and changes nothing else.
 */
import type { AccountCache } from '../../account-cache.js';
import type { ModuleContext } from '../types.js';

export class ArchiveQuota {
  /** Messages archived per account since its last trim (within this partition owner). */
  private readonly since: AccountCache<number>;

  constructor(private readonly ctx: ModuleContext) {
    this.since = ctx.accountCache<number>();
  }

  /** After a message was added to `owner`'s archive. Never throws. */
  async archived(owner: string): Promise<void> {
    const max = this.ctx.config.quotas.archiveMaxMessages;
    if (max === 0) return;
    const step = Math.max(1, Math.ceil(max / 100));
    // An account seen for the first time starts at a random point of the step, so
    // the accounts of a partition that just moved are not all trimmed at once.
    const n = (this.since.get(owner) ?? Math.floor(Math.random() * step)) + 1;
    if (n < step) {
      this.since.set(owner, n);
      return;
    }
    this.since.set(owner, 0);
    try {
      const removed = await this.ctx.stores.archive.trim(owner, max);
      if (removed > 0)
        this.ctx.logger.info('archive trimmed to its quota', { owner, removed, max });
    } catch (err) {
      this.ctx.logger.warn('archive trim failed', { owner, err });
    }
  }
}
