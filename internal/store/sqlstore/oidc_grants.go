package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
)

// grantColumns lists the columns of oidc_grants in the order scanGrant
// reads and grantArgs writes them; grantColumnsG is the same, qualified
// for the join in Token.
const (
	grantColumns = `id, client_id, resident_id, subject, scopes, claims, acr, amr, auth_time, nonce,
	redirect_uri, code_hash, code_challenge, code_expires_at, code_used_at, created_at, expires_at, revoked_at`
	grantColumnsG = `g.id, g.client_id, g.resident_id, g.subject, g.scopes, g.claims, g.acr, g.amr, g.auth_time, g.nonce,
	g.redirect_uri, g.code_hash, g.code_challenge, g.code_expires_at, g.code_used_at, g.created_at, g.expires_at, g.revoked_at`
)

func grantArgs(g oidc.Grant) ([]any, error) {
	scopes, err := jsonText(g.Scopes)
	if err != nil {
		return nil, err
	}
	claims, err := jsonText(g.Claims)
	if err != nil {
		return nil, err
	}
	amr, err := jsonText(g.AMR)
	if err != nil {
		return nil, err
	}
	return []any{
		g.ID, g.ClientID, g.ResidentID, g.Subject, scopes, claims, string(g.ACR), amr, micros(g.AuthTime), g.Nonce,
		g.RedirectURI, nonNil(g.CodeHash), g.CodeChallenge, micros(g.CodeExpiresAt), optMicros(g.CodeUsedAt),
		micros(g.CreatedAt), micros(g.ExpiresAt), optMicros(g.RevokedAt),
	}, nil
}

// grantScan holds the raw columns of a grant while a row is scanned, so
// that a joined row can scan token and grant columns in one call.
type grantScan struct {
	g                                             oidc.Grant
	scopes, claims, acr, amr                      string
	auth, codeExpires, codeUsed, created, expires int64
	revoked                                       int64
}

func (gs *grantScan) dest() []any {
	g := &gs.g
	return []any{&g.ID, &g.ClientID, &g.ResidentID, &g.Subject, &gs.scopes, &gs.claims, &gs.acr, &gs.amr, &gs.auth,
		&g.Nonce, &g.RedirectURI, &g.CodeHash, &g.CodeChallenge, &gs.codeExpires, &gs.codeUsed, &gs.created,
		&gs.expires, &gs.revoked}
}

func (gs *grantScan) grant() (oidc.Grant, error) {
	g := gs.g
	if err := errors.Join(fromJSONText(gs.scopes, &g.Scopes), fromJSONText(gs.claims, &g.Claims),
		fromJSONText(gs.amr, &g.AMR)); err != nil {
		return oidc.Grant{}, fmt.Errorf("grant %s: %w", g.ID, err)
	}
	g.ACR = enrol.Assurance(gs.acr)
	g.AuthTime, g.CodeExpiresAt, g.CodeUsedAt = fromMicros(gs.auth), fromMicros(gs.codeExpires), fromOptMicros(gs.codeUsed)
	g.CreatedAt, g.ExpiresAt, g.RevokedAt = fromMicros(gs.created), fromMicros(gs.expires), fromOptMicros(gs.revoked)
	return g, nil
}

// CreateGrant implements oidc.Store.
func (s *Store) CreateGrant(ctx context.Context, g oidc.Grant) error {
	var errs []error
	if g.ID == "" {
		errs = append(errs, fmt.Errorf("%w: empty grant id", errInvalid))
	}
	if len(g.CodeHash) == 0 {
		errs = append(errs, fmt.Errorf("%w: empty code hash", errInvalid))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: create grant: %w", err)
	}
	args, err := grantArgs(g)
	if err != nil {
		return fmt.Errorf("sqlstore: create grant: %w", err)
	}
	return s.do(ctx, "create grant", func(q querier) error {
		// No conflict target: the id and the code hash are both unique.
		res, err := q.ExecContext(ctx, `INSERT INTO oidc_grants (`+grantColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
			ON CONFLICT DO NOTHING`, args...)
		return insertedOne(res, err)
	})
}

// GrantByCode implements oidc.Store.
func (s *Store) GrantByCode(ctx context.Context, codeHash []byte) (oidc.Grant, error) {
	var g oidc.Grant
	err := s.do(ctx, "get grant by code", func(q querier) error {
		var gs grantScan
		err := q.QueryRowContext(ctx, `SELECT `+grantColumns+` FROM oidc_grants WHERE code_hash = $1`, nonNil(codeHash)).
			Scan(gs.dest()...)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		g, err = gs.grant()
		return err
	})
	if err != nil {
		return oidc.Grant{}, err
	}
	return g, nil
}

// UseGrantCode implements oidc.Store.
func (s *Store) UseGrantCode(ctx context.Context, id string, t time.Time) error {
	return s.do(ctx, "use authorization code", func(q querier) error {
		// The single use of a code is this one statement: of two
		// exchanges, the second finds code_used_at set and changes
		// nothing (PostgreSQL re-checks the WHERE clause after the
		// first's row lock, or fails the SERIALIZABLE transaction; SQLite
		// has one writer).
		res, err := q.ExecContext(ctx, `UPDATE oidc_grants SET code_used_at = $2 WHERE id = $1 AND code_used_at = 0`,
			id, micros(t))
		return updatedOne(ctx, q, res, err, `SELECT 1 FROM oidc_grants WHERE id = $1`, id)
	})
}

// RevokeGrant implements oidc.Store.
func (s *Store) RevokeGrant(ctx context.Context, id string, t time.Time) error {
	return s.do(ctx, "revoke grant", func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE oidc_grants SET revoked_at = $2 WHERE id = $1 AND revoked_at = 0`, id, micros(t))
		err = updatedOne(ctx, q, res, err, `SELECT 1 FROM oidc_grants WHERE id = $1`, id)
		if errors.Is(err, store.ErrConflict) {
			return nil // revoked already: the first time stays
		}
		return err
	})
}

