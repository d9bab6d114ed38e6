package phone

import (
	"context"
	"time"

	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/throttle"
)

// State is the state of a challenge.
type State string

const (
	// StateActive: a code was sent and may be verified.
	StateActive State = "active"
	// StateLocked: too many wrong codes; only a new Send reopens it.
	StateLocked State = "locked"
	// StateUsed: the code was verified; it cannot be verified again.
	StateUsed State = "used"
)

// Challenge is the stored state of the one-time code of one binding (an
// enrolment id) and purpose. There is at most one per (BindingID, Purpose):
// a new Send replaces the code of the existing one.
//
// A Challenge holds no personal data in the clear. The phone number is kept
// only as NumberIndex, a keyed hash (blind index) under a service key that
// is not in the database: the number itself lives, encrypted, in the
// enrolment record, and the enrolment passes it to every Send. The code is
// kept only as CodeHash, a keyed hash over the binding, the purpose and the
// code, so that a copy of the database reveals no live code and a hash
// cannot be moved to another binding. Implementations therefore store the
// fields as given, without further encryption.
type Challenge struct {
	// BindingID and Purpose identify the challenge (the primary key).
	// BindingID is at most 128 bytes, Purpose at most 64 ASCII bytes.
	BindingID string
	Purpose   string
	// NumberIndex is the blind index of the number the latest code went
	// to: 32 bytes.
	NumberIndex []byte
	// CodeHash is the keyed hash of the latest code: 32 bytes.
	CodeHash []byte
	// State is StateActive, StateLocked or StateUsed.
	State State
	// Attempts counts wrong codes since the latest Send.
	Attempts int
	// SentAt is when the latest code was sent; ExpiresAt is when it stops
	// being accepted.
	SentAt    time.Time
	ExpiresAt time.Time
	// ResendAt is the earliest time the next Send is allowed.
	ResendAt time.Time
	// WindowStart is when the current send-counting window started, and
	// Sends how many codes were sent in it.
	WindowStart time.Time
	Sends       int
	// KeepUntil is when the record stops mattering: the code has expired,
	// the resend wait and the send window are over. PrunePhoneChallenges
	// deletes records past it.
	KeepUntil time.Time
	// Version increases by one at every write; UpdatePhoneChallenge
	// compares it (optimistic concurrency).
	Version int64
}

// Store keeps challenges. The SQL implementation lives in
// internal/store/sqlstore; internal/store/storetest checks it.
//
// Every method joins the transaction carried by ctx (see store.TxRunner).
// Verifier runs each Send and each Verify in one InTx, and its functions are
// idempotent, as InTx requires.
//
// Times are handed over in UTC, already truncated to microseconds;
// implementations must return them unchanged (at least microsecond
// precision, any location, compared with time.Time.Equal). Byte slices are
// returned as stored; nil and empty are equivalent.
//
// The per-number send limit uses the counters of throttle.Store (keys
// "phone-send:" followed by the hex blind index, never the number).
type Store interface {
	store.TxRunner
	throttle.Store

	// PhoneChallenge returns the challenge of (bindingID, purpose), or an
	// error wrapping store.ErrNotFound.
	PhoneChallenge(ctx context.Context, bindingID, purpose string) (Challenge, error)

	// CreatePhoneChallenge stores a new challenge; c.Version is 1. It
	// returns an error wrapping store.ErrConflict if a challenge for
	// (c.BindingID, c.Purpose) exists already (a concurrent Send created it
	// first).
	CreatePhoneChallenge(ctx context.Context, c Challenge) error

	// UpdatePhoneChallenge replaces every field of the challenge of
	// (c.BindingID, c.Purpose) with those of c, c.Version included, but
	// only if the stored Version equals prevVersion: a compare-and-set, in
	// one statement (UPDATE ... WHERE binding_id = $1 AND purpose = $2 AND
	// version = $prev). It returns an error wrapping store.ErrNotFound if
	// there is no such challenge, and one wrapping store.ErrConflict if its
	// Version is not prevVersion (someone else wrote it meanwhile).
	//
	// This is what makes a code single use across nodes: of two concurrent
	// Verify calls that read the same version and both found the right
	// code, exactly one update succeeds, whatever the isolation level.
	UpdatePhoneChallenge(ctx context.Context, prevVersion int64, c Challenge) error

	// DeletePhoneChallenges deletes every challenge of bindingID, whatever
	// the purpose, and returns how many it deleted (0 is not an error).
	// Used when an enrolment is abandoned or erased.
	DeletePhoneChallenges(ctx context.Context, bindingID string) (deleted int64, err error)

	// PrunePhoneChallenges deletes the challenges whose KeepUntil is before
	// before, and returns how many it deleted.
	PrunePhoneChallenges(ctx context.Context, before time.Time) (deleted int64, err error)
}
