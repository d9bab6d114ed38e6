package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/store"
)

var _ credential.CertStore = (*Store)(nil)

// certColumns lists the columns of certificates in the order that
// scanCertificate reads them.
const certColumns = `serial, internet_number, ca_key_id, device_key_fingerprint,
	not_before, not_after, issued_at, revoked_at, revocation_reason, der`

// checkCertificate refuses a record the CA never writes: a caller's bug,
// not data.
func checkCertificate(r credential.CertificateRecord) error {
	var errs []error
	for _, f := range []struct{ name, v string }{
		{"serial", r.Serial}, {"internet number", r.InternetNumber},
		{"CA key id", r.CAKeyID}, {"device key fingerprint", r.DeviceKeyFingerprint},
	} {
		if f.v == "" {
			errs = append(errs, fmt.Errorf("%w: empty %s", errInvalid, f.name))
		}
	}
	if len(r.DER) == 0 {
		errs = append(errs, fmt.Errorf("%w: empty certificate", errInvalid))
	}
	if r.Revoked() {
		errs = append(errs, fmt.Errorf("%w: a new certificate cannot be revoked already", errInvalid))
	}
	return errors.Join(errs...)
}

// scanCertificate reads one row of certColumns.
func scanCertificate(row interface{ Scan(...any) error }) (credential.CertificateRecord, error) {
	var r credential.CertificateRecord
	var notBefore, notAfter, issued int64
	var revokedAt, reason sql.NullInt64
	err := row.Scan(&r.Serial, &r.InternetNumber, &r.CAKeyID, &r.DeviceKeyFingerprint,
		&notBefore, &notAfter, &issued, &revokedAt, &reason, &r.DER)
	if err != nil {
		return credential.CertificateRecord{}, err
	}
	r.NotBefore, r.NotAfter, r.Issued = fromMicros(notBefore), fromMicros(notAfter), fromMicros(issued)
	if revokedAt.Valid {
		r.RevokedAt = fromMicros(revokedAt.Int64)
		r.Reason = credential.RevocationReason(reason.Int64)
	}
	return r, nil
}

// PutCertificate implements credential.CertStore.
func (s *Store) PutCertificate(ctx context.Context, r credential.CertificateRecord) error {
	if err := checkCertificate(r); err != nil {
		return fmt.Errorf("sqlstore: put certificate: %w", err)
	}
	return s.do(ctx, "put certificate", func(q querier) error {
		return execOnce(ctx, q, `INSERT INTO certificates (serial, internet_number, ca_key_id, device_key_fingerprint,
				not_before, not_after, issued_at, der)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (serial) DO NOTHING`,
			r.Serial, r.InternetNumber, r.CAKeyID, r.DeviceKeyFingerprint,
			micros(r.NotBefore), micros(r.NotAfter), micros(r.Issued), r.DER)
	})
}

// Certificate implements credential.CertStore.
func (s *Store) Certificate(ctx context.Context, serial string) (credential.CertificateRecord, error) {
	return getOne(ctx, s, "get certificate", scanCertificate, `SELECT `+certColumns+` FROM certificates WHERE serial = $1`, serial)
}

// CertificatesFor implements credential.CertStore.
func (s *Store) CertificatesFor(ctx context.Context, internetNumber string) ([]credential.CertificateRecord, error) {
	var out []credential.CertificateRecord
	err := s.do(ctx, "list certificates", func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT `+certColumns+` FROM certificates
			WHERE internet_number = $1 ORDER BY issued_at, serial`, internetNumber)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanCertificate(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RevokeCertificate implements credential.CertStore: one conditional
// UPDATE, so that of concurrent revocations exactly one changes the row;
// when none did, a second read says why (the same reasoning as
// RewrapDataKey: the update changed nothing, so the read sees a state the
// row really was in afterwards).
func (s *Store) RevokeCertificate(ctx context.Context, serial string, reason credential.RevocationReason, at time.Time) error {
	return s.do(ctx, "revoke certificate", func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE certificates SET revoked_at = $1, revocation_reason = $2
			WHERE serial = $3 AND revoked_at IS NULL`, micros(at), int64(reason), serial)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		var one int
		err = q.QueryRowContext(ctx, `SELECT 1 FROM certificates WHERE serial = $1`, serial).Scan(&one)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return err
		}
		return store.ErrConflict
	})
}

// RevokedCertificates implements credential.CertStore.
func (s *Store) RevokedCertificates(ctx context.Context, caKeyID string, expiredBefore time.Time) ([]credential.RevokedCertificate, error) {
	var out []credential.RevokedCertificate
	err := s.do(ctx, "list revoked certificates", func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT serial, revoked_at, revocation_reason FROM certificates
			WHERE ca_key_id = $1 AND not_after > $2 AND revoked_at IS NOT NULL ORDER BY serial`,
			caKeyID, micros(expiredBefore))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r credential.RevokedCertificate
			var at, reason int64
			if err := rows.Scan(&r.Serial, &at, &reason); err != nil {
				return err
			}
			r.RevokedAt, r.Reason = fromMicros(at), credential.RevocationReason(reason)
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// NextCRLNumber implements credential.CertStore with one upsert, atomic on
// both engines as ThrottleHit is.
func (s *Store) NextCRLNumber(ctx context.Context, caKeyID string) (int64, error) {
	if caKeyID == "" {
		return 0, fmt.Errorf("sqlstore: next CRL number: %w: empty CA key id", errInvalid)
	}
	var n int64
	err := s.do(ctx, "next CRL number", func(q querier) error {
		return q.QueryRowContext(ctx, `INSERT INTO crl_numbers (ca_key_id, last_number) VALUES ($1, 1)
			ON CONFLICT (ca_key_id) DO UPDATE SET last_number = crl_numbers.last_number + 1
			RETURNING last_number`, caKeyID).Scan(&n)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// PutCACertificate implements credential.CertStore.
func (s *Store) PutCACertificate(ctx context.Context, keyID string, der []byte, created time.Time) error {
	if keyID == "" || len(der) == 0 {
		return fmt.Errorf("sqlstore: put CA certificate: %w: empty key id or certificate", errInvalid)
	}
	return s.do(ctx, "put CA certificate", func(q querier) error {
		return execOnce(ctx, q, `INSERT INTO ca_certificates (key_id, der, created_at)
			VALUES ($1, $2, $3) ON CONFLICT (key_id) DO NOTHING`, keyID, der, micros(created))
	})
}

// CACertificate implements credential.CertStore.
func (s *Store) CACertificate(ctx context.Context, keyID string) ([]byte, error) {
	var der []byte
	err := s.do(ctx, "get CA certificate", func(q querier) error {
		err := q.QueryRowContext(ctx, `SELECT der FROM ca_certificates WHERE key_id = $1`, keyID).Scan(&der)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return der, nil
}
