package keystore

import (
	"context"
	"crypto"
	cryptorand "crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
)

// Purpose says what a key is for. A key serves exactly one purpose.
type Purpose string

const (
	// TokenSigning keys sign OIDC ID tokens and JWTs. They are always ECDSA
	// P-256 (JOSE "ES256"), whatever the suite, so that every OIDC library
	// verifies the tokens (RFC 7518 section 3.4).
	TokenSigning Purpose = "token-signing"
	// CA keys sign internet certificates, CRLs and OCSP responses (suite
	// signature algorithm).
	CA Purpose = "ca"
	// LogSigning keys sign transparency-log checkpoints (suite signature
	// algorithm).
	LogSigning Purpose = "log-signing"
	// BlindIndex keys are 32-byte keys of the suite MAC, for blind indexes
	// and pairwise subjects.
	BlindIndex Purpose = "blind-index"
	// KeyEncryption keys (KEKs) wrap per-resident data keys with the suite
	// AEAD.
	KeyEncryption Purpose = "key-encryption"
	// Cookie keys are 32-byte keys of the suite MAC that authenticate
	// session and CSRF cookies.
	Cookie Purpose = "cookie"
)

// Purposes lists every purpose, in the order Bootstrap creates keys.
func Purposes() []Purpose {
	return []Purpose{TokenSigning, CA, LogSigning, BlindIndex, KeyEncryption, Cookie}
}

// State is where a key is in its life.
type State string

const (
	// StateActive keys do new work: sign, MAC, wrap. Check wants exactly
	// one active key per purpose.
	StateActive State = "active"
	// StateRetiring keys no longer do new work but still verify, MAC for
	// comparison, unwrap, and sign what must come from them (a CRL for the
	// certificates a retiring CA key issued).
	StateRetiring State = "retiring"
	// StateRetired keys do nothing. Their metadata, and the public key of a
	// signing key, are kept for audit; their secret material is destroyed.
	StateRetired State = "retired"
	// StatePending keys are published but not yet used: a rotation with a
	// delay (WithActivation) writes the new key pending, with the time
	// ActivateAt from which it does new work. PublicKeys lists it from the
	// start, so every node serves it in JWKS before any node signs with
	// it; from ActivateAt every node that has loaded it selects it as the
	// active key, at the same wall-clock moment and without any write, and
	// PromoteDue later records the change in its state.
	StatePending State = "pending"
)

// AlgES256 is the algorithm of TokenSigning keys: ECDSA P-256 with SHA-256
// as JOSE names it (RFC 7518 section 3.1).
const AlgES256 = "ES256"

// Meta describes a key without its material.
type Meta struct {
	// ID is random and URL-safe: the purpose, a dash and 24 hex digits. It
	// is the JOSE "kid" of token-signing keys and is stored next to every
	// wrapped data key and blind index.
	ID      string  `json:"id"`
	Purpose Purpose `json:"purpose"`
	// Algorithm is AlgES256 or one of the suite algorithm names:
	// "ecdsa-p256", "sm2", "hmac-sha256", "hmac-sm3", "aes-256-gcm",
	// "sm4-gcm".
	Algorithm string    `json:"algorithm"`
	State     State     `json:"state"`
	Created   time.Time `json:"created"`
	// StateChanged is when State last changed (Created for a key never
	// rotated out).
	StateChanged time.Time `json:"state_changed"`
	// ActivateAt is when a pending key becomes the active one; it is set
	// for pending keys only.
	ActivateAt time.Time `json:"activate_at,omitzero"`
}

// PublicKey is a verification key with its metadata, as JWKS publishes it.
type PublicKey struct {
	Meta
	Key crypto.PublicKey
}

