package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/resident"
)

var (
	_ resident.Store     = (*Store)(nil)
	_ enrol.ErasureStore = (*Store)(nil)
)

// CreateResidentSession implements resident.Store.
func (s *Store) CreateResidentSession(ctx context.Context, r resident.SessionRecord) error {
	var errs []error
	if len(r.IDHash) == 0 {
		errs = append(errs, fmt.Errorf("%w: empty session hash", errInvalid))
	}
	if r.ResidentID == "" {
		errs = append(errs, fmt.Errorf("%w: empty resident id", errInvalid))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: create resident session: %w", err)
	}
	return s.do(ctx, "create resident session", func(q querier) error {
		return execOnce(ctx, q, `INSERT INTO resident_sessions (id_hash, resident_id, method, level, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id_hash) DO NOTHING`,
			r.IDHash, r.ResidentID, string(r.Method), string(r.Level), micros(r.CreatedAt), micros(r.ExpiresAt))
	})
}

// ResidentSession implements resident.Store.
func (s *Store) ResidentSession(ctx context.Context, idHash []byte) (resident.SessionRecord, error) {
	return getOne(ctx, s, "get resident session", func(row rowScanner) (resident.SessionRecord, error) {
		var r resident.SessionRecord
		var method, level string
		var created, expires int64
		if err := row.Scan(&r.IDHash, &r.ResidentID, &method, &level, &created, &expires); err != nil {
			return r, err
		}
		r.Method, r.Level = resident.AuthMethod(method), enrol.Assurance(level)
		r.CreatedAt, r.ExpiresAt = fromMicros(created), fromMicros(expires)
		return r, nil
	}, `SELECT id_hash, resident_id, method, level, created_at, expires_at FROM resident_sessions WHERE id_hash = $1`,
		nonNil(idHash))
}

// DeleteResidentSession implements resident.Store.
func (s *Store) DeleteResidentSession(ctx context.Context, idHash []byte) error {
	return s.deleteOne(ctx, "delete resident session", `DELETE FROM resident_sessions WHERE id_hash = $1`, nonNil(idHash))
}

// DeleteResidentSessionsOf implements resident.Store.
func (s *Store) DeleteResidentSessionsOf(ctx context.Context, residentID string) (int64, error) {
	return s.deleteCount(ctx, "delete resident sessions", `DELETE FROM resident_sessions WHERE resident_id = $1`, residentID)
}

// PutResidentChallenge implements resident.Store.
func (s *Store) PutResidentChallenge(ctx context.Context, c resident.ChallengeRecord) error {
	if len(c.Hash) == 0 {
		return fmt.Errorf("sqlstore: put resident challenge: %w: empty hash", errInvalid)
	}
	return s.do(ctx, "put resident challenge", func(q querier) error {
		return execOnce(ctx, q, `INSERT INTO resident_challenges (challenge_hash, created_at, expires_at)
			VALUES ($1, $2, $3) ON CONFLICT (challenge_hash) DO NOTHING`, c.Hash, micros(c.CreatedAt), micros(c.ExpiresAt))
	})
}

// UseResidentChallenge implements resident.Store: one conditional DELETE,
// whose row count is the compare-and-set.
func (s *Store) UseResidentChallenge(ctx context.Context, hash []byte, at time.Time) error {
	return s.deleteOne(ctx, "use resident challenge",
		`DELETE FROM resident_challenges WHERE challenge_hash = $1 AND expires_at > $2`, nonNil(hash), micros(at))
}

// PruneResidentSessions implements resident.Store.
func (s *Store) PruneResidentSessions(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	err := s.InTx(ctx, func(ctx context.Context) error {
		total = 0
		for _, q := range []string{
			`DELETE FROM resident_sessions WHERE expires_at <= $1`,
			`DELETE FROM resident_challenges WHERE expires_at <= $1`,
		} {
			n, err := s.deleteCount(ctx, "prune resident sessions", q, micros(t))
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	return total, err
}

// DeleteDisclosuresOf implements resident.Store.
func (s *Store) DeleteDisclosuresOf(ctx context.Context, residentID string) (int64, error) {
	if residentID == "" {
		return 0, fmt.Errorf("sqlstore: delete disclosures: %w: empty resident id", errInvalid)
	}
	return s.deleteCount(ctx, "delete disclosures", `DELETE FROM disclosures WHERE resident_id = $1`, residentID)
}

// DeleteIdentityAnchorsOf implements enrol.ErasureStore.
func (s *Store) DeleteIdentityAnchorsOf(ctx context.Context, residentID string) (int64, error) {
	if residentID == "" {
		return 0, fmt.Errorf("sqlstore: delete identity anchors: %w: empty resident id", errInvalid)
	}
	return s.deleteCount(ctx, "delete identity anchors", `DELETE FROM identity_anchors WHERE resident_id = $1`, residentID)
}

// DeleteGuardianLinksOf implements enrol.ErasureStore.
func (s *Store) DeleteGuardianLinksOf(ctx context.Context, residentID string) (int64, error) {
	if residentID == "" {
		return 0, fmt.Errorf("sqlstore: delete guardian links: %w: empty resident id", errInvalid)
	}
	return s.deleteCount(ctx, "delete guardian links",
		`DELETE FROM guardian_links WHERE minor_id = $1 OR guardian_id = $1`, residentID)
}
