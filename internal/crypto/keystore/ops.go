package keystore

import (
	"context"
	"crypto"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"time"
)

// Signer returns a crypto.Signer for the active, pending or retiring signing
// key id. The signer checks the key's state at every signature, so a key
// retired later stops signing even through a signer obtained before, and a
// pending key signs only from its activation time (ErrPending before). Retiring keys
// still sign because some signatures must come from a given key (a CRL for
// the certificates a retiring CA key issued); new work uses ActiveSigner.
func (s *Store) Signer(id string) (crypto.Signer, error) {
	if _, err := s.meta(context.Background(), id, kindSign); err != nil {
		return nil, err
	}
	inner, err := s.backend.Signer(id)
	if err != nil {
		return nil, fmt.Errorf("keystore: signer %s: %w", id, err)
	}
	return storeSigner{store: s, id: id, inner: inner}, nil
}

// ActiveSigner returns the active key of signing purpose p and its signer.
// Meta.ID is the key id to name in signatures (the JOSE "kid").
func (s *Store) ActiveSigner(p Purpose) (Meta, crypto.Signer, error) {
	if kindOf(p) != kindSign {
		return Meta{}, nil, fmt.Errorf("%w: %s keys do not sign", ErrWrongPurpose, p)
	}
	m, err := s.active(p)
	if err != nil {
		return Meta{}, nil, err
	}
	signer, err := s.Signer(m.ID)
	return m, signer, err
}

// PublicKeys returns the verification keys of signing purpose p: the active
// key, the pending ones and the retiring ones, oldest first. It is what JWKS
// publishes and what verifiers accept; retired keys are left out. A pending
// key is listed from the moment it is loaded, before any node signs with
// it, so that a verifier fetching JWKS from any node that has reloaded
// knows it by the time it signs.
func (s *Store) PublicKeys(p Purpose) ([]PublicKey, error) {
	if kindOf(p) != kindSign {
		return nil, fmt.Errorf("%w: %s keys have no public key", ErrWrongPurpose, p)
	}
	var out []PublicKey
	for _, m := range s.List(p) {
		if m.State == StateRetired {
			continue
		}
		pub, err := s.backend.PublicKey(m.ID)
		if err != nil {
			return nil, fmt.Errorf("keystore: public key %s: %w", m.ID, err)
		}
		out = append(out, PublicKey{Meta: m, Key: pub})
	}
	return out, nil
}

