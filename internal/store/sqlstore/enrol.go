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

var _ enrol.Store = (*Store)(nil)

// enrolmentColumns lists the columns of enrolments in the order that
// scanEnrolment reads and enrolmentArgs writes them.
const enrolmentColumns = `id, token_hash, resident_id, state, pathway, age_group, ceiling,
	anchor_index, anchor_key_id, identity, portrait, phone_optional, phone, phone_index, phone_login,
	face_challenge, face_challenge_at, face_attempts, face_matched, template, keep_template,
	password_hash, csr_nonce, number, guardian_id, relationship, guardian_kind, guardian_evidence,
	registrar_id, assisted_kind, created_at, updated_at, expires_at, version`

// enrolmentPlaceholders are the 34 placeholders of enrolmentColumns.
const enrolmentPlaceholders = `$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
	$18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34`

// boolInt stores a boolean as 0 or 1: one column type (INTEGER, BIGINT)
// and one SQL for both engines.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func enrolmentArgs(e enrol.EnrolmentRecord) []any {
	return []any{
		e.ID, nonNil(e.TokenHash), e.ResidentID, string(e.State), string(e.Pathway), string(e.AgeGroup), string(e.Ceiling),
		nonNil(e.AnchorIndex), e.AnchorKeyID, nonNil(e.Identity), nonNil(e.Portrait), boolInt(e.PhoneOptional),
		nonNil(e.Phone), nonNil(e.PhoneIndex), boolInt(e.PhoneLogin),
		e.FaceChallenge, micros(e.FaceChallengeAt), int64(e.FaceAttempts), boolInt(e.FaceMatched), nonNil(e.Template),
		boolInt(e.KeepTemplate), e.PasswordHash, e.CSRNonce, e.Number, e.GuardianID, string(e.Relationship),
		string(e.GuardianKind), nonNil(e.GuardianSealed), e.RegistrarID, string(e.AssistedKind),
		micros(e.CreatedAt), micros(e.UpdatedAt), micros(e.ExpiresAt), e.Version,
	}
}

func scanEnrolment(row interface{ Scan(...any) error }) (enrol.EnrolmentRecord, error) {
	var e enrol.EnrolmentRecord
	var state, pathway, age, ceiling, rel, gkind, akind string
	var phoneOpt, phoneLogin, matched, keep, attempts, challengeAt, created, updated, expires int64
	err := row.Scan(&e.ID, &e.TokenHash, &e.ResidentID, &state, &pathway, &age, &ceiling,
		&e.AnchorIndex, &e.AnchorKeyID, &e.Identity, &e.Portrait, &phoneOpt, &e.Phone, &e.PhoneIndex, &phoneLogin,
		&e.FaceChallenge, &challengeAt, &attempts, &matched, &e.Template, &keep,
		&e.PasswordHash, &e.CSRNonce, &e.Number, &e.GuardianID, &rel, &gkind, &e.GuardianSealed,
		&e.RegistrarID, &akind, &created, &updated, &expires, &e.Version)
	if err != nil {
		return enrol.EnrolmentRecord{}, err
	}
	e.State, e.Pathway, e.AgeGroup, e.Ceiling = enrol.State(state), enrol.Pathway(pathway), enrol.AgeGroup(age), enrol.Assurance(ceiling)
	e.Relationship, e.GuardianKind, e.AssistedKind = enrol.Relationship(rel), enrol.GuardianEvidenceKind(gkind), enrol.AssistedKind(akind)
	e.PhoneOptional, e.PhoneLogin, e.FaceMatched, e.KeepTemplate = phoneOpt != 0, phoneLogin != 0, matched != 0, keep != 0
	e.FaceAttempts = int(attempts)
	e.FaceChallengeAt, e.CreatedAt, e.UpdatedAt, e.ExpiresAt = fromMicros(challengeAt), fromMicros(created), fromMicros(updated), fromMicros(expires)
	return e, nil
}

