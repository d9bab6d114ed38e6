-- Internet certificates issued by the CA (credential.CertStore). serial is
-- lower-case hex without leading zeros. Times are Unix microseconds (UTC).
-- revoked_at and revocation_reason are both NULL while the certificate is
-- not revoked, and both set once it is: revocation is final.
CREATE TABLE certificates (
	serial                 TEXT    NOT NULL PRIMARY KEY,
	internet_number        TEXT    NOT NULL,
	ca_key_id              TEXT    NOT NULL,
	device_key_fingerprint TEXT    NOT NULL,
	not_before             INTEGER NOT NULL,
	not_after              INTEGER NOT NULL,
	issued_at              INTEGER NOT NULL,
	revoked_at             INTEGER,
	revocation_reason      INTEGER,
	der                    BLOB    NOT NULL,
	CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
) STRICT;

-- CertificatesFor lists one resident's certificates.
CREATE INDEX certificates_internet_number ON certificates (internet_number, issued_at, serial);

-- A CRL lists the revoked, unexpired certificates of one CA key.
CREATE INDEX certificates_revoked ON certificates (ca_key_id, not_after) WHERE revoked_at IS NOT NULL;

-- The self-signed certificate of each CA key, made once by the first node
-- that needed it, so that every node publishes the same bytes.
CREATE TABLE ca_certificates (
	key_id     TEXT    NOT NULL PRIMARY KEY,
	der        BLOB    NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

-- The last CRL number of each CA key (RFC 5280 section 5.2.3: monotonic).
CREATE TABLE crl_numbers (
	ca_key_id   TEXT    NOT NULL PRIMARY KEY,
	last_number INTEGER NOT NULL
) STRICT;
