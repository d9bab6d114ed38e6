package rp

import "errors"

var (
	// ErrNotFound: no relying party has this client id.
	ErrNotFound = errors.New("rp: no relying party with this client id")
	// ErrInvalid: a registration breaks a rule; the error lists every
	// broken rule (errors.Join), each wrapping ErrInvalid.
	ErrInvalid = errors.New("rp: invalid registration")
	// ErrSuspended: the relying party is suspended and may not
	// authenticate anyone until the operator activates it again.
	ErrSuspended = errors.New("rp: relying party is suspended")
)