// CreateEnrolment implements enrol.Store.
func (s *Store) CreateEnrolment(ctx context.Context, e enrol.EnrolmentRecord) error {
	var errs []error
	if e.ID == "" {
		errs = append(errs, fmt.Errorf("%w: empty enrolment id", errInvalid))
	}
	if e.Version != 1 {
		errs = append(errs, fmt.Errorf("%w: version %d, want 1", errInvalid, e.Version))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: create enrolment: %w", err)
	}
	return s.do(ctx, "create enrolment", func(q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO enrolments (`+enrolmentColumns+`)
			VALUES (`+enrolmentPlaceholders+`) ON CONFLICT (id) DO NOTHING`, enrolmentArgs(e)...)
		return insertedOne(res, err)
	})
}

// insertedOne turns the result of an INSERT ... ON CONFLICT DO NOTHING of
// one row into nil or store.ErrConflict.
func insertedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := rowsAffected(res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// Enrolment implements enrol.Store.
func (s *Store) Enrolment(ctx context.Context, id string) (enrol.EnrolmentRecord, error) {
	return getOne(ctx, s, "get enrolment", scanEnrolment, `SELECT `+enrolmentColumns+` FROM enrolments WHERE id = $1`, id)
}

// UpdateEnrolment implements enrol.Store.
func (s *Store) UpdateEnrolment(ctx context.Context, prevVersion int64, e enrol.EnrolmentRecord) error {
	if e.Version <= prevVersion {
		return fmt.Errorf("sqlstore: update enrolment: %w: new version %d, want more than %d", errInvalid, e.Version, prevVersion)
	}
	args := enrolmentArgs(e)
	return s.do(ctx, "update enrolment", func(q querier) error {
		// Compare-and-set in one statement, as UpdatePhoneChallenge. The
		// immutable columns (token_hash, resident_id, created_at) are
		// left out of the SET list.
		res, err := q.ExecContext(ctx, `UPDATE enrolments SET
				state = $4, pathway = $5, age_group = $6, ceiling = $7, anchor_index = $8, anchor_key_id = $9,
				identity = $10, portrait = $11, phone_optional = $12, phone = $13, phone_index = $14,
				phone_login = $15, face_challenge = $16, face_challenge_at = $17, face_attempts = $18,
				face_matched = $19, template = $20, keep_template = $21, password_hash = $22, csr_nonce = $23,
				number = $24, guardian_id = $25, relationship = $26, guardian_kind = $27,
				guardian_evidence = $28, registrar_id = $29, assisted_kind = $30, updated_at = $32,
				expires_at = $33, version = $34
			WHERE id = $1 AND version = $35 AND token_hash = $2 AND resident_id = $3 AND created_at = $31`,
			append(args, prevVersion)...)
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
		return s.existsOrConflict(ctx, q, `SELECT 1 FROM enrolments WHERE id = $1`, e.ID)
	})
}

// existsOrConflict says why a conditional write changed nothing: the row
// is missing (store.ErrNotFound) or its condition failed (ErrConflict). As
// in RewrapDataKey, the write changed nothing, so the read sees a state the
// row really was in afterwards.
func (s *Store) existsOrConflict(ctx context.Context, q querier, query string, args ...any) error {
	var one int
	err := q.QueryRowContext(ctx, query, args...).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return err
	}
	return store.ErrConflict
}

// DeleteEnrolment implements enrol.Store.
func (s *Store) DeleteEnrolment(ctx context.Context, id string) error {
	return s.do(ctx, "delete enrolment", func(q querier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM enrolments WHERE id = $1`, id)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// EnrolmentsExpiredBefore implements enrol.Store.
func (s *Store) EnrolmentsExpiredBefore(ctx context.Context, t time.Time, limit int) ([]enrol.EnrolmentRecord, error) {
	if limit < 1 {
		return nil, fmt.Errorf("sqlstore: list expired enrolments: %w: limit %d, want at least 1", errInvalid, limit)
	}
	var out []enrol.EnrolmentRecord
	err := s.do(ctx, "list expired enrolments", func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT `+enrolmentColumns+` FROM enrolments
			WHERE expires_at < $1 ORDER BY expires_at, id LIMIT $2`, micros(t), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanEnrolment(rows)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
