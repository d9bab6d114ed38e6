package oidc

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/netid/netid/internal/translog"
)

// TranslogAppender is what TranslogRecorder needs of the transparency log:
// appending an entry in the transaction that ctx carries.
// *translog.Log implements it.
type TranslogAppender interface {
	Append(ctx context.Context, residentID string, e translog.Entry) (uint64, error)
}

var _ TranslogAppender = (*translog.Log)(nil)

// TranslogRecorder records each disclosure twice in the issuing
// transaction: in the plain disclosures table (Table, normally the
// provider's Store, which DisclosuresOf lists) and as a disclosure entry
// of the resident's transparency log (Log). Both writes join the
// transaction of the token response, so tokens, the table row and the log
// entry commit or roll back together; Log and Table must therefore share
// the provider's store.
//
// The entry's ID is the disclosure's ID, not the grant's: a grant with
// offline_access discloses again at every refresh, and each of those is
// its own entry. The disclosure ID is drawn before the transaction, so a
// rerun of the transaction appends the same entry (the log treats it as
// a replay). The grant id goes into the entry's Ref.
type TranslogRecorder struct {
	Table DisclosureRecorder
	Log   TranslogAppender
}

var _ DisclosureRecorder = TranslogRecorder{}

// RecordDisclosure implements DisclosureRecorder. As the interface
// requires, a disclosure whose ID is recorded already is an error wrapping
// store.ErrConflict (from the table, or translog.ErrDuplicate, which wraps
// it, from the log when the logged entry differs), and the log does not
// grow.
func (t TranslogRecorder) RecordDisclosure(ctx context.Context, d Disclosure) error {
	if t.Table == nil || t.Log == nil {
		return errors.New("oidc: TranslogRecorder needs a Table and a Log")
	}
	e, err := DisclosureEntry(d)
	if err != nil {
		return err
	}
	// The table first: its unique id turns a second recording of the same
	// disclosure into ErrConflict before anything is appended.
	if err := t.Table.RecordDisclosure(ctx, d); err != nil {
		return err
	}
	if _, err := t.Log.Append(ctx, d.ResidentID, e); err != nil {
		return fmt.Errorf("oidc: log disclosure %s: %w", d.ID, err)
	}
	return nil
}

// DisclosureEntry returns the transparency-log entry of d: kind
// disclosure, its ID, time, client id, level, the names of the claims
// released (never values; sorted), the kind of token request as event, and the
// grant id as reference. It fails with an error wrapping
// translog.ErrInvalidEntry when d does not fit the entry's shapes.
func DisclosureEntry(d Disclosure) (translog.Entry, error) {
	var event translog.Event
	switch d.Kind {
	case DisclosureCode:
		event = translog.EventAuthorizationCode
	case DisclosureDevice:
		event = translog.EventDeviceCode
	case DisclosureRefresh:
		event = translog.EventRefreshToken
	default:
		return translog.Entry{}, fmt.Errorf("%w: disclosure %s: unknown kind %q", translog.ErrInvalidEntry, d.ID, d.Kind)
	}
	claims := make([]string, len(d.Claims))
	for i, c := range d.Claims {
		claims[i] = string(c)
	}
	// Sorted and unique, as the log keeps them, so that the entry
	// returned is the entry logged.
	slices.Sort(claims)
	claims = slices.Compact(claims)
	e := translog.Entry{
		ID:       d.ID,
		Kind:     translog.KindDisclosure,
		Time:     d.At,
		ClientID: d.ClientID,
		Claims:   claims,
		Level:    translog.Level(d.ACR),
		Event:    event,
		Ref:      d.GrantID,
	}
	if len(claims) == 0 {
		e.Claims = nil
	}
	return e, nil
}
