package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
)

var _ rp.Store = (*Store)(nil)

// rpColumns lists the columns of relying_parties in the order that scanRP
// reads and rpArgs writes them.
const rpColumns = `client_id, secret_hash, name, redirect_uris, post_logout_redirect_uris, sector,
	approved_claims, may_receive_internet_number, shares_onward, min_assurance, status,
	created_at, updated_at, version`

// jsonText encodes v (a slice) as a JSON array, "[]" for nil, for the list
// columns: both engines keep the text as given, and no query looks inside.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode list: %w", err)
	}
	if string(b) == "null" {
		return "[]", nil
	}
	return string(b), nil
}

// fromJSONText decodes a list column into dst.
func fromJSONText(s string, dst any) error {
	if err := json.Unmarshal([]byte(s), dst); err != nil {
		return fmt.Errorf("decode list: %w", err)
	}
	return nil
}

func rpArgs(r rp.RP) ([]any, error) {
	redirects, err := jsonText(r.RedirectURIs)
	if err != nil {
		return nil, err
	}
	logouts, err := jsonText(r.PostLogoutRedirectURIs)
	if err != nil {
		return nil, err
	}
	claims, err := jsonText(r.ApprovedClaims)
	if err != nil {
		return nil, err
	}
	return []any{
		r.ClientID, nonNil(r.SecretHash), r.Name, redirects, logouts, r.Sector, claims,
		boolInt(r.MayReceiveInternetNumber), boolInt(r.SharesOnward), string(r.MinAssurance), string(r.Status),
		micros(r.Created), micros(r.Updated), r.Version,
	}, nil
}

func scanRP(row interface{ Scan(...any) error }) (rp.RP, error) {
	var r rp.RP
	var redirects, logouts, claims, minAssurance, status string
	var mayNumber, onward, created, updated int64
	err := row.Scan(&r.ClientID, &r.SecretHash, &r.Name, &redirects, &logouts, &r.Sector, &claims,
		&mayNumber, &onward, &minAssurance, &status, &created, &updated, &r.Version)
	if err != nil {
		return rp.RP{}, err
	}
	if err := errors.Join(fromJSONText(redirects, &r.RedirectURIs), fromJSONText(logouts, &r.PostLogoutRedirectURIs),
		fromJSONText(claims, &r.ApprovedClaims)); err != nil {
		return rp.RP{}, fmt.Errorf("relying party %s: %w", r.ClientID, err)
	}
	r.MayReceiveInternetNumber, r.SharesOnward = mayNumber != 0, onward != 0
	r.MinAssurance, r.Status = enrol.Assurance(minAssurance), rp.Status(status)
	r.Created, r.Updated = fromMicros(created), fromMicros(updated)
	return r, nil
}

// CreateRP implements rp.Store.
func (s *Store) CreateRP(ctx context.Context, r rp.RP) error {
	var errs []error
	if r.ClientID == "" {
		errs = append(errs, fmt.Errorf("%w: empty client id", errInvalid))
	}
	if r.Version != 1 {
		errs = append(errs, fmt.Errorf("%w: version %d, want 1", errInvalid, r.Version))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: create relying party: %w", err)
	}
	args, err := rpArgs(r)
	if err != nil {
		return fmt.Errorf("sqlstore: create relying party: %w", err)
	}
	return s.do(ctx, "create relying party", func(q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO relying_parties (`+rpColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (client_id) DO NOTHING`, args...)
		return insertedOne(res, err)
	})
}

// RP implements rp.Store.
func (s *Store) RP(ctx context.Context, id string) (rp.RP, error) {
	return getOne(ctx, s, "get relying party", scanRP, `SELECT `+rpColumns+` FROM relying_parties WHERE client_id = $1`, id)
}

// UpdateRP implements rp.Store.
func (s *Store) UpdateRP(ctx context.Context, prevVersion int64, r rp.RP) error {
	if r.Version <= prevVersion {
		return fmt.Errorf("sqlstore: update relying party: %w: new version %d, want more than %d", errInvalid, r.Version, prevVersion)
	}
	args, err := rpArgs(r)
	if err != nil {
		return fmt.Errorf("sqlstore: update relying party: %w", err)
	}
	args = append(args, prevVersion)
	return s.do(ctx, "update relying party", func(q querier) error {
		// created_at is part of the match, so that a write that would
		// change it matches nothing and is reported as a conflict.
		res, err := q.ExecContext(ctx, `UPDATE relying_parties SET
				secret_hash = $2, name = $3, redirect_uris = $4, post_logout_redirect_uris = $5, sector = $6,
				approved_claims = $7, may_receive_internet_number = $8, shares_onward = $9, min_assurance = $10,
				status = $11, updated_at = $13, version = $14
			WHERE client_id = $1 AND created_at = $12 AND version = $15`, args...)
		return updatedOne(ctx, q, res, err, `SELECT 1 FROM relying_parties WHERE client_id = $1`, r.ClientID)
	})
}

// updatedOne finishes a compare-and-set UPDATE: nil when it changed a row,
// else store.ErrNotFound or store.ErrConflict as the existence query (one
// parameter, arg) says. The update wrote nothing, so the state that query
// sees is one the row really was in afterwards.
func updatedOne(ctx context.Context, q querier, res sql.Result, err error, exists string, arg any) error {
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
	err = q.QueryRowContext(ctx, exists, arg).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return err
	}
	return store.ErrConflict
}

// ListRPs implements rp.Store.
func (s *Store) ListRPs(ctx context.Context, after string, limit int) ([]rp.RP, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []rp.RP
	err := s.do(ctx, "list relying parties", func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT `+rpColumns+` FROM relying_parties
			WHERE client_id > $1 ORDER BY client_id LIMIT $2`, after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRP(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// optMicros stores an optional time: 0 for the zero time.Time ("not yet"),
// which micros would turn into a large negative number.
func optMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

// fromOptMicros is the inverse of optMicros.
func fromOptMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}
