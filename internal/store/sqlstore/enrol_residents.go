package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
)

// residentColumns lists the columns of residents in the order that
// scanResident reads and residentArgs writes them.
const residentColumns = `id, internet_number, status, pathway, ceiling, identity, phone, phone_index,
	password_hash, template, dynamic_secret, registrar_id, approval_hash, created_at, updated_at, version`

// nullBytes stores an empty byte slice as NULL, for the nullable unique
// phone_index: NULLs never collide, empty values would.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func residentArgs(r enrol.ResidentRecord) []any {
	return []any{
		r.ID, r.InternetNumber, string(r.Status), string(r.Pathway), string(r.Ceiling), nonNil(r.Identity),
		nonNil(r.Phone), nullBytes(r.PhoneIndex), r.PasswordHash, nonNil(r.Template), nonNil(r.DynamicSecret),
		r.RegistrarID, nonNil(r.ApprovalHash), micros(r.CreatedAt), micros(r.UpdatedAt), r.Version,
	}
}

func scanResident(row interface{ Scan(...any) error }) (enrol.ResidentRecord, error) {
	var r enrol.ResidentRecord
	var status, pathway, ceiling string
	var created, updated int64
	err := row.Scan(&r.ID, &r.InternetNumber, &status, &pathway, &ceiling, &r.Identity, &r.Phone, &r.PhoneIndex,
		&r.PasswordHash, &r.Template, &r.DynamicSecret, &r.RegistrarID, &r.ApprovalHash, &created, &updated, &r.Version)
	if err != nil {
		return enrol.ResidentRecord{}, err
	}
	r.Status, r.Pathway, r.Ceiling = enrol.ResidentStatus(status), enrol.Pathway(pathway), enrol.Assurance(ceiling)
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return r, nil
}

// CreateResident implements enrol.Store.
func (s *Store) CreateResident(ctx context.Context, r enrol.ResidentRecord) error {
	var errs []error
	if r.ID == "" {
		errs = append(errs, fmt.Errorf("%w: empty resident id", errInvalid))
	}
	if r.InternetNumber == "" {
		errs = append(errs, fmt.Errorf("%w: empty internet number", errInvalid))
	}
	if r.Version != 1 {
		errs = append(errs, fmt.Errorf("%w: version %d, want 1", errInvalid, r.Version))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: create resident: %w", err)
	}
	return s.do(ctx, "create resident", func(q querier) error {
		// No conflict target: the id, the internet number and the login
		// phone are all unique, and any of them taken is a conflict.
		res, err := q.ExecContext(ctx, `INSERT INTO residents (`+residentColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			ON CONFLICT DO NOTHING`, residentArgs(r)...)
		return insertedOne(res, err)
	})
}

// residentBy returns the one resident where column = value.
func (s *Store) residentBy(ctx context.Context, op, column string, value any) (enrol.ResidentRecord, error) {
	var r enrol.ResidentRecord
	err := s.do(ctx, op, func(q querier) error {
		var err error
		r, err = scanResident(q.QueryRowContext(ctx, `SELECT `+residentColumns+` FROM residents WHERE `+column+` = $1`, value))
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return enrol.ResidentRecord{}, err
	}
	return r, nil
}

// Resident implements enrol.Store.
func (s *Store) Resident(ctx context.Context, id string) (enrol.ResidentRecord, error) {
	return s.residentBy(ctx, "get resident", "id", id)
}

// ResidentByNumber implements enrol.Store.
func (s *Store) ResidentByNumber(ctx context.Context, n string) (enrol.ResidentRecord, error) {
	return s.residentBy(ctx, "get resident by number", "internet_number", n)
}

// ResidentByPhoneIndex implements enrol.Store.
func (s *Store) ResidentByPhoneIndex(ctx context.Context, idx []byte) (enrol.ResidentRecord, error) {
	if len(idx) == 0 {
		return enrol.ResidentRecord{}, fmt.Errorf("sqlstore: get resident by phone: %w", store.ErrNotFound)
	}
	return s.residentBy(ctx, "get resident by phone", "phone_index", idx)
}

// UpdateResident implements enrol.Store.
func (s *Store) UpdateResident(ctx context.Context, prevVersion int64, r enrol.ResidentRecord) error {
	if r.Version <= prevVersion {
		return fmt.Errorf("sqlstore: update resident: %w: new version %d, want more than %d", errInvalid, r.Version, prevVersion)
	}
	args := append(residentArgs(r), prevVersion)
	return s.do(ctx, "update resident", func(q querier) error {
		// A login phone taken by another resident is found first: the
		// unique violation itself would abort a PostgreSQL transaction.
		// A concurrent writer that takes it between the two statements
		// still makes the UPDATE fail, as a conflict (or a retry).
		if len(r.PhoneIndex) > 0 {
			var one int
			err := q.QueryRowContext(ctx, `SELECT 1 FROM residents WHERE phone_index = $1 AND id <> $2`, r.PhoneIndex, r.ID).Scan(&one)
			if err == nil {
				return store.ErrConflict
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		res, err := q.ExecContext(ctx, `UPDATE residents SET
				status = $3, pathway = $4, ceiling = $5, identity = $6, phone = $7, phone_index = $8,
				password_hash = $9, template = $10, dynamic_secret = $11, registrar_id = $12,
				approval_hash = $13, updated_at = $15, version = $16
			WHERE id = $1 AND internet_number = $2 AND created_at = $14 AND version = $17`, args...)
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
		return s.existsOrConflict(ctx, q, `SELECT 1 FROM residents WHERE id = $1`, r.ID)
	})
}

// PutIdentityAnchor implements enrol.Store.
func (s *Store) PutIdentityAnchor(ctx context.Context, a enrol.IdentityAnchor) error {
	var errs []error
	if len(a.Index) == 0 {
		errs = append(errs, fmt.Errorf("%w: empty anchor index", errInvalid))
	}
	if a.KeyID == "" || a.ResidentID == "" {
		errs = append(errs, fmt.Errorf("%w: empty key or resident id", errInvalid))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: put identity anchor: %w", err)
	}
	return s.do(ctx, "put identity anchor", func(q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO identity_anchors (anchor_index, key_id, resident_id, pathway, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (anchor_index) DO NOTHING`,
			a.Index, a.KeyID, a.ResidentID, string(a.Pathway), micros(a.CreatedAt))
		return insertedOne(res, err)
	})
}

