-- XEP-0484 FAST tokens: per account and client (SHA-256 of its SASL2
-- user-agent id), the slots a token is derived from (never the token).

CREATE TABLE fast_tokens (
  jid      text COLLATE "C" NOT NULL,
  agent    text COLLATE "C" NOT NULL,
  current  jsonb,
  next     jsonb,
  PRIMARY KEY (jid, agent)
);
