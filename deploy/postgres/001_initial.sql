-- Parley schema, version 1. Applied by `xmppctl postgres migrate` inside one
-- transaction with search_path set to the configured schema, so names here
-- are unqualified. Never edit an applied file: add NNN_next.sql instead.
--
-- Keys are normalized JIDs compared byte for byte: every key column is
-- COLLATE "C", so ORDER BY and range conditions follow UTF-8 byte order
-- (= code point order), whatever the database's default collation.
-- Times are ms since the epoch as double precision (any JS number round-trips).

CREATE TABLE accounts (
  jid          text COLLATE "C" PRIMARY KEY,
  domain       text COLLATE "C" NOT NULL,
  credentials  jsonb NOT NULL,
  created_at   double precision NOT NULL,
  banned       boolean
);
CREATE INDEX accounts_by_domain ON accounts (domain, jid);

-- count() without a scan: per-domain deltas spread over 16 rows per domain
-- (a writer picks one at random), so concurrent registrations never queue
-- on one hot row. count(domain) sums at most 16 rows.
CREATE TABLE account_counts (
  domain  text COLLATE "C" NOT NULL,
  shard   smallint NOT NULL,
  n       bigint NOT NULL,
  PRIMARY KEY (domain, shard)
);

CREATE TABLE roster_items (
  owner    text COLLATE "C" NOT NULL,
  contact  text COLLATE "C" NOT NULL,
  item     jsonb NOT NULL,
  PRIMARY KEY (owner, contact)
);
-- The roster version (XEP-0237) survives deleteAll, so it never goes back.
CREATE TABLE roster_versions (
  owner    text COLLATE "C" PRIMARY KEY,
  version  bigint NOT NULL
);

-- One row per owner: the last sequence number handed out (kept when the
-- queue empties, so ids never repeat) and the number queued (the cap check).
CREATE TABLE offline_queues (
  owner     text COLLATE "C" PRIMARY KEY,
  last_seq  bigint NOT NULL,
  queued    integer NOT NULL
);
CREATE TABLE offline_messages (
  owner  text COLLATE "C" NOT NULL,
  seq    bigint NOT NULL,
  ts     double precision NOT NULL,
  xml    text NOT NULL,
  PRIMARY KEY (owner, seq)
);
CREATE INDEX offline_messages_by_ts ON offline_messages (ts);

CREATE TABLE last_activity (
  jid     text COLLATE "C" PRIMARY KEY,
  ts      double precision NOT NULL,
  status  text
);

CREATE TABLE blocklist_items (
  owner  text COLLATE "C" NOT NULL,
  jid    text COLLATE "C" NOT NULL,
  PRIMARY KEY (owner, jid)
);

-- Message archive (XEP-0313) of users and rooms. Pages are index range
-- scans: (archive, id) for plain and id-bounded pages, (archive, with_jid,
-- id) for `with` queries, (archive, ts) for time ranges. Expiry across all
-- archives uses a BRIN index on ts (rows arrive roughly in time order; a
-- BRIN index costs almost nothing to maintain).
CREATE TABLE archive_messages (
  archive        text COLLATE "C" NOT NULL,
  id             text COLLATE "C" NOT NULL,
  ts             double precision NOT NULL,
  with_jid       text COLLATE "C" NOT NULL,
  with_resource  text COLLATE "C",
  xml            text NOT NULL,
  PRIMARY KEY (archive, id)
);
CREATE INDEX archive_messages_by_with ON archive_messages (archive, with_jid, id);
CREATE INDEX archive_messages_by_ts ON archive_messages (archive, ts);
CREATE INDEX archive_messages_ts_brin ON archive_messages USING brin (ts);

-- Archives holding a message whose id does not encode its time (ids not
-- made by newArchiveId at the message's time, e.g. imported). In every
-- other archive, time bounds are also id bounds, so a time-range page is a
-- range scan of the primary key.
CREATE TABLE archive_mixed (
  archive  text COLLATE "C" PRIMARY KEY
);

CREATE TABLE archive_prefs (
  archive  text COLLATE "C" PRIMARY KEY,
  prefs    jsonb NOT NULL
);

CREATE TABLE rooms (
  jid         text COLLATE "C" PRIMARY KEY,
  domain      text COLLATE "C" NOT NULL,
  created_at  double precision NOT NULL,
  config      jsonb NOT NULL,
  subject     jsonb
);
CREATE INDEX rooms_by_domain ON rooms (domain, jid);

CREATE TABLE room_affiliations (
  room         text COLLATE "C" NOT NULL,
  jid          text COLLATE "C" NOT NULL,
  affiliation  text NOT NULL,
  reason       text,
  nick         text,
  PRIMARY KEY (room, jid)
);

-- Publish-subscribe (XEP-0060) and PEP (XEP-0163). A node's rows go with it
-- (ON DELETE CASCADE); last_seq orders its items by publication.
CREATE TABLE pubsub_nodes (
  service     text COLLATE "C" NOT NULL,
  node        text COLLATE "C" NOT NULL,
  config      jsonb NOT NULL,
  created_at  double precision NOT NULL,
  last_seq    bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (service, node)
);
CREATE TABLE pubsub_items (
  service    text COLLATE "C" NOT NULL,
  node       text COLLATE "C" NOT NULL,
  item_id    text COLLATE "C" NOT NULL,
  seq        bigint NOT NULL,
  publisher  text NOT NULL,
  ts         double precision NOT NULL,
  payload    text NOT NULL,
  PRIMARY KEY (service, node, item_id),
  FOREIGN KEY (service, node) REFERENCES pubsub_nodes ON DELETE CASCADE
);
CREATE INDEX pubsub_items_by_seq ON pubsub_items (service, node, seq);
CREATE TABLE pubsub_subscriptions (
  service  text COLLATE "C" NOT NULL,
  node     text COLLATE "C" NOT NULL,
  jid      text COLLATE "C" NOT NULL,
  subid    text COLLATE "C" NOT NULL,
  state    text NOT NULL,
  options  jsonb,
  PRIMARY KEY (service, node, jid, subid),
  FOREIGN KEY (service, node) REFERENCES pubsub_nodes ON DELETE CASCADE
);
CREATE INDEX pubsub_subscriptions_by_jid ON pubsub_subscriptions (service, jid, node, subid);
CREATE TABLE pubsub_affiliations (
  service      text COLLATE "C" NOT NULL,
  node         text COLLATE "C" NOT NULL,
  jid          text COLLATE "C" NOT NULL,
  affiliation  text NOT NULL,
  PRIMARY KEY (service, node, jid),
  FOREIGN KEY (service, node) REFERENCES pubsub_nodes ON DELETE CASCADE
);

CREATE TABLE vcards (
  jid  text COLLATE "C" PRIMARY KEY,
  xml  text NOT NULL
);

-- Element name and namespace are UTF-8 bytes: any string is a valid key
-- (text cannot hold U+0000).
CREATE TABLE private_xml (
  owner  text COLLATE "C" NOT NULL,
  ns     bytea NOT NULL,
  name   bytea NOT NULL,
  xml    text NOT NULL,
  PRIMARY KEY (owner, ns, name)
);
