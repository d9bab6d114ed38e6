package keystore

import (
	"fmt"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
)

// kind is the capability a key offers.
type kind string

const (
	kindSign kind = "signing"
	kindMAC  kind = "MAC"
	kindAEAD kind = "key-encryption"
)

// macKeySize is the size of BlindIndex and Cookie keys: the output size of
// both suite hashes, as RFC 2104 section 3 recommends.
const macKeySize = 32

// kindOf returns the capability of keys of purpose p ("" if p is unknown).
func kindOf(p Purpose) kind {
	switch p {
	case TokenSigning, CA, LogSigning:
		return kindSign
	case BlindIndex, Cookie:
		return kindMAC
	case KeyEncryption:
		return kindAEAD
	default:
		return ""
	}
}

// algorithmFor returns the algorithm new keys of purpose p get under suite s.
func algorithmFor(p Purpose, s suite.Suite) string {
	a := s.Algorithms()
	switch p {
	case TokenSigning:
		return AlgES256
	case CA, LogSigning:
		return a.Signature
	case BlindIndex, Cookie:
		return a.MAC
	case KeyEncryption:
		return a.AEAD
	default:
		return ""
	}
}

// algorithm is what an algorithm name means for a key.
type algorithm struct {
	kind kind
	// suite implements the algorithm (intl for AlgES256).
	suite suite.Suite
	// secretSize is the size of a MAC or AEAD key; 0 for signing keys.
	secretSize int
}

// lookupAlgorithm resolves an algorithm name found in a key file or given to
// a backend. It loops over the two suites; there is no registry.
func lookupAlgorithm(name string) (algorithm, error) {
	if name == AlgES256 {
		s, err := suite.New(suite.Intl)
		return algorithm{kind: kindSign, suite: s}, err
	}
	for _, n := range suite.Names() {
		s, err := suite.New(n)
		if err != nil {
			return algorithm{}, err
		}
		switch a := s.Algorithms(); name {
		case a.Signature:
			return algorithm{kind: kindSign, suite: s}, nil
		case a.MAC:
			return algorithm{kind: kindMAC, suite: s, secretSize: macKeySize}, nil
		case a.AEAD:
			return algorithm{kind: kindAEAD, suite: s, secretSize: s.AEADKeySize()}, nil
		}
	}
	return algorithm{}, fmt.Errorf("keystore: unknown algorithm %q", name)
}

// checkMeta validates metadata from a backend: known purpose and state, an
// algorithm of the purpose's kind, a well-formed id and a creation time.
func checkMeta(m Meta) error {
	if !ValidID(m.ID) {
		return fmt.Errorf("keystore: invalid key id %q", m.ID)
	}
	k := kindOf(m.Purpose)
	if k == "" {
		return fmt.Errorf("keystore: key %s: unknown purpose %q", m.ID, m.Purpose)
	}
	alg, err := lookupAlgorithm(m.Algorithm)
	if err != nil {
		return fmt.Errorf("keystore: key %s: %w", m.ID, err)
	}
	if alg.kind != k {
		return fmt.Errorf("keystore: key %s: algorithm %s is not a %s algorithm, as purpose %s needs", m.ID, m.Algorithm, k, m.Purpose)
	}
	if m.Purpose == TokenSigning && m.Algorithm != AlgES256 {
		return fmt.Errorf("keystore: key %s: token-signing keys must be %s, not %s", m.ID, AlgES256, m.Algorithm)
	}
	switch m.State {
	case StateActive, StateRetiring, StateRetired, StatePending:
	default:
		return fmt.Errorf("keystore: key %s: unknown state %q", m.ID, m.State)
	}
	if m.Created.IsZero() {
		return fmt.Errorf("keystore: key %s: no creation time", m.ID)
	}
	// A pending key without an activation time would never become active
	// (or, read as the zero time, would be active at once); an activation
	// time on another state would be a leftover that nothing reads.
	switch {
	case m.State == StatePending && m.ActivateAt.IsZero():
		return fmt.Errorf("keystore: key %s: a pending key needs an activation time (activate_at)", m.ID)
	case m.State == StatePending && !m.ActivateAt.After(m.Created):
		return fmt.Errorf("keystore: key %s: activation time %s is not after its creation %s", m.ID,
			m.ActivateAt.UTC().Format(time.RFC3339Nano), m.Created.UTC().Format(time.RFC3339Nano))
	case m.State != StatePending && !m.ActivateAt.IsZero():
		return fmt.Errorf("keystore: key %s: only a pending key has an activation time (activate_at), not a %s one", m.ID, m.State)
	}
	return nil
}