func scanAnchor(row interface{ Scan(...any) error }) (enrol.IdentityAnchor, error) {
	var a enrol.IdentityAnchor
	var pathway string
	var created int64
	if err := row.Scan(&a.Index, &a.KeyID, &a.ResidentID, &pathway, &created); err != nil {
		return enrol.IdentityAnchor{}, err
	}
	a.Pathway, a.CreatedAt = enrol.Pathway(pathway), fromMicros(created)
	return a, nil
}

// IdentityAnchor implements enrol.Store.
func (s *Store) IdentityAnchor(ctx context.Context, idx []byte) (enrol.IdentityAnchor, error) {
	return getOne(ctx, s, "get identity anchor", scanAnchor, `SELECT anchor_index, key_id, resident_id, pathway, created_at
			FROM identity_anchors WHERE anchor_index = $1`, nonNil(idx))
}

// IdentityAnchorsOf implements enrol.Store.
func (s *Store) IdentityAnchorsOf(ctx context.Context, residentID string) ([]enrol.IdentityAnchor, error) {
	var out []enrol.IdentityAnchor
	err := s.do(ctx, "list identity anchors", func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT anchor_index, key_id, resident_id, pathway, created_at
			FROM identity_anchors WHERE resident_id = $1 ORDER BY created_at, anchor_index`, residentID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAnchor(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PutInternetNumber implements enrol.Store.
func (s *Store) PutInternetNumber(ctx context.Context, n enrol.InternetNumberRecord) error {
	if n.Number == "" || n.ResidentID == "" {
		return fmt.Errorf("sqlstore: put internet number: %w: empty number or resident id", errInvalid)
	}
	var retired any
	if !n.RetiredAt.IsZero() {
		retired = micros(n.RetiredAt)
	}
	return s.do(ctx, "put internet number", func(q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO internet_numbers (number, resident_id, assigned_at, retired_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (number) DO NOTHING`,
			n.Number, n.ResidentID, micros(n.AssignedAt), retired)
		return insertedOne(res, err)
	})
}

// InternetNumber implements enrol.Store.
func (s *Store) InternetNumber(ctx context.Context, number string) (enrol.InternetNumberRecord, error) {
	var n enrol.InternetNumberRecord
	err := s.do(ctx, "get internet number", func(q querier) error {
		var assigned int64
		var retired sql.NullInt64
		err := q.QueryRowContext(ctx, `SELECT number, resident_id, assigned_at, retired_at FROM internet_numbers
			WHERE number = $1`, number).Scan(&n.Number, &n.ResidentID, &assigned, &retired)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		n.AssignedAt = fromMicros(assigned)
		n.RetiredAt = time.Time{}
		if retired.Valid {
			n.RetiredAt = fromMicros(retired.Int64)
		}
		return err
	})
	if err != nil {
		return enrol.InternetNumberRecord{}, err
	}
	return n, nil
}

// RetireInternetNumber implements enrol.Store.
func (s *Store) RetireInternetNumber(ctx context.Context, number string, t time.Time) error {
	return s.do(ctx, "retire internet number", func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE internet_numbers SET retired_at = $2 WHERE number = $1 AND retired_at IS NULL`,
			number, micros(t))
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
		return s.existsOrConflict(ctx, q, `SELECT 1 FROM internet_numbers WHERE number = $1`, number)
	})
}
