package rp

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

// secretBytes is the entropy of a client secret: 256 bits.
const secretBytes = 32

// secretDomain separates these hashes from any other SHA-256 of the same
// bytes.
const secretDomain = "netid/rp-client-secret/v1\x00"

// SecretHash returns what the registry stores of a client secret: SHA-256
// over a domain prefix and the secret. See the package documentation for
// why a fast unkeyed hash is right for 256-bit random secrets.
func SecretHash(secret string) []byte {
	h := sha256.New()
	h.Write([]byte(secretDomain))
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// SecretMatches reports, in constant time, whether secret is the RP's
// current client secret.
func (r RP) SecretMatches(secret string) bool {
	if len(r.SecretHash) == 0 || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare(SecretHash(secret), r.SecretHash) == 1
}

// newSecret draws a client secret: 32 random bytes in unpadded base64url
// (43 characters, safe in HTTP Basic authentication and form bodies).
func newSecret(rand io.Reader) (string, error) {
	b := make([]byte, secretBytes)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("rp: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newClientID draws a client id: "rp-" and 32 hex digits (128 random
// bits). Ids are public, so they need uniqueness, not secrecy.
func newClientID(rand io.Reader) (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(rand, b); err != nil {
		return "", fmt.Errorf("rp: random: %w", err)
	}
	return "rp-" + hex.EncodeToString(b), nil
}