// idPattern is what a key id may look like; it keeps ids safe as file names
// and URL path segments.
var idPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,40}-[0-9a-f]{24}$`)

// ValidID reports whether id has the form of a key id.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// newID returns a fresh random id for a key of purpose p. It contains no
// information about the key material.
func newID(p Purpose, r io.Reader) (string, error) {
	b := make([]byte, 12)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("keystore: key id: %w", err)
	}
	return string(p) + "-" + hex.EncodeToString(b), nil
}

// Option configures a Store.
type Option func(*options)

type options struct {
	now  func() time.Time
	rand io.Reader
}

// WithClock sets the clock used for creation and state-change times.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithRand sets the randomness used for key ids, key generation and nonces
// of the file backend. Tests use it; production keeps crypto/rand.
func WithRand(r io.Reader) Option { return func(o *options) { o.rand = r } }

func buildOptions(opts []Option) options {
	o := options{now: time.Now, rand: cryptorand.Reader}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Store is netid's key store. It keeps the metadata of every key and hands
// out capabilities (a crypto.Signer, a MAC, wrapping), never raw secret
// material, so that a Backend may keep keys in a hardware module. It is safe
// for concurrent use.
type Store struct {
	backend Backend
	suite   suite.Suite
	now     func() time.Time
	rand    io.Reader

	mu   sync.RWMutex
	keys map[string]Meta
	// loaded is the sequence number of the load whose keys are in keys,
	// loadedAt when it completed (both under mu).
	loaded   uint64
	loadedAt time.Time

	loadMu  sync.Mutex    // serialises loads
	started atomic.Uint64 // loads begun
	missMu  sync.Mutex    // serialises reloads after a miss
}

// New returns a Store over backend, for suite s, and loads the backend's
// keys. It does not create keys: call Bootstrap on first start, then Check.
func New(ctx context.Context, backend Backend, s suite.Suite, opts ...Option) (*Store, error) {
	o := buildOptions(opts)
	st := &Store{backend: backend, suite: s, now: o.now, rand: o.rand}
	if err := st.Reload(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

// OpenDir opens the file-backed key store in dir, creating dir (mode 0700)
// if it does not exist. It refuses a directory or key file that group or
// others may read or write, naming the file and the chmod that fixes it.
func OpenDir(dir string, s suite.Suite, opts ...Option) (*Store, error) {
	o := buildOptions(opts)
	b, err := openFileBackend(dir, o.rand)
	if err != nil {
		return nil, err
	}
	return New(context.Background(), b, s, opts...)
}

// Suite returns the suite the store was opened with.
func (s *Store) Suite() suite.Suite { return s.suite }

// NewKeyAlgorithm returns the algorithm that Rotate and Bootstrap give a new
// key of purpose p under the store's suite ("" for an unknown purpose).
func (s *Store) NewKeyAlgorithm(p Purpose) string { return algorithmFor(p, s.suite) }

// List returns the metadata of the keys of purpose p (every key if p is
// ""), oldest first, whatever their state.
func (s *Store) List(p Purpose) []Meta {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Meta
	for _, m := range s.keys {
		if p == "" || m.Purpose == p {
			out = append(out, m)
		}
	}
	sortMetas(out)
	return out
}

// sortMetas orders keys oldest first, by id among equals.
func sortMetas(ms []Meta) {
	slices.SortFunc(ms, func(a, b Meta) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
}

// meta returns the metadata of key id, checking that it is of purpose kind
// k and usable (not retired). An id the store does not know makes it reload
// once (reloadAfterMiss) before answering ErrNotFound: the key may be one
// that another process created since the last reload, such as the new KEK
// of a rotation that an operator's re-wrap has already used.
func (s *Store) meta(ctx context.Context, id string, k kind) (Meta, error) {
	m, ok := s.lookup(id)
	if !ok && ValidID(id) {
		if err := s.reloadAfterMiss(ctx); err != nil {
			return Meta{}, fmt.Errorf("%w: %q (reloading the keys: %w)", ErrNotFound, id, err)
		}
		m, ok = s.lookup(id)
	}
	switch {
	case !ok:
		return Meta{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	case kindOf(m.Purpose) != k:
		return Meta{}, fmt.Errorf("%w: key %s is a %s key, not a %s key", ErrWrongPurpose, id, m.Purpose, k)
	case m.State == StateRetired:
		return Meta{}, fmt.Errorf("%w: %s", ErrRetired, id)
	}
	return m, nil
}

// lookup returns the metadata of key id as last loaded.
func (s *Store) lookup(id string) (Meta, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.keys[id]
	return m, ok
}

// active returns the key that does new work for purpose p: a pending key
// whose activation time has come on the Store's clock, or else the active
// key. Should there be several active keys (two nodes rotated at once
// without a shared lock), the newest wins and Check reports the anomaly.
func (s *Store) active(p Purpose) (Meta, error) {
	s.mu.RLock()
	var cands []Meta
	for _, m := range s.keys {
		if m.Purpose == p && (m.State == StateActive || m.State == StatePending) {
			cands = append(cands, m)
		}
	}
	s.mu.RUnlock()
	best, ok := inUse(cands, s.now)
	if !ok {
		return Meta{}, fmt.Errorf("%w: purpose %s", ErrNoActiveKey, p)
	}
	return best, nil
}

// inUse returns the key among ms that does new work at now(): the due
// pending key with the latest activation time if there is one, else the
// newest active key. A due pending key wins over every active key, whatever
// the creation times: it was made while they were active (Rotate with a
// delay), so it is the newer one even if the rotating node's clock was
// behind the clock of the node that created them. The clock is read only if
// a pending key is among ms, so that a store without one reads it no more
// often than before pending keys existed.
func inUse(ms []Meta, now func() time.Time) (Meta, bool) {
	var (
		active, due Meta
		hasActive   bool
		hasDue      bool
		timed       bool
		t           time.Time
	)
	for _, m := range ms {
		switch m.State {
		case StateActive:
			if !hasActive || newer(m, active) {
				active, hasActive = m, true
			}
		case StatePending:
			if !timed {
				t, timed = now(), true
			}
			if !isDue(m, t) {
				continue
			}
			if !hasDue || m.ActivateAt.After(due.ActivateAt) || (m.ActivateAt.Equal(due.ActivateAt) && newer(m, due)) {
				due, hasDue = m, true
			}
		}
	}
	if hasDue {
		return due, true
	}
	return active, hasActive
}

// newer reports whether a was created after b, by id among equals.
func newer(a, b Meta) bool {
	return a.Created.After(b.Created) || (a.Created.Equal(b.Created) && a.ID > b.ID)
}

// isDue reports whether m is a pending key whose activation time has come
// at t.
func isDue(m Meta, t time.Time) bool {
	return m.State == StatePending && !t.Before(m.ActivateAt)
}
