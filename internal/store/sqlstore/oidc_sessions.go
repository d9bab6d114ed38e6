package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/store"
)

var _ oidc.Store = (*Store)(nil)

// CreateLoginSession implements oidc.Store.
func (s *Store) CreateLoginSession(ctx context.Context, ls oidc.LoginSession) error {
	if len(ls.IDHash) == 0 {
		return fmt.Errorf("sqlstore: create login session: %w: empty id hash", errInvalid)
	}
	amr, err := jsonText(ls.AMR)
	if err != nil {
		return fmt.Errorf("sqlstore: create login session: %w", err)
	}
	return s.do(ctx, "create login session", func(q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO oidc_sessions
			(id_hash, resident_id, internet_number, acr, amr, auth_time, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id_hash) DO NOTHING`,
			ls.IDHash, ls.ResidentID, ls.InternetNumber, string(ls.ACR), amr, micros(ls.AuthTime),
			micros(ls.CreatedAt), micros(ls.ExpiresAt))
		return insertedOne(res, err)
	})
}

// LoginSession implements oidc.Store.
func (s *Store) LoginSession(ctx context.Context, idHash []byte) (oidc.LoginSession, error) {
	var ls oidc.LoginSession
	err := s.do(ctx, "get login session", func(q querier) error {
		var acr, amr string
		var auth, created, expires int64
		err := q.QueryRowContext(ctx, `SELECT id_hash, resident_id, internet_number, acr, amr, auth_time,
				created_at, expires_at FROM oidc_sessions WHERE id_hash = $1`, nonNil(idHash)).
			Scan(&ls.IDHash, &ls.ResidentID, &ls.InternetNumber, &acr, &amr, &auth, &created, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		ls.ACR = enrol.Assurance(acr)
		ls.AuthTime, ls.CreatedAt, ls.ExpiresAt = fromMicros(auth), fromMicros(created), fromMicros(expires)
		return fromJSONText(amr, &ls.AMR)
	})
	if err != nil {
		return oidc.LoginSession{}, err
	}
	return ls, nil
}

// deletedSome finishes a DELETE that must remove at least one row.
func deletedSome(res sql.Result, err error) error {
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
}

// DeleteLoginSession implements oidc.Store.
func (s *Store) DeleteLoginSession(ctx context.Context, idHash []byte) error {
	return s.do(ctx, "delete login session", func(q querier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM oidc_sessions WHERE id_hash = $1`, nonNil(idHash))
		return deletedSome(res, err)
	})
}

// DeleteLoginSessionsOf implements oidc.Store.
func (s *Store) DeleteLoginSessionsOf(ctx context.Context, residentID string) (int64, error) {
	var n int64
	err := s.do(ctx, "delete login sessions", func(q querier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM oidc_sessions WHERE resident_id = $1`, residentID)
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	return n, err
}

// interactionColumns lists the columns of oidc_interactions in the order
// scanInteraction reads them.
const interactionColumns = `id, client_id, request, session_hash, created_at, expires_at, version`

func scanInteraction(row interface{ Scan(...any) error }) (oidc.Interaction, error) {
	var in oidc.Interaction
	var created, expires int64
	if err := row.Scan(&in.ID, &in.ClientID, &in.Request, &in.SessionHash, &created, &expires, &in.Version); err != nil {
		return oidc.Interaction{}, err
	}
	in.CreatedAt, in.ExpiresAt = fromMicros(created), fromMicros(expires)
	return in, nil
}

// CreateInteraction implements oidc.Store.
func (s *Store) CreateInteraction(ctx context.Context, in oidc.Interaction) error {
	var errs []error
	if in.ID == "" {
		errs = append(errs, fmt.Errorf("%w: empty interaction id", errInvalid))
	}
	if in.Version != 1 {
		errs = append(errs, fmt.Errorf("%w: version %d, want 1", errInvalid, in.Version))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: create interaction: %w", err)
	}
	return s.do(ctx, "create interaction", func(q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO oidc_interactions (`+interactionColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
			in.ID, in.ClientID, nonNil(in.Request), nonNil(in.SessionHash), micros(in.CreatedAt), micros(in.ExpiresAt), in.Version)
		return insertedOne(res, err)
	})
}

// Interaction implements oidc.Store.
func (s *Store) Interaction(ctx context.Context, id string) (oidc.Interaction, error) {
	return getOne(ctx, s, "get interaction", scanInteraction, `SELECT `+interactionColumns+` FROM oidc_interactions WHERE id = $1`, id)
}

