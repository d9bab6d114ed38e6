-- Operator tools (admin.Store): admin API tokens, the audit trail of admin
-- actions, and the indexes the statistics read by time. Times are Unix
-- microseconds (UTC); 0 means "not yet" for revoked_at.

-- An admin API token. Only a hash of its secret is kept (the token is shown
-- once). Two usable tokens cannot share a name, so that the audit trail's
-- admin names are unambiguous; a revoked token's name may be reused.
CREATE TABLE admin_tokens (
	id          TEXT    NOT NULL PRIMARY KEY,
	name        TEXT    NOT NULL,
	secret_hash BLOB    NOT NULL,
	created_at  INTEGER NOT NULL,
	revoked_at  INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX admin_tokens_usable_name ON admin_tokens (name) WHERE revoked_at = 0;

-- One admin action, by the admin API (channel "api", token_id set) or an
-- operator command (channel "command"), whatever its outcome. Rows are
-- never updated or deleted by netid.
CREATE TABLE admin_audit (
	id       TEXT    NOT NULL PRIMARY KEY,
	at       INTEGER NOT NULL,
	admin    TEXT    NOT NULL,
	token_id TEXT    NOT NULL,
	channel  TEXT    NOT NULL,
	action   TEXT    NOT NULL,
	target   TEXT    NOT NULL,
	outcome  TEXT    NOT NULL,
	detail   TEXT    NOT NULL
) STRICT;

CREATE INDEX admin_audit_at ON admin_audit (at, id);

-- The statistics (read at every /metrics scrape, cached 30 s) count from
-- indexes rather than from the tables, whose rows carry sealed data and
-- certificates. Measured on 100,000 seeded residents with certificates:
-- residents by status from about 270 ms to 25 ms on SQLite (145 ms to 35 ms
-- on PostgreSQL), residents holding a valid certificate from 1.2 s to 45 ms
-- (345 ms to 100 ms). Logins and completed enrolments per day are range
-- scans by time.
CREATE INDEX residents_status ON residents (status);
CREATE INDEX certificates_valid ON certificates (internet_number, not_after, not_before, revoked_at) WHERE revoked_at IS NULL;
CREATE INDEX disclosures_at ON disclosures (at);
CREATE INDEX internet_numbers_assigned_at ON internet_numbers (assigned_at);
