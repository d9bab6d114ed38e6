package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/admin"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
)

var (
	_ admin.Store      = (*Store)(nil)
	_ admin.StatsStore = (*Store)(nil)
)

const adminTokenColumns = `id, name, secret_hash, created_at, revoked_at`

func scanAdminToken(row rowScanner) (admin.Token, error) {
	var t admin.Token
	var created, revoked int64
	if err := row.Scan(&t.ID, &t.Name, &t.SecretHash, &created, &revoked); err != nil {
		return admin.Token{}, err
	}
	t.Created, t.Revoked = fromMicros(created), fromOptMicros(revoked)
	return t, nil
}

// CreateAdminToken implements admin.Store. The partial unique index on the
// names of usable tokens makes a second usable token of one name a
// conflict, detected by the row count like the id's.
func (s *Store) CreateAdminToken(ctx context.Context, t admin.Token) error {
	var errs []error
	if t.ID == "" || t.Name == "" || len(t.SecretHash) == 0 || t.Created.IsZero() {
		errs = append(errs, fmt.Errorf("%w: id, name, secret hash and creation time are required", errInvalid))
	}
	if !t.Revoked.IsZero() {
		errs = append(errs, fmt.Errorf("%w: a new token cannot be revoked already", errInvalid))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: create admin token: %w", err)
	}
	return s.do(ctx, "create admin token", func(q querier) error {
		return execOnce(ctx, q, `INSERT INTO admin_tokens (`+adminTokenColumns+`) VALUES ($1, $2, $3, $4, 0)
			ON CONFLICT DO NOTHING`, t.ID, t.Name, t.SecretHash, micros(t.Created))
	})
}

// AdminToken implements admin.Store.
func (s *Store) AdminToken(ctx context.Context, id string) (admin.Token, error) {
	return getOne(ctx, s, "get admin token", scanAdminToken,
		`SELECT `+adminTokenColumns+` FROM admin_tokens WHERE id = $1`, id)
}

