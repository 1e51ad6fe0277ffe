-- XEP-0357 Push Notifications: the app servers each account enabled, and
-- the devices registered on the built-in push service (push.<domain>).

CREATE TABLE push_registrations (
  owner       text COLLATE "C" NOT NULL,
  jid         text COLLATE "C" NOT NULL,
  node        text COLLATE "C" NOT NULL,
  options     jsonb NOT NULL,
  enabled_by  text NOT NULL,
  created_at  bigint NOT NULL,
  PRIMARY KEY (owner, jid, node)
);

CREATE TABLE push_devices (
  service      text COLLATE "C" NOT NULL,
  node         text COLLATE "C" NOT NULL,
  secret_hash  text NOT NULL,
  owner        text COLLATE "C" NOT NULL,
  device       text NOT NULL,
  app          text NOT NULL,
  token        text NOT NULL,
  created_at   bigint NOT NULL,
  PRIMARY KEY (service, node)
);
CREATE INDEX push_devices_by_owner ON push_devices (owner, service, node);
