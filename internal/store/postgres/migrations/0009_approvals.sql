-- Wallet approvals (oidc.ApprovalStore): a login waiting for its second
-- factor (kind 'login', one per interaction) and an RFC 8628 device
-- authorization (kind 'device'). The short approval code the resident
-- reads or scans and the device code the relying party polls with are
-- stored only as SHA-256 hashes. request and decision are the provider's
-- JSON. Times are Unix microseconds (UTC) in BIGINT, 0 meaning "not yet"
-- for decided_at and last_polled_at; poll_interval is in seconds. Text
-- uses the "C" collation: bytewise, as on SQLite.
CREATE TABLE oidc_approvals (
	id                          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	kind                        TEXT COLLATE "C" NOT NULL,
	client_id                   TEXT COLLATE "C" NOT NULL,
	code_hash                   BYTEA            NOT NULL UNIQUE,
	device_code_hash            BYTEA            NOT NULL,
	interaction_id              TEXT COLLATE "C" NOT NULL,
	resident_id                 TEXT COLLATE "C" NOT NULL,
	request                     BYTEA            NOT NULL,
	challenge                   BYTEA            NOT NULL,
	status                      TEXT COLLATE "C" NOT NULL,
	decision                    BYTEA            NOT NULL,
	grant_id                    TEXT COLLATE "C" NOT NULL,
	poll_interval               BIGINT           NOT NULL,
	last_polled_at              BIGINT           NOT NULL,
	created_at                  BIGINT           NOT NULL,
	expires_at                  BIGINT           NOT NULL,
	decided_at                  BIGINT           NOT NULL,
	version                     BIGINT           NOT NULL
);

-- A device code finds its approval; a login interaction has at most one.
CREATE UNIQUE INDEX oidc_approvals_device_code ON oidc_approvals (device_code_hash) WHERE kind = 'device';
CREATE UNIQUE INDEX oidc_approvals_interaction ON oidc_approvals (interaction_id) WHERE kind = 'login';
CREATE INDEX oidc_approvals_expires_at ON oidc_approvals (expires_at);
