package phone

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/throttle"
)

// Verifier sends one-time codes by SMS and checks them. All its state is in
// the Store, so any node can serve any request; it is safe for concurrent
// use.
type Verifier struct {
	store       Store
	sender      Sender
	cfg         config
	keys        keys
	numberLimit *throttle.Limiter
}

// ChallengeInfo is what Send tells the caller about the code it sent.
type ChallengeInfo struct {
	// To is the recipient, redacted ("+86 138****8000"), to show the
	// resident where the code went.
	To string
	// CodeLength is the number of digits of the code.
	CodeLength int
	// ExpiresAt is when the code stops being accepted.
	ExpiresAt time.Time
	// ResendAt is the earliest time of the next Send.
	ResendAt time.Time
	// AttemptsLeft is how many wrong codes the challenge accepts.
	AttemptsLeft int
	// SendsLeft is how many more codes this challenge may send in the
	// current window (the per-number limit may stop it sooner).
	SendsLeft int
}

// New returns a Verifier keeping its state in s and sending through sender.
// WithKey is required; the other options have the documented defaults. New
// reports every configuration problem at once.
func New(s Store, sender Sender, opts ...Option) (*Verifier, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	var errs []error
	if s == nil {
		errs = append(errs, errors.New("phone: nil store"))
	}
	if sender == nil {
		errs = append(errs, errors.New("phone: nil sender"))
	}
	if err := cfg.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// Durations are kept at the store's precision, so that every stored
	// time stays a whole number of microseconds.
	for _, d := range []*time.Duration{&cfg.ttl, &cfg.resend, &cfg.sendWindow, &cfg.numberWindow} {
		*d = d.Truncate(time.Microsecond)
	}
	lim, err := throttle.NewLimiter(s, throttle.Limit{Scope: numberLimitScope, Max: cfg.numberMax, Window: cfg.numberWindow},
		throttle.WithClock(cfg.now))
	if err != nil {
		return nil, fmt.Errorf("phone: per-number limit: %w", err)
	}
	return &Verifier{store: s, sender: sender, cfg: cfg, keys: deriveKeys(cfg.mac, cfg.secret), numberLimit: lim}, nil
}

// Forget deletes every challenge of bindingID, when its enrolment is
// abandoned or erased.
func (v *Verifier) Forget(ctx context.Context, bindingID string) error {
	if !validBindingID(bindingID) {
		return fmt.Errorf("%w: binding id must be 1 to 128 printable ASCII characters", ErrInvalidRequest)
	}
	if _, err := v.store.DeletePhoneChallenges(ctx, bindingID); err != nil {
		return fmt.Errorf("phone: forget challenges: %w", err)
	}
	return nil
}

// Prune deletes the challenges that no longer matter (their code expired,
// their resend wait and send window over) and returns how many. Run it
// periodically; the per-number counters are pruned with the other
// throttle counters (throttle.Store.ThrottlePrune).
func (v *Verifier) Prune(ctx context.Context) (int64, error) {
	n, err := v.store.PrunePhoneChallenges(ctx, v.now())
	if err != nil {
		return n, fmt.Errorf("phone: prune challenges: %w", err)
	}
	return n, nil
}

// errLostRace reports that a concurrent Send or Verify wrote the challenge
// between our read and our write. inTx retries the whole transaction.
var errLostRace = fmt.Errorf("phone: challenge changed concurrently: %w", store.ErrConflict)

// maxRaceRetries bounds inTx's retries after lost races. Each retry reads
// the new state, which almost always settles the matter (the code is used,
// the resend interval is running).
const maxRaceRetries = 3

func writeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		// NotFound: the challenge was deleted between read and write.
		return fmt.Errorf("%w (%w)", errLostRace, err)
	default:
		return fmt.Errorf("phone: write challenge: %w", err)
	}
}

// inTx runs fn in a store transaction, again if it lost a race.
func (v *Verifier) inTx(ctx context.Context, fn func(ctx context.Context) error) error {
	var err error
	for range maxRaceRetries {
		err = v.store.InTx(ctx, fn)
		if !errors.Is(err, errLostRace) {
			return err
		}
	}
	return err
}

// now returns the time as stored: UTC, microseconds.
func (v *Verifier) now() time.Time { return v.cfg.now().UTC().Truncate(time.Microsecond) }

func latest(t time.Time, ts ...time.Time) time.Time {
	for _, u := range ts {
		if u.After(t) {
			t = u
		}
	}
	return t
}

func newMessageID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("phone: read random: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func checkIDs(purpose, bindingID string) error {
	if !validPurpose(purpose) {
		return fmt.Errorf("%w: purpose must be 1 to 64 characters of a-z, 0-9, '.', '_', '-'", ErrInvalidRequest)
	}
	if !validBindingID(bindingID) {
		return fmt.Errorf("%w: binding id must be 1 to 128 printable ASCII characters", ErrInvalidRequest)
	}
	return nil
}

func validPurpose(p string) bool {
	if len(p) < 1 || len(p) > 64 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func validBindingID(id string) bool {
	if len(id) < 1 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}
