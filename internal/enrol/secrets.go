package enrol

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/store"
)

// Sizes of the random values the Service draws.
const (
	tokenBytes  = 32 // capability tokens: 256 bits, never guessable
	idBytes     = 16 // enrolment, resident and registrar ids: 128 bits
	nonceBytes  = 24 // the CSR nonce (credential.MinNonceLen is 16)
	secretBytes = 32 // the dynamic-code secret (RFC 4226 wants at least 20)
)

// Field names under which values are sealed. A ciphertext opens only under
// the field it was sealed for, so a value cannot be moved to another column.
const (
	fieldIdentity = "identity"
	fieldPortrait = "portrait"
	fieldPhone    = "phone"
	fieldTemplate = "face-template"
	fieldGuardian = "guardian-evidence"
	fieldDynamic  = "dynamic-code-secret"
)

// Domain separation of the blind indexes: one MAC key serves several
// indexes, so each message starts with what it is.
const (
	anchorDomain   = "netid/identity-anchor/v1\x00"
	phoneDomain    = "netid/phone/v1\x00"
	throttleDomain = "netid/throttle/v1\x00"
)

// random returns n random bytes from the Service's source.
func (s *Service) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return nil, fmt.Errorf("enrol: random: %w", err)
	}
	return b, nil
}

// randomString returns n random bytes in unpadded base64url.
func (s *Service) randomString(n int) (string, error) {
	b, err := s.random(n)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashSecret returns the suite hash of a high-entropy secret (a token, an
// approval code). Such secrets need no slow hash: they cannot be guessed.
func (s *Service) hashSecret(secret string) []byte {
	return s.suite.Hash([]byte(secret))
}

// secretMatches compares secret with a stored hash in constant time.
func (s *Service) secretMatches(secret string, hash []byte) bool {
	return len(hash) > 0 && subtle.ConstantTimeCompare(s.hashSecret(secret), hash) == 1
}

// blindIndex returns the MAC of msg under the active blind-index key, with
// that key's id.
func (s *Service) blindIndex(ctx context.Context, msg string) (keyID string, idx []byte, err error) {
	keyID, idx, err = s.d.Keys.ActiveMAC(ctx, keystore.BlindIndex, []byte(msg))
	if err != nil {
		return "", nil, fmt.Errorf("enrol: blind index: %w", err)
	}
	return keyID, idx, nil
}

// blindIndexes returns the MACs of msg under every blind-index key that
// still computes them (active and retiring): a value indexed before a
// rotation, and not re-indexed yet, is still found.
func (s *Service) blindIndexes(ctx context.Context, msg string) ([][]byte, error) {
	var out [][]byte
	for _, m := range s.d.Keys.List(keystore.BlindIndex) {
		if m.State != keystore.StateActive && m.State != keystore.StateRetiring {
			continue
		}
		idx, err := s.d.Keys.MAC(ctx, m.ID, []byte(msg))
		if err != nil {
			return nil, fmt.Errorf("enrol: blind index: %w", err)
		}
		out = append(out, idx)
	}
	if len(out) == 0 {
		return nil, errors.New("enrol: blind index: no usable key")
	}
	return out, nil
}

// throttleKey is the non-identifying counter key of a value (an address,
// an internet number): a keyed hash, so that the counters table reveals
// neither. Keyed under the active key only: a rotation restarts the
// counters, which is harmless.
func (s *Service) throttleKey(ctx context.Context, kind, value string) (string, error) {
	_, mac, err := s.blindIndex(ctx, throttleDomain+kind+"\x00"+value)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(mac), nil
}

// identityRecord is the identity established by the evidence, sealed as
// JSON under the resident's data key. The anchor's clear form is here, for
// display to the resident; the database holds only its blind index.
type identityRecord struct {
	Name           string        `json:"name"`
	BirthDate      document.Date `json:"birth_date"`
	Sex            string        `json:"sex,omitempty"`
	Nationality    string        `json:"nationality,omitempty"`
	DocType        string        `json:"doc_type,omitempty"`
	DocumentNumber string        `json:"document_number,omitempty"`
	IssuingState   string        `json:"issuing_state,omitempty"`
	Expiry         document.Date `json:"expiry,omitzero"`
	// AnchorAuthority and AnchorPerson are the normalised identity anchor.
	AnchorAuthority string `json:"anchor_authority"`
	AnchorPerson    string `json:"anchor_person"`
	// Verification is the authority's verification id (authority
	// pathway) or the document signer's subject (chip pathway), for audit.
	Verification string `json:"verification,omitempty"`
	// Assisted is the registrar-recorded evidence of an assisted
	// enrolment, kept after an upgrade for the record.
	Assisted *assistedRecord `json:"assisted,omitempty"`
}

// assistedRecord is the sealed part of AssistedEvidence.
type assistedRecord struct {
	Kind        AssistedKind `json:"kind"`
	Reference   string       `json:"reference"`
	Issuer      string       `json:"issuer,omitempty"`
	Notes       string       `json:"notes,omitempty"`
	RegistrarID string       `json:"registrar_id"`
}

// anchorMessage is the blind-index input of an identity anchor.
func (r identityRecord) anchorMessage() string {
	return string(AnchorIndexInput(r.AnchorAuthority, r.AnchorPerson))
}

// sealJSON marshals v and seals it as field of owner.
func (s *Service) sealJSON(ctx context.Context, owner, field string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("enrol: seal %s: %w", field, err)
	}
	return s.seal(ctx, owner, field, b)
}

// seal seals b as field of owner; empty input seals to empty output, so
// that an absent value stays absent.
func (s *Service) seal(ctx context.Context, owner, field string, b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	ct, err := s.d.Envelope.Seal(ctx, owner, field, b)
	if err != nil {
		return nil, fmt.Errorf("enrol: seal %s: %w", field, err)
	}
	return ct, nil
}

// open opens what seal made; empty stays empty.
func (s *Service) open(ctx context.Context, owner, field string, ct []byte) ([]byte, error) {
	if len(ct) == 0 {
		return nil, nil
	}
	b, err := s.d.Envelope.Open(ctx, owner, field, ct)
	if err != nil {
		return nil, fmt.Errorf("enrol: open %s: %w", field, err)
	}
	return b, nil
}

// openIdentity opens a sealed identityRecord.
func (s *Service) openIdentity(ctx context.Context, owner string, ct []byte) (identityRecord, error) {
	var r identityRecord
	b, err := s.open(ctx, owner, fieldIdentity, ct)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("enrol: open identity: %w", err)
	}
	return r, nil
}

// findAnchor returns the identity anchor recorded for r under any usable
// blind-index key, or an error wrapping store.ErrNotFound.
func (s *Service) findAnchor(ctx context.Context, r identityRecord) (IdentityAnchor, error) {
	idxs, err := s.blindIndexes(ctx, r.anchorMessage())
	if err != nil {
		return IdentityAnchor{}, err
	}
	for _, idx := range idxs {
		a, err := s.d.Store.IdentityAnchor(ctx, idx)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return a, err
		}
	}
	return IdentityAnchor{}, store.ErrNotFound
}
