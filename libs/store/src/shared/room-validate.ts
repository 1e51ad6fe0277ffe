import type { RoomAffiliationItem, StoredRoom } from '../contracts.js';
import { StoreError } from '../errors.js';
import { checkJid, checkTimestamp } from './validate.js';

const AFFILIATIONS = new Set(['owner', 'admin', 'member', 'outcast', 'none']);

export function checkRoom(room: StoredRoom): void {
  checkJid(room.jid, 'room.jid');
  checkTimestamp(room.createdAt, 'room.createdAt');
  if (typeof room.config !== 'object' || room.config === null) {
    throw new StoreError('invalid-argument', 'room.config must be an object');
  }
}

export function checkRoomAffiliation(
  item: RoomAffiliationItem | { jid: string; affiliation: 'none' },
): void {
  checkJid(item.jid, 'affiliation jid');
  if (!AFFILIATIONS.has(item.affiliation)) {
    throw new StoreError(
      'invalid-argument',
      `unknown room affiliation ${String(item.affiliation)}`,
    );
  }
}
