-- Offline queues bounded in bytes as well as in messages (offline.maxBytesPerUser,
-- issue 15): each queue row keeps the bytes (octet_length of the UTF-8 text) of the
-- messages it holds, moved by every push and removal. Filled in for existing queues.

ALTER TABLE offline_queues ADD COLUMN queued_bytes bigint NOT NULL DEFAULT 0;

UPDATE offline_queues q SET queued_bytes = coalesce(
  (SELECT sum(octet_length(m.xml)) FROM offline_messages m WHERE m.owner = q.owner), 0);
