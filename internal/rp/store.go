package rp

import (
	"context"
)

// Store keeps relying parties. The SQL implementation lives in
// internal/store/sqlstore; the conformance suite in internal/store/storetest
// checks it on both engines.
//
// Every method joins the transaction carried by ctx (store.TxRunner). A
// method that finds nothing returns an error wrapping store.ErrNotFound; one
// that would break a uniqueness or compare-and-set rule, one wrapping
// store.ErrConflict. Times are handed over in UTC at microsecond precision
// and must come back Equal; nil and empty slices are equivalent.
type Store interface {
	// CreateRP stores a new RP (Version 1). ErrConflict if the client id
	// exists.
	CreateRP(ctx context.Context, r RP) error
	// RP returns the RP with client id id.
	RP(ctx context.Context, id string) (RP, error)
	// UpdateRP replaces RP r.ClientID if its stored version is
	// prevVersion; r.Version must be greater. ErrConflict for another
	// version, ErrNotFound if there is no such RP. Created never changes:
	// it must equal the stored one (ErrConflict otherwise).
	UpdateRP(ctx context.Context, prevVersion int64, r RP) error
	// ListRPs returns up to limit RPs whose client id sorts after after
	// (bytewise), in client id order: a page of the registry.
	ListRPs(ctx context.Context, after string, limit int) ([]RP, error)
}
