package envelope

import (
	"context"
	"crypto/cipher"
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store"
)

// KeyWrapper wraps and unwraps data keys under a key-encryption key (KEK).
// *keystore.Store satisfies it: Wrap uses the active KEK, Unwrap any KEK that
// is not retired.
type KeyWrapper interface {
	// Wrap encrypts plaintext with associated data aad under the active KEK
	// and returns that KEK's id with the ciphertext.
	Wrap(ctx context.Context, aad, plaintext []byte) (kekID string, wrapped []byte, err error)
	// Unwrap decrypts the output of Wrap made under KEK kekID with aad.
	Unwrap(ctx context.Context, kekID string, aad, wrapped []byte) ([]byte, error)
}

// Envelope encrypts residents' sensitive fields, each resident under a data
// key of its own that a KEK wraps. It is safe for concurrent use.
//
// Plaintext data keys live only for the duration of a call, or for the life
// of an OwnerKey that the caller closes; nothing is cached.
type Envelope struct {
	suite suite.Suite
	keys  KeyWrapper
	store Store
	now   func() time.Time
	rand  io.Reader
}

// Option configures an Envelope.
type Option func(*Envelope)

// WithClock sets the clock that stamps DataKey.Created.
func WithClock(now func() time.Time) Option { return func(e *Envelope) { e.now = now } }

// WithRand sets the randomness for data keys and nonces (tests only).
func WithRand(r io.Reader) Option { return func(e *Envelope) { e.rand = r } }

// New returns an Envelope that encrypts with suite s, wraps data keys with
// keys and keeps them in st.
func New(s suite.Suite, keys KeyWrapper, st Store, opts ...Option) *Envelope {
	e := &Envelope{suite: s, keys: keys, store: st, now: time.Now, rand: cryptorand.Reader}
	for _, o := range opts {
		o(e)
	}
	return e
}

// CreateDataKey makes a random data key for owner (of the suite's AEAD key
// size), wraps it under the active KEK with associated data bound to the
// owner, and stores it. It returns an error wrapping store.ErrConflict if
// the owner has a data key already. The plaintext key is erased before
// returning.
func (e *Envelope) CreateDataKey(ctx context.Context, owner string) error {
	if owner == "" {
		return errors.New("envelope: empty owner")
	}
	key := make([]byte, e.suite.AEADKeySize())
	defer clear(key)
	if _, err := io.ReadFull(e.rand, key); err != nil {
		return fmt.Errorf("envelope: data key: %w", err)
	}
	kekID, wrapped, err := e.keys.Wrap(ctx, dataKeyAAD(owner), key)
	if err != nil {
		return fmt.Errorf("envelope: wrap data key: %w", err)
	}
	dk := DataKey{Owner: owner, KEKID: kekID, Wrapped: wrapped, Created: e.now().UTC()}
	if err := e.store.PutDataKey(ctx, dk); err != nil {
		return fmt.Errorf("envelope: store data key of %s: %w", owner, err)
	}
	return nil
}

// Shred destroys owner's wrapped data key (crypto-shredding): every field
// sealed for owner becomes unreadable, by anyone, including with the KEK,
// since the only copy of the data key under the KEK is gone. Shred is
// idempotent: shredding an owner without a key succeeds, so that it can run
// inside a retried transaction.
func (e *Envelope) Shred(ctx context.Context, owner string) error {
	err := e.store.DeleteDataKey(ctx, owner)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("envelope: shred %s: %w", owner, err)
	}
	return nil
}

// Seal encrypts plaintext as field of owner under owner's data key.
func (e *Envelope) Seal(ctx context.Context, owner, field string, plaintext []byte) ([]byte, error) {
	k, err := e.Unlock(ctx, owner)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	return k.Seal(field, plaintext)
}

// Open decrypts a ciphertext that Seal made for owner and field. It returns
// ErrShredded if owner has no data key, and ErrInvalidCiphertext if the
// ciphertext was altered or belongs to another owner or field.
func (e *Envelope) Open(ctx context.Context, owner, field string, ciphertext []byte) ([]byte, error) {
	k, err := e.Unlock(ctx, owner)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	return k.Open(field, ciphertext)
}

// Unlock unwraps owner's data key for several Seal and Open calls (the
// fields of one enrolment, of one data export) with one store read and one
// unwrap. The caller must Close the OwnerKey, which erases the key; this is
// the only way a plaintext data key outlives a call, and its life is the
// caller's to bound.
func (e *Envelope) Unlock(ctx context.Context, owner string) (*OwnerKey, error) {
	dk, err := e.store.DataKey(ctx, owner)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: owner %s", ErrShredded, owner)
	}
	if err != nil {
		return nil, fmt.Errorf("envelope: data key of %s: %w", owner, err)
	}
	key, err := e.keys.Unwrap(ctx, dk.KEKID, dataKeyAAD(owner), dk.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("envelope: unwrap data key of %s: %w", owner, err)
	}
	if len(key) != e.suite.AEADKeySize() {
		clear(key)
		return nil, fmt.Errorf("envelope: data key of %s is %d bytes, suite %s needs %d", owner, len(key), e.suite.Name(), e.suite.AEADKeySize())
	}
	aead, err := e.suite.NewAEAD(key)
	if err != nil {
		clear(key)
		return nil, err
	}
	return &OwnerKey{owner: owner, format: formatFor(e.suite), key: key, aead: aead, rand: e.rand}, nil
}

// OwnerKey is one owner's unwrapped data key, from Unlock. It is safe for
// concurrent use until closed.
type OwnerKey struct {
	owner  string
	format byte
	rand   io.Reader

	mu   sync.Mutex
	key  []byte
	aead cipher.AEAD // nil once closed
}

// errClosed is returned by an OwnerKey used after Close.
var errClosed = errors.New("envelope: owner key used after Close")

// Close erases the data key. The AEAD's expanded key schedule is left to the
// garbage collector: Go gives no way to erase it.
func (k *OwnerKey) Close() {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.key)
	k.key, k.aead = nil, nil
}

func (k *OwnerKey) cipher() (cipher.AEAD, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.aead == nil {
		return nil, errClosed
	}
	return k.aead, nil
}

// Seal encrypts plaintext as field of the key's owner, with a random nonce.
// A data key seals a resident's handful of fields, far below the 2^32
// messages that random 96-bit nonces allow (NIST SP 800-38D section 8.3).
func (k *OwnerKey) Seal(field string, plaintext []byte) ([]byte, error) {
	if field == "" {
		return nil, errors.New("envelope: empty field name")
	}
	aead, err := k.cipher()
	if err != nil {
		return nil, err
	}
	ns := aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+aead.Overhead())
	out[0] = k.format
	if _, err := io.ReadFull(k.rand, out[1:]); err != nil {
		return nil, fmt.Errorf("envelope: nonce: %w", err)
	}
	return aead.Seal(out, out[1:], plaintext, fieldAAD(k.format, k.owner, field)), nil
}

// Open decrypts a ciphertext that Seal made for the key's owner and field.
func (k *OwnerKey) Open(field string, ciphertext []byte) ([]byte, error) {
	aead, err := k.cipher()
	if err != nil {
		return nil, err
	}
	nonce, body, err := splitCiphertext(ciphertext, k.format, aead.NonceSize(), aead.Overhead())
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, nonce, body, fieldAAD(k.format, k.owner, field))
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed (altered, or sealed for another owner or field)", ErrInvalidCiphertext)
	}
	return pt, nil
}