// PublicKey returns the public key of signing key id in any state, retired
// included, for audit of old signatures (transparency-log checkpoints signed
// years ago). Verification of new material uses PublicKeys.
func (s *Store) PublicKey(id string) (PublicKey, error) {
	m, ok := s.lookup(id)
	if !ok && ValidID(id) {
		if err := s.reloadAfterMiss(context.Background()); err != nil {
			return PublicKey{}, fmt.Errorf("%w: %q (reloading the keys: %w)", ErrNotFound, id, err)
		}
		m, ok = s.lookup(id)
	}
	if !ok {
		return PublicKey{}, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if kindOf(m.Purpose) != kindSign {
		return PublicKey{}, fmt.Errorf("%w: key %s is a %s key", ErrWrongPurpose, id, m.Purpose)
	}
	pub, err := s.backend.PublicKey(id)
	if err != nil {
		return PublicKey{}, fmt.Errorf("keystore: public key %s: %w", id, err)
	}
	return PublicKey{Meta: m, Key: pub}, nil
}

// MAC returns the MAC of msg under the active or retiring MAC key id
// (purposes BlindIndex and Cookie).
func (s *Store) MAC(ctx context.Context, id string, msg []byte) ([]byte, error) {
	if _, err := s.meta(ctx, id, kindMAC); err != nil {
		return nil, err
	}
	mac, err := s.backend.MAC(ctx, id, msg)
	if err != nil {
		return nil, fmt.Errorf("keystore: MAC with %s: %w", id, err)
	}
	return mac, nil
}

// ActiveMAC returns the MAC of msg under the active key of MAC purpose p,
// and that key's id, to be stored next to the MAC.
func (s *Store) ActiveMAC(ctx context.Context, p Purpose, msg []byte) (id string, mac []byte, err error) {
	if kindOf(p) != kindMAC {
		return "", nil, fmt.Errorf("%w: %s keys do not MAC", ErrWrongPurpose, p)
	}
	m, err := s.active(p)
	if err != nil {
		return "", nil, err
	}
	mac, err = s.MAC(ctx, m.ID, msg)
	return m.ID, mac, err
}

// VerifyMAC checks mac over msg against every active and retiring key of MAC
// purpose p, in constant time for each, and returns the key that matched.
// It is for values that do not name their key, such as cookies issued
// before a rotation.
func (s *Store) VerifyMAC(ctx context.Context, p Purpose, msg, mac []byte) (Meta, error) {
	if kindOf(p) != kindMAC {
		return Meta{}, fmt.Errorf("%w: %s keys do not MAC", ErrWrongPurpose, p)
	}
	for _, m := range s.List(p) {
		if m.State == StateRetired {
			continue
		}
		want, err := s.MAC(ctx, m.ID, msg)
		if errors.Is(err, ErrRetired) || errors.Is(err, ErrNotFound) {
			continue // retired or dropped by a concurrent Reload
		}
		if err != nil {
			return Meta{}, err
		}
		if subtle.ConstantTimeCompare(want, mac) == 1 {
			return m, nil
		}
	}
	return Meta{}, ErrMACMismatch
}

// Wrap encrypts plaintext (a data key) under the active key-encryption key,
// with associated data aad, and returns the KEK's id with the ciphertext.
func (s *Store) Wrap(ctx context.Context, aad, plaintext []byte) (kekID string, wrapped []byte, err error) {
	m, err := s.active(KeyEncryption)
	if err != nil {
		return "", nil, err
	}
	wrapped, err = s.backend.Seal(ctx, m.ID, aad, plaintext)
	if err != nil {
		return "", nil, fmt.Errorf("keystore: wrap with %s: %w", m.ID, err)
	}
	return m.ID, wrapped, nil
}

// Unwrap decrypts the output of Wrap with the active or retiring KEK kekID.
// It fails with ErrRetired once the KEK is retired, and with ErrUnwrap if
// wrapped or aad was altered.
func (s *Store) Unwrap(ctx context.Context, kekID string, aad, wrapped []byte) ([]byte, error) {
	if _, err := s.meta(ctx, kekID, kindAEAD); err != nil {
		return nil, err
	}
	pt, err := s.backend.Open(ctx, kekID, aad, wrapped)
	if err != nil {
		return nil, fmt.Errorf("%w with %s: %w", ErrUnwrap, kekID, err)
	}
	return pt, nil
}

// storeSigner is the crypto.Signer the Store hands out: it refuses to sign
// once its key is retired (or gone after a Reload), and before the
// activation time of a pending key.
type storeSigner struct {
	store *Store
	id    string
	inner crypto.Signer
}

func (k storeSigner) Public() crypto.PublicKey { return k.inner.Public() }

func (k storeSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	return k.inner.Sign(r, digest, opts)
}

// check refuses a key that is retired or unknown, and a pending key before
// its activation time: until then some node may not publish it.
func (k storeSigner) check() error {
	m, err := k.store.meta(context.Background(), k.id, kindSign)
	if err != nil {
		return err
	}
	if m.State == StatePending {
		if now := k.store.now(); !isDue(m, now) {
			return fmt.Errorf("%w: %s signs from %s", ErrPending, k.id, m.ActivateAt.UTC().Format(time.RFC3339Nano))
		}
	}
	return nil
}

// SignMessage makes storeSigner a crypto.MessageSigner that passes the
// message on to an inner MessageSigner (or hashes it for an inner Signer),
// so that wrapping changes nothing in how a signature is made.
func (k storeSigner) SignMessage(r io.Reader, msg []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := k.check(); err != nil {
		return nil, err
	}
	return crypto.SignMessage(k.inner, r, msg, opts)
}