// RevokeGrantsOf implements oidc.Store.
func (s *Store) RevokeGrantsOf(ctx context.Context, residentID, clientID string, t time.Time) (int64, error) {
	var n int64
	err := s.do(ctx, "revoke grants", func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE oidc_grants SET revoked_at = $3
			WHERE resident_id = $1 AND ($2 = '' OR client_id = $2) AND revoked_at = 0`, residentID, clientID, micros(t))
		if err != nil {
			return err
		}
		n, err = rowsAffected(res)
		return err
	})
	return n, err
}

// tokenColumns lists the columns of oidc_tokens in the order Token scans
// them, qualified for the join.
const tokenColumns = `t.token_hash, t.kind, t.grant_id, t.client_id, t.created_at, t.expires_at, t.used_at, t.revoked_at`

// CreateToken implements oidc.Store.
func (s *Store) CreateToken(ctx context.Context, t oidc.Token) error {
	var errs []error
	if len(t.Hash) == 0 {
		errs = append(errs, fmt.Errorf("%w: empty token hash", errInvalid))
	}
	if t.Kind != oidc.TokenAccess && t.Kind != oidc.TokenRefresh {
		errs = append(errs, fmt.Errorf("%w: token kind %q", errInvalid, t.Kind))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlstore: create token: %w", err)
	}
	return s.do(ctx, "create token", func(q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO oidc_tokens
				(token_hash, kind, grant_id, client_id, created_at, expires_at, used_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (token_hash) DO NOTHING`,
			t.Hash, string(t.Kind), t.GrantID, t.ClientID, micros(t.CreatedAt), micros(t.ExpiresAt),
			optMicros(t.UsedAt), optMicros(t.RevokedAt))
		return insertedOne(res, err)
	})
}

// Token implements oidc.Store.
func (s *Store) Token(ctx context.Context, hash []byte) (oidc.Token, oidc.Grant, error) {
	var t oidc.Token
	var g oidc.Grant
	err := s.do(ctx, "get token", func(q querier) error {
		var gs grantScan
		var kind string
		var created, expires, used, revoked int64
		dest := append([]any{&t.Hash, &kind, &t.GrantID, &t.ClientID, &created, &expires, &used, &revoked}, gs.dest()...)
		// One round trip for the token and its grant: userinfo,
		// introspection and refresh need both.
		err := q.QueryRowContext(ctx, `SELECT `+tokenColumns+`, `+grantColumnsG+`
			FROM oidc_tokens t JOIN oidc_grants g ON g.id = t.grant_id WHERE t.token_hash = $1`, nonNil(hash)).Scan(dest...)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		t.Kind = oidc.TokenKind(kind)
		t.CreatedAt, t.ExpiresAt = fromMicros(created), fromMicros(expires)
		t.UsedAt, t.RevokedAt = fromOptMicros(used), fromOptMicros(revoked)
		g, err = gs.grant()
		return err
	})
	if err != nil {
		return oidc.Token{}, oidc.Grant{}, err
	}
	return t, g, nil
}

// UseToken implements oidc.Store.
func (s *Store) UseToken(ctx context.Context, hash []byte, t time.Time) error {
	return s.do(ctx, "use token", func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE oidc_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at = 0`,
			nonNil(hash), micros(t))
		return updatedOne(ctx, q, res, err, `SELECT 1 FROM oidc_tokens WHERE token_hash = $1`, nonNil(hash))
	})
}

// RevokeToken implements oidc.Store.
func (s *Store) RevokeToken(ctx context.Context, hash []byte, t time.Time) error {
	return s.do(ctx, "revoke token", func(q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE oidc_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at = 0`,
			nonNil(hash), micros(t))
		err = updatedOne(ctx, q, res, err, `SELECT 1 FROM oidc_tokens WHERE token_hash = $1`, nonNil(hash))
		if errors.Is(err, store.ErrConflict) {
			return nil // revoked already: the first time stays
		}
		return err
	})
}