// UpdateInteraction implements oidc.Store.
func (s *Store) UpdateInteraction(ctx context.Context, prevVersion int64, in oidc.Interaction) error {
	if in.Version <= prevVersion {
		return fmt.Errorf("sqlstore: update interaction: %w: new version %d, want more than %d", errInvalid, in.Version, prevVersion)
	}
	return s.do(ctx, "update interaction", func(q querier) error {
		// The fields that never change are part of the match: a write
		// that would change them matches nothing and is a conflict.
		res, err := q.ExecContext(ctx, `UPDATE oidc_interactions SET session_hash = $2, expires_at = $3, version = $4
			WHERE id = $1 AND version = $5 AND client_id = $6 AND request = $7 AND created_at = $8`,
			in.ID, nonNil(in.SessionHash), micros(in.ExpiresAt), in.Version, prevVersion, in.ClientID,
			nonNil(in.Request), micros(in.CreatedAt))
		return updatedOne(ctx, q, res, err, `SELECT 1 FROM oidc_interactions WHERE id = $1`, in.ID)
	})
}

// DeleteInteraction implements oidc.Store.
func (s *Store) DeleteInteraction(ctx context.Context, id string) error {
	return s.do(ctx, "delete interaction", func(q querier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM oidc_interactions WHERE id = $1`, id)
		return deletedSome(res, err)
	})
}

// consentColumns lists the columns of oidc_consents in the order
// scanConsent reads them.
const consentColumns = `resident_id, client_id, claims, plaintext, onward, created_at, updated_at`

func scanConsent(row interface{ Scan(...any) error }) (oidc.Consent, error) {
	var c oidc.Consent
	var claims string
	var plaintext, onward, created, updated int64
	if err := row.Scan(&c.ResidentID, &c.ClientID, &claims, &plaintext, &onward, &created, &updated); err != nil {
		return oidc.Consent{}, err
	}
	c.Plaintext, c.Onward = plaintext != 0, onward != 0
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, fromJSONText(claims, &c.Claims)
}

// RememberedConsent implements oidc.Store.
func (s *Store) RememberedConsent(ctx context.Context, residentID, clientID string) (oidc.Consent, error) {
	return getOne(ctx, s, "get consent", scanConsent, `SELECT `+consentColumns+` FROM oidc_consents
			WHERE resident_id = $1 AND client_id = $2`, residentID, clientID)
}

// PutRememberedConsent implements oidc.Store.
func (s *Store) PutRememberedConsent(ctx context.Context, c oidc.Consent) error {
	if c.ResidentID == "" || c.ClientID == "" {
		return fmt.Errorf("sqlstore: put consent: %w: empty resident or client id", errInvalid)
	}
	claims, err := jsonText(c.Claims)
	if err != nil {
		return fmt.Errorf("sqlstore: put consent: %w", err)
	}
	return s.do(ctx, "put consent", func(q querier) error {
		// One statement either way, so that two concurrent decisions
		// cannot both insert; the later write wins, keeping created_at.
		_, err := q.ExecContext(ctx, `INSERT INTO oidc_consents (`+consentColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (resident_id, client_id) DO UPDATE SET
				claims = excluded.claims, plaintext = excluded.plaintext, onward = excluded.onward,
				updated_at = excluded.updated_at`,
			c.ResidentID, c.ClientID, claims, boolInt(c.Plaintext), boolInt(c.Onward), micros(c.CreatedAt), micros(c.UpdatedAt))
		return err
	})
}

// DeleteRememberedConsent implements oidc.Store.
func (s *Store) DeleteRememberedConsent(ctx context.Context, residentID, clientID string) error {
	return s.do(ctx, "delete consent", func(q querier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM oidc_consents WHERE resident_id = $1 AND client_id = $2`, residentID, clientID)
		return deletedSome(res, err)
	})
}

// RememberedConsentsOf implements oidc.Store.
func (s *Store) RememberedConsentsOf(ctx context.Context, residentID string) ([]oidc.Consent, error) {
	var out []oidc.Consent
	err := s.do(ctx, "list consents", func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT `+consentColumns+` FROM oidc_consents
			WHERE resident_id = $1 ORDER BY client_id`, residentID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanConsent(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// pairwiseKeySetting names the pinned pairwise key in oidc_settings.
const pairwiseKeySetting = "pairwise-key-id"

// PinPairwiseKey implements oidc.Store.
func (s *Store) PinPairwiseKey(ctx context.Context, keyID string) (string, error) {
	if keyID == "" {
		return "", fmt.Errorf("sqlstore: pin pairwise key: %w: empty key id", errInvalid)
	}
	var pinned string
	err := s.do(ctx, "pin pairwise key", func(q querier) error {
		// Insert-if-absent then read: of two nodes pinning at once, the
		// first insert wins and both read its value.
		if _, err := q.ExecContext(ctx, `INSERT INTO oidc_settings (name, value) VALUES ($1, $2)
			ON CONFLICT (name) DO NOTHING`, pairwiseKeySetting, keyID); err != nil {
			return err
		}
		return q.QueryRowContext(ctx, `SELECT value FROM oidc_settings WHERE name = $1`, pairwiseKeySetting).Scan(&pinned)
	})
	return pinned, err
}
