package keystore

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// keyFileVersion is the format version of key files.
const keyFileVersion = 1

// keyFile is the JSON form of one key in the key directory, <id>.json.
// encoding/json writes the byte slices in standard base64.
type keyFile struct {
	Version      int       `json:"version"`
	ID           string    `json:"id"`
	Purpose      Purpose   `json:"purpose"`
	Algorithm    string    `json:"algorithm"`
	State        State     `json:"state"`
	Created      time.Time `json:"created"`
	StateChanged time.Time `json:"state_changed"`
	// ActivateAt is when a pending key becomes active (RFC 3339); absent
	// for every other state.
	ActivateAt time.Time `json:"activate_at,omitzero"`
	// PKCS8 is the private key of a signing key (absent once retired).
	PKCS8 []byte `json:"pkcs8,omitempty"`
	// Public is the PKIX public key of a signing key, kept after retirement
	// for audit.
	Public []byte `json:"public,omitempty"`
	// Secret is the key of a MAC or AEAD key (absent once retired).
	Secret []byte `json:"secret,omitempty"`
}

func (f *keyFile) meta() Meta {
	return Meta{ID: f.ID, Purpose: f.Purpose, Algorithm: f.Algorithm, State: f.State, Created: f.Created, StateChanged: f.StateChanged, ActivateAt: f.ActivateAt}
}

// loadedKey is a key file parsed into usable material.
type loadedKey struct {
	file   keyFile
	alg    algorithm
	signer crypto.Signer    // signing keys not retired
	public crypto.PublicKey // signing keys
}

// parseKeyFile decodes and validates the content of key file name. Key files
// are outside data (an operator may have edited or copied one), so every
// field is checked and the material must parse and agree with itself.
func parseKeyFile(name string, data []byte) (*loadedKey, error) {
	var f keyFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("keystore: key file %s: %w", name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("keystore: key file %s: trailing data after the JSON object", name)
	}
	k, err := f.load()
	if err != nil {
		return nil, fmt.Errorf("keystore: key file %s: %w", name, err)
	}
	if want := f.ID + ".json"; name != want {
		return nil, fmt.Errorf("keystore: key file %s holds key %s: it must be named %s", name, f.ID, want)
	}
	return k, nil
}

// load checks f and turns its material into a loadedKey.
func (f *keyFile) load() (*loadedKey, error) {
	if f.Version != keyFileVersion {
		return nil, fmt.Errorf("unsupported version %d (want %d)", f.Version, keyFileVersion)
	}
	if err := checkMeta(f.meta()); err != nil {
		return nil, err
	}
	alg, err := lookupAlgorithm(f.Algorithm)
	if err != nil {
		return nil, err
	}
	k := &loadedKey{file: *f, alg: alg}
	retired := f.State == StateRetired
	switch alg.kind {
	case kindSign:
		if len(f.Secret) != 0 {
			return nil, errors.New("a signing key has no secret field")
		}
		if k.public, err = alg.suite.ParsePublicKey(f.Public); err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		if retired {
			if len(f.PKCS8) != 0 {
				return nil, errors.New("a retired key must not hold its private key")
			}
			return k, nil
		}
		if k.signer, err = alg.suite.ParsePrivateKey(f.PKCS8); err != nil {
			return nil, fmt.Errorf("private key: %w", err)
		}
		if !k.signer.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(k.public) {
			return nil, errors.New("the public key does not belong to the private key")
		}
	default:
		if len(f.PKCS8) != 0 || len(f.Public) != 0 {
			return nil, errors.New("a secret key has no pkcs8 or public field")
		}
		if retired {
			if len(f.Secret) != 0 {
				return nil, errors.New("a retired key must not hold its secret")
			}
			return k, nil
		}
		if len(f.Secret) != alg.secretSize {
			return nil, fmt.Errorf("secret is %d bytes, %s needs %d", len(f.Secret), f.Algorithm, alg.secretSize)
		}
	}
	return k, nil
}

// encode returns the file content for f.
func (f *keyFile) encode() ([]byte, error) {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
