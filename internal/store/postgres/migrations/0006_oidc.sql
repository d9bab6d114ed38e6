-- OpenID provider (rp.Store, oidc.Store): relying parties, login sessions,
-- interactions, remembered consents, grants and tokens, the pinned pairwise
-- key, and disclosures. Secrets, codes, tokens and session ids are stored
-- only as SHA-256 hashes. Lists are JSON arrays in TEXT; times are Unix
-- microseconds (UTC) in BIGINT, 0 meaning "not yet" for used_at and
-- revoked_at; booleans are 0 or 1 (the same SQL on both engines). Text uses
-- the "C" collation: bytewise, as on SQLite.

-- A registered relying party. version is the compare-and-set counter.
CREATE TABLE relying_parties (
	client_id                   TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	secret_hash                 BYTEA            NOT NULL,
	name                        TEXT COLLATE "C" NOT NULL,
	redirect_uris               TEXT COLLATE "C" NOT NULL,
	post_logout_redirect_uris   TEXT COLLATE "C" NOT NULL,
	sector                      TEXT COLLATE "C" NOT NULL,
	approved_claims             TEXT COLLATE "C" NOT NULL,
	may_receive_internet_number BIGINT           NOT NULL,
	shares_onward               BIGINT           NOT NULL,
	min_assurance               TEXT COLLATE "C" NOT NULL,
	status                      TEXT COLLATE "C" NOT NULL,
	created_at                  BIGINT           NOT NULL,
	updated_at                  BIGINT           NOT NULL,
	version                     BIGINT           NOT NULL
);

-- A login session; the browser holds the id, the table its hash.
CREATE TABLE oidc_sessions (
	id_hash                     BYTEA            NOT NULL PRIMARY KEY,
	resident_id                 TEXT COLLATE "C" NOT NULL,
	internet_number             TEXT COLLATE "C" NOT NULL,
	acr                         TEXT COLLATE "C" NOT NULL,
	amr                         TEXT COLLATE "C" NOT NULL,
	auth_time                   BIGINT           NOT NULL,
	created_at                  BIGINT           NOT NULL,
	expires_at                  BIGINT           NOT NULL
);

CREATE INDEX oidc_sessions_resident ON oidc_sessions (resident_id);
CREATE INDEX oidc_sessions_expires_at ON oidc_sessions (expires_at);

-- An authorization request waiting for the resident (login, consent).
-- request is the provider's JSON; session_hash is empty until login.
CREATE TABLE oidc_interactions (
	id                          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	client_id                   TEXT COLLATE "C" NOT NULL,
	request                     BYTEA            NOT NULL,
	session_hash                BYTEA            NOT NULL,
	created_at                  BIGINT           NOT NULL,
	expires_at                  BIGINT           NOT NULL,
	version                     BIGINT           NOT NULL
);

CREATE INDEX oidc_interactions_expires_at ON oidc_interactions (expires_at);

-- A remembered consent of one resident for one relying party.
CREATE TABLE oidc_consents (
	resident_id                 TEXT COLLATE "C" NOT NULL,
	client_id                   TEXT COLLATE "C" NOT NULL,
	claims                      TEXT COLLATE "C" NOT NULL,
	plaintext                   BIGINT           NOT NULL,
	onward                      BIGINT           NOT NULL,
	created_at                  BIGINT           NOT NULL,
	updated_at                  BIGINT           NOT NULL,
	PRIMARY KEY (resident_id, client_id)
);

-- A grant: one authorization code and the root of every token issued from
-- it. code_used_at is set once (the single use of the code); revoked_at
-- revokes every token of the grant.
CREATE TABLE oidc_grants (
	id                          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	client_id                   TEXT COLLATE "C" NOT NULL,
	resident_id                 TEXT COLLATE "C" NOT NULL,
	subject                     TEXT COLLATE "C" NOT NULL,
	scopes                      TEXT COLLATE "C" NOT NULL,
	claims                      TEXT COLLATE "C" NOT NULL,
	acr                         TEXT COLLATE "C" NOT NULL,
	amr                         TEXT COLLATE "C" NOT NULL,
	auth_time                   BIGINT           NOT NULL,
	nonce                       TEXT COLLATE "C" NOT NULL,
	redirect_uri                TEXT COLLATE "C" NOT NULL,
	code_hash                   BYTEA            NOT NULL UNIQUE,
	code_challenge              TEXT COLLATE "C" NOT NULL,
	code_expires_at             BIGINT           NOT NULL,
	code_used_at                BIGINT           NOT NULL,
	created_at                  BIGINT           NOT NULL,
	expires_at                  BIGINT           NOT NULL,
	revoked_at                  BIGINT           NOT NULL
);

CREATE INDEX oidc_grants_resident ON oidc_grants (resident_id, client_id);
CREATE INDEX oidc_grants_expires_at ON oidc_grants (expires_at);

-- An access or refresh token of a grant. used_at is set once (the single
-- use of a refresh token).
CREATE TABLE oidc_tokens (
	token_hash                  BYTEA            NOT NULL PRIMARY KEY,
	kind                        TEXT COLLATE "C" NOT NULL,
	grant_id                    TEXT COLLATE "C" NOT NULL,
	client_id                   TEXT COLLATE "C" NOT NULL,
	created_at                  BIGINT           NOT NULL,
	expires_at                  BIGINT           NOT NULL,
	used_at                     BIGINT           NOT NULL,
	revoked_at                  BIGINT           NOT NULL
);

CREATE INDEX oidc_tokens_expires_at ON oidc_tokens (expires_at);

-- Provider settings that all nodes must share for ever (the pairwise key).
CREATE TABLE oidc_settings (
	name                        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	value                       TEXT COLLATE "C" NOT NULL
);

-- One release of claims to one relying party: names, never values. Kept
-- when grants are pruned; the resident's transparency log reads it.
CREATE TABLE disclosures (
	id                          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	resident_id                 TEXT COLLATE "C" NOT NULL,
	client_id                   TEXT COLLATE "C" NOT NULL,
	grant_id                    TEXT COLLATE "C" NOT NULL,
	at                          BIGINT           NOT NULL,
	acr                         TEXT COLLATE "C" NOT NULL,
	claims                      TEXT COLLATE "C" NOT NULL,
	kind                        TEXT COLLATE "C" NOT NULL
);

CREATE INDEX disclosures_resident_at ON disclosures (resident_id, at, id);