// PruneOIDC implements oidc.Store.
func (s *Store) PruneOIDC(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	err := s.do(ctx, "prune oidc", func(q querier) error {
		total = 0
		// Each statement stands alone: pruning is idempotent, so a rerun
		// after a failure deletes what is left.
		for _, stmt := range []string{
			`DELETE FROM oidc_tokens WHERE expires_at < $1`,
			`DELETE FROM oidc_grants WHERE expires_at < $1`,
			`DELETE FROM oidc_interactions WHERE expires_at < $1`,
			`DELETE FROM oidc_sessions WHERE expires_at < $1`,
		} {
			res, err := q.ExecContext(ctx, stmt, micros(t))
			if err != nil {
				return err
			}
			n, err := rowsAffected(res)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	return total, err
}

// RecordDisclosure implements oidc.DisclosureRecorder with a plain table;
// the transparency log replaces it later.
func (s *Store) RecordDisclosure(ctx context.Context, d oidc.Disclosure) error {
	if d.ID == "" {
		return fmt.Errorf("sqlstore: record disclosure: %w: empty id", errInvalid)
	}
	claims, err := jsonText(d.Claims)
	if err != nil {
		return fmt.Errorf("sqlstore: record disclosure: %w", err)
	}
	return s.do(ctx, "record disclosure", func(q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO disclosures (id, resident_id, client_id, grant_id, at, acr, claims, kind)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
			d.ID, d.ResidentID, d.ClientID, d.GrantID, micros(d.At), string(d.ACR), claims, string(d.Kind))
		return insertedOne(res, err)
	})
}

// DisclosuresOf implements oidc.Store.
func (s *Store) DisclosuresOf(ctx context.Context, residentID string, before time.Time, limit int) ([]oidc.Disclosure, error) {
	if limit <= 0 {
		return nil, nil
	}
	bound := int64(1<<63 - 1)
	if !before.IsZero() {
		bound = micros(before)
	}
	var out []oidc.Disclosure
	err := s.do(ctx, "list disclosures", func(q querier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT id, resident_id, client_id, grant_id, at, acr, claims, kind
			FROM disclosures WHERE resident_id = $1 AND at < $2 ORDER BY at DESC, id DESC LIMIT $3`,
			residentID, bound, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d oidc.Disclosure
			var at int64
			var acr, claims, kind string
			if err := rows.Scan(&d.ID, &d.ResidentID, &d.ClientID, &d.GrantID, &at, &acr, &claims, &kind); err != nil {
				return err
			}
			d.At, d.ACR, d.Kind = fromMicros(at), enrol.Assurance(acr), oidc.DisclosureKind(kind)
			if err := fromJSONText(claims, &d.Claims); err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, err
}

// LiveGrantClientsOf implements oidc.Store.
func (s *Store) LiveGrantClientsOf(ctx context.Context, residentID string, now time.Time) ([]oidc.GrantSummary, error) {
	var out []oidc.GrantSummary
	err := s.do(ctx, "list live grants", func(q querier) error {
		out = out[:0]
		// The index oidc_grants_resident serves the range; the few live
		// grants of one resident are summed up here rather than in SQL,
		// because scopes and claims are JSON text and the engines share no
		// JSON functions.
		rows, err := q.QueryContext(ctx, `SELECT client_id, scopes, claims, created_at, expires_at FROM oidc_grants
			WHERE resident_id = $1 AND code_used_at <> 0 AND revoked_at = 0 AND expires_at > $2
			ORDER BY client_id, created_at, id`, residentID, micros(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var clientID, scopesText, claimsText string
			var created, expires int64
			if err := rows.Scan(&clientID, &scopesText, &claimsText, &created, &expires); err != nil {
				return err
			}
			var scopes []string
			var claims []rp.Claim
			if err := errors.Join(fromJSONText(scopesText, &scopes), fromJSONText(claimsText, &claims)); err != nil {
				return fmt.Errorf("grant of %s: %w", clientID, err)
			}
			if len(out) == 0 || out[len(out)-1].ClientID != clientID {
				out = append(out, oidc.GrantSummary{ClientID: clientID, FirstGrantedAt: fromMicros(created)})
			}
			g := &out[len(out)-1]
			g.LastGrantedAt = fromMicros(created)
			if e := fromMicros(expires); e.After(g.ExpiresAt) {
				g.ExpiresAt = e
			}
			g.Refresh = g.Refresh || slices.Contains(scopes, oidc.ScopeOfflineAccess)
			for _, c := range claims {
				if i, found := slices.BinarySearch(g.Claims, c); !found {
					g.Claims = slices.Insert(g.Claims, i, c)
				}
			}
		}
		return rows.Err()
	})
	return out, err
}