// AdminTokens implements admin.Store.
func (s *Store) AdminTokens(ctx context.Context) ([]admin.Token, error) {
	var out []admin.Token
	err := s.do(ctx, "list admin tokens", func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT `+adminTokenColumns+` FROM admin_tokens ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanAdminToken(rows)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// RevokeAdminToken implements admin.Store with one conditional update:
// of two concurrent revocations exactly one changes the row.
func (s *Store) RevokeAdminToken(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() {
		return fmt.Errorf("sqlstore: revoke admin token: %w: zero time", errInvalid)
	}
	return s.do(ctx, "revoke admin token", func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE admin_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at = 0`, id, micros(at))
		return updatedOne(ctx, q, res, err, `SELECT 1 FROM admin_tokens WHERE id = $1`, id)
	})
}

const adminAuditColumns = `id, at, admin, token_id, channel, action, target, outcome, detail`

func scanAdminAudit(row rowScanner) (admin.AuditRecord, error) {
	var r admin.AuditRecord
	var at int64
	var channel, action, outcome string
	if err := row.Scan(&r.ID, &at, &r.Admin, &r.TokenID, &channel, &action, &r.Target, &outcome, &r.Detail); err != nil {
		return admin.AuditRecord{}, err
	}
	r.At, r.Channel, r.Action, r.Outcome = fromMicros(at), admin.Channel(channel), admin.Action(action), admin.Outcome(outcome)
	return r, nil
}

// AppendAdminAudit implements admin.Store.
func (s *Store) AppendAdminAudit(ctx context.Context, r admin.AuditRecord) error {
	if r.ID == "" || r.At.IsZero() || r.Action == "" || r.Outcome == "" || r.Channel == "" {
		return fmt.Errorf("sqlstore: append admin audit: %w: id, time, channel, action and outcome are required", errInvalid)
	}
	return s.do(ctx, "append admin audit", func(q querier) error {
		return execOnce(ctx, q, `INSERT INTO admin_audit (`+adminAuditColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
			r.ID, micros(r.At), r.Admin, r.TokenID, string(r.Channel), string(r.Action), r.Target, string(r.Outcome), r.Detail)
	})
}

// AdminAudit implements admin.Store.
func (s *Store) AdminAudit(ctx context.Context, since time.Time, limit int) ([]admin.AuditRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	from := int64(0)
	if !since.IsZero() {
		from = micros(since)
	}
	var out []admin.AuditRecord
	err := s.do(ctx, "list admin audit", func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT `+adminAuditColumns+` FROM admin_audit
			WHERE at >= $1 ORDER BY at, id LIMIT $2`, from, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanAdminAudit(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// microsPerDay is the length of a statistics day in the stored unit; days
// are UTC, so a time's day is its microseconds divided by it (integer
// division on both engines, and stored times are after 1970).
const microsPerDay = int64(24 * time.Hour / time.Microsecond)

// StatsResidentsByStatus implements admin.StatsStore, from the index
// residents_status alone.
func (s *Store) StatsResidentsByStatus(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.do(ctx, "stats: residents by status", func(q querier) error {
		clear(out)
		rows, err := q.QueryContext(ctx, `SELECT status, COUNT(*) FROM residents GROUP BY status`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var status string
			var n int64
			if err := rows.Scan(&status, &n); err != nil {
				return err
			}
			out[status] = n
		}
		return rows.Err()
	})
	return out, err
}

// StatsActivatedResidents implements admin.StatsStore, from the partial
// index certificates_valid alone (it orders by internet number, so the
// DISTINCT needs no sort).
func (s *Store) StatsActivatedResidents(ctx context.Context, at time.Time) (int64, error) {
	var n int64
	err := s.do(ctx, "stats: activated residents", func(q querier) error {
		return q.QueryRowContext(ctx, `SELECT COUNT(DISTINCT internet_number) FROM certificates
			WHERE revoked_at IS NULL AND not_before <= $1 AND not_after > $1`, micros(at)).Scan(&n)
	})
	return n, err
}

// StatsEnrolments implements admin.StatsStore.
func (s *Store) StatsEnrolments(ctx context.Context, since, at time.Time) (started, open int64, err error) {
	err = s.do(ctx, "stats: enrolments", func(q querier) error {
		return q.QueryRowContext(ctx, `SELECT
				COALESCE(SUM(CASE WHEN created_at >= $1 THEN 1 ELSE 0 END), 0),
				COALESCE(SUM(CASE WHEN state <> $2 AND expires_at > $3 THEN 1 ELSE 0 END), 0)
			FROM enrolments`, micros(since), string(enrol.StateCompleted), micros(at)).Scan(&started, &open)
	})
	return started, open, err
}

// countByDay runs a query of (day, count) rows over [from, to).
func (s *Store) countByDay(ctx context.Context, op, query string, from, to time.Time) (map[time.Time]int64, error) {
	out := map[time.Time]int64{}
	err := s.do(ctx, op, func(q querier) error {
		clear(out)
		rows, err := q.QueryContext(ctx, query, micros(from), micros(to))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d, n int64
			if err := rows.Scan(&d, &n); err != nil {
				return err
			}
			out[fromMicros(d*microsPerDay)] = n
		}
		return rows.Err()
	})
	return out, err
}

// StatsEnrolmentsStartedByDay implements admin.StatsStore. The enrolments
// table has no index on created_at: it holds only the enrolments of the
// last enrolment lifetime, which a scan reads quickly.
func (s *Store) StatsEnrolmentsStartedByDay(ctx context.Context, from, to time.Time) (map[time.Time]int64, error) {
	return s.countByDay(ctx, "stats: enrolments started by day", fmt.Sprintf(`SELECT created_at / %d, COUNT(*)
		FROM enrolments WHERE created_at >= $1 AND created_at < $2 GROUP BY created_at / %[1]d`, microsPerDay), from, to)
}

// StatsEnrolmentsCompletedByDay implements admin.StatsStore, on the index
// internet_numbers_assigned_at.
func (s *Store) StatsEnrolmentsCompletedByDay(ctx context.Context, from, to time.Time) (map[time.Time]int64, error) {
	return s.countByDay(ctx, "stats: enrolments completed by day", fmt.Sprintf(`SELECT assigned_at / %d, COUNT(*)
		FROM internet_numbers WHERE assigned_at >= $1 AND assigned_at < $2 GROUP BY assigned_at / %[1]d`, microsPerDay), from, to)
}

// StatsAuthenticationsByDay implements admin.StatsStore, on the index
// disclosures_at.
func (s *Store) StatsAuthenticationsByDay(ctx context.Context, from, to time.Time) ([]admin.AuthenticationCount, error) {
	var out []admin.AuthenticationCount
	err := s.do(ctx, "stats: authentications by day", func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT at / %d AS day, client_id, acr, COUNT(*) FROM disclosures
			WHERE at >= $1 AND at < $2 AND kind IN ($3, $4)
			GROUP BY at / %[1]d, client_id, acr ORDER BY day, client_id, acr`, microsPerDay),
			micros(from), micros(to), string(oidc.DisclosureCode), string(oidc.DisclosureDevice))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c admin.AuthenticationCount
			var d int64
			if err := rows.Scan(&d, &c.ClientID, &c.Level, &c.Count); err != nil {
				return err
			}
			c.Day = fromMicros(d * microsPerDay)
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}
