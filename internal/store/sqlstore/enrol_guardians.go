package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
)

// PutGuardianLink implements enrol.Store.
func (s *Store) PutGuardianLink(ctx context.Context, l enrol.GuardianLink) error {
	if l.MinorID == "" || l.GuardianID == "" {
		return fmt.Errorf("sqlstore: put guardian link: %w: empty minor or guardian id", errInvalid)
	}
	return s.do(ctx, "put guardian link", func(q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO guardian_links
				(minor_id, guardian_id, relationship, evidence_kind, evidence, kind, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (minor_id, guardian_id) DO NOTHING`,
			l.MinorID, l.GuardianID, string(l.Relationship), string(l.EvidenceKind), nonNil(l.Evidence), l.Kind,
			micros(l.CreatedAt))
		return insertedOne(res, err)
	})
}

// guardianLinks lists the links where column = id, oldest first.
func (s *Store) guardianLinks(ctx context.Context, op, column, id string) ([]enrol.GuardianLink, error) {
	var out []enrol.GuardianLink
	err := s.do(ctx, op, func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT minor_id, guardian_id, relationship, evidence_kind, evidence, kind, created_at
			FROM guardian_links WHERE `+column+` = $1 ORDER BY created_at, minor_id, guardian_id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l enrol.GuardianLink
			var rel, kind string
			var created int64
			if err := rows.Scan(&l.MinorID, &l.GuardianID, &rel, &kind, &l.Evidence, &l.Kind, &created); err != nil {
				return err
			}
			l.Relationship, l.EvidenceKind, l.CreatedAt = enrol.Relationship(rel), enrol.GuardianEvidenceKind(kind), fromMicros(created)
			out = append(out, l)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GuardianLinksOfMinor implements enrol.Store.
func (s *Store) GuardianLinksOfMinor(ctx context.Context, minorID string) ([]enrol.GuardianLink, error) {
	return s.guardianLinks(ctx, "list guardians of minor", "minor_id", minorID)
}

// GuardianLinksOfGuardian implements enrol.Store.
func (s *Store) GuardianLinksOfGuardian(ctx context.Context, guardianID string) ([]enrol.GuardianLink, error) {
	return s.guardianLinks(ctx, "list minors of guardian", "guardian_id", guardianID)
}

// CreateRegistrar implements enrol.Store.
func (s *Store) CreateRegistrar(ctx context.Context, r enrol.RegistrarRecord) error {
	if r.ID == "" || len(r.TokenHash) == 0 {
		return fmt.Errorf("sqlstore: create registrar: %w: empty id or token hash", errInvalid)
	}
	return s.do(ctx, "create registrar", func(q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO registrars (id, name, token_hash, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, r.ID, r.Name, r.TokenHash, micros(r.CreatedAt))
		return insertedOne(res, err)
	})
}

// registrarBy returns the one registrar where column = value.
func (s *Store) registrarBy(ctx context.Context, op, column string, value any) (enrol.RegistrarRecord, error) {
	var r enrol.RegistrarRecord
	err := s.do(ctx, op, func(q querier) error {
		var created int64
		err := q.QueryRowContext(ctx, `SELECT id, name, token_hash, created_at FROM registrars WHERE `+column+` = $1`, value).
			Scan(&r.ID, &r.Name, &r.TokenHash, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		r.CreatedAt = fromMicros(created)
		return err
	})
	if err != nil {
		return enrol.RegistrarRecord{}, err
	}
	return r, nil
}

// Registrar implements enrol.Store.
func (s *Store) Registrar(ctx context.Context, id string) (enrol.RegistrarRecord, error) {
	return s.registrarBy(ctx, "get registrar", "id", id)
}

// RegistrarByTokenHash implements enrol.Store.
func (s *Store) RegistrarByTokenHash(ctx context.Context, h []byte) (enrol.RegistrarRecord, error) {
	return s.registrarBy(ctx, "get registrar by token", "token_hash", nonNil(h))
}
