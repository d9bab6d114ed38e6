-- Wallet approvals (oidc.ApprovalStore): a login waiting for its second
-- factor (kind 'login', one per interaction) and an RFC 8628 device
-- authorization (kind 'device'). The short approval code the resident
-- reads or scans and the device code the relying party polls with are
-- stored only as SHA-256 hashes. request and decision are the provider's
-- JSON. Times are Unix microseconds (UTC), 0 meaning "not yet" for
-- decided_at and last_polled_at; poll_interval is in seconds.
CREATE TABLE oidc_approvals (
	id               TEXT    NOT NULL PRIMARY KEY,
	kind             TEXT    NOT NULL,
	client_id        TEXT    NOT NULL,
	code_hash        BLOB    NOT NULL UNIQUE,
	device_code_hash BLOB    NOT NULL,
	interaction_id   TEXT    NOT NULL,
	resident_id      TEXT    NOT NULL,
	request          BLOB    NOT NULL,
	challenge        BLOB    NOT NULL,
	status           TEXT    NOT NULL,
	decision         BLOB    NOT NULL,
	grant_id         TEXT    NOT NULL,
	poll_interval    INTEGER NOT NULL,
	last_polled_at   INTEGER NOT NULL,
	created_at       INTEGER NOT NULL,
	expires_at       INTEGER NOT NULL,
	decided_at       INTEGER NOT NULL,
	version          INTEGER NOT NULL
) STRICT;

-- A device code finds its approval; a login interaction has at most one.
CREATE UNIQUE INDEX oidc_approvals_device_code ON oidc_approvals (device_code_hash) WHERE kind = 'device';
CREATE UNIQUE INDEX oidc_approvals_interaction ON oidc_approvals (interaction_id) WHERE kind = 'login';
CREATE INDEX oidc_approvals_expires_at ON oidc_approvals (expires_at);
