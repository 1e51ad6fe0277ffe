-- Registration invitations (XEP-0401, XEP-0445, XEP-0379): single-use
-- tokens; an invitation naming a username reserves it (the unique index)
-- until it is taken or expires.

CREATE TABLE invitations (
  token       text COLLATE "C" PRIMARY KEY,
  domain      text COLLATE "C" NOT NULL,
  inviter     text COLLATE "C",
  username    text COLLATE "C",
  register    boolean NOT NULL,
  subscribe   boolean NOT NULL,
  created_at  bigint NOT NULL,
  expires_at  bigint NOT NULL
);

CREATE UNIQUE INDEX invitations_username ON invitations (domain, username)
  WHERE username IS NOT NULL;
