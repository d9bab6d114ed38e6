package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/netid/netid/internal/store"
)

// ResidentIdentity implements enrol.Store. It reads the one column that
// enrol.Service.Identity opens, rather than the whole row (password hash,
// face template and the rest), because Identity runs twice per sign-on
// (token, then userinfo).
func (s *Store) ResidentIdentity(ctx context.Context, id string) ([]byte, error) {
	var sealed []byte
	err := s.do(ctx, "get resident identity", func(q querier) error {
		err := q.QueryRowContext(ctx, `SELECT identity FROM residents WHERE id = $1`, id).Scan(&sealed)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return sealed, nil
}
