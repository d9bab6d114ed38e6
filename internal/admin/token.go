package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/netid/netid/internal/store"
)

// An admin token is "adm-" and 16 hex digits (the public id), a dot, and 43
// base64url characters (32 random bytes, the secret): one RFC 6750 bearer
// token that names its own row, so that the check is one primary-key
// lookup and one constant-time comparison of hashes.
const (
	tokenIDPrefix  = "adm-"
	tokenIDHex     = 16
	tokenSecretLen = 43
	// MaxTokenName bounds a token's name, in bytes.
	MaxTokenName = 100
)

// tokenDomain separates these hashes from any other SHA-256 of the same
// bytes.
const tokenDomain = "netid/admin-token/v1\x00"

// secretHash is what the store keeps of a token: SHA-256 over a domain
// prefix, the id and the secret. A 256-bit random secret cannot be guessed,
// so a fast unkeyed hash suffices (as for client secrets, see package rp);
// binding the id keeps a hash copied to another row from matching.
func secretHash(id, secret string) []byte {
	h := sha256.New()
	h.Write([]byte(tokenDomain))
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// parseToken splits a bearer token into id and secret, or reports that it
// is not an admin token.
func parseToken(s string) (id, secret string, ok bool) {
	id, secret, ok = strings.Cut(s, ".")
	if !ok || len(id) != len(tokenIDPrefix)+tokenIDHex || !strings.HasPrefix(id, tokenIDPrefix) ||
		len(secret) != tokenSecretLen {
		return "", "", false
	}
	for _, c := range id[len(tokenIDPrefix):] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", "", false
		}
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret); err != nil {
		return "", "", false
	}
	return id, secret, true
}

// checkTokenName reports what is wrong with a token name: it must be 1 to
// MaxTokenName bytes of valid UTF-8 without control characters, and must
// not start with "local:", which the audit trail reserves for operator
// commands.
func checkTokenName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("%w: the token name is empty", ErrInvalid)
	case name != strings.TrimSpace(name):
		return fmt.Errorf("%w: the token name has leading or trailing spaces", ErrInvalid)
	case len(name) > MaxTokenName:
		return fmt.Errorf("%w: the token name is %d bytes long, more than %d", ErrInvalid, len(name), MaxTokenName)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: the token name is not valid UTF-8", ErrInvalid)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: the token name contains a control character", ErrInvalid)
	case strings.HasPrefix(name, LocalPrefix):
		return fmt.Errorf("%w: token names must not start with %q, which marks operator commands", ErrInvalid, LocalPrefix)
	}
	return nil
}

// LocalPrefix starts the admin name of operator commands in the audit
// trail: "local:" and the operating system user.
const LocalPrefix = "local:"

// CreateToken creates an admin API token named name and returns it with
// the bearer token, which is shown this once: only its hash is kept. Two
// usable tokens cannot share a name (ErrConflict in the chain).
func (s *Service) CreateToken(ctx context.Context, a Actor, name string) (Token, string, error) {
	if err := checkTokenName(name); err != nil {
		return Token{}, "", err
	}
	idHex, err := randomHex(s.rand, tokenIDHex/2)
	if err != nil {
		return Token{}, "", err
	}
	secretBytes := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, secretBytes); err != nil {
		return Token{}, "", fmt.Errorf("admin: random: %w", err)
	}
	secret := base64.RawURLEncoding.EncodeToString(secretBytes)
	t := Token{ID: tokenIDPrefix + idHex, Name: name, Created: s.stamp()}
	t.SecretHash = secretHash(t.ID, secret)
	err = s.act(ctx, a, ActionTokenCreate, note{target: t.ID, detail: fmt.Sprintf("name %q", name)},
		func(ctx context.Context, _ *note) error {
			err := s.st.CreateAdminToken(ctx, t)
			if errors.Is(err, store.ErrConflict) {
				// The store's chain says nothing more to an operator.
				return fmt.Errorf("%w: a usable token is named %q already (revoke it first)", store.ErrConflict, name)
			}
			return err
		})
	if err != nil {
		return Token{}, "", err
	}
	return t, t.ID + "." + secret, nil
}

// Tokens lists every admin token, revoked ones included, oldest first.
func (s *Service) Tokens(ctx context.Context) ([]Token, error) {
	return s.st.AdminTokens(ctx)
}

// RevokeToken revokes token id at once: the next request with it fails.
// ErrNotFound for an unknown id, ErrConflict (in the chain) for a token
// revoked already.
func (s *Service) RevokeToken(ctx context.Context, a Actor, id string) (Token, error) {
	var out Token
	err := s.act(ctx, a, ActionTokenRevoke, note{target: id}, func(ctx context.Context, n *note) error {
		t, err := s.st.AdminToken(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: no admin token %q", ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		n.detail = fmt.Sprintf("name %q", t.Name)
		if !t.Usable() {
			return fmt.Errorf("admin: token %s was revoked at %s: %w", id, t.Revoked.Format("2006-01-02T15:04:05Z"), store.ErrConflict)
		}
		t.Revoked = s.stamp()
		if err := s.st.RevokeAdminToken(ctx, id, t.Revoked); err != nil {
			return err
		}
		out = t
		return nil
	})
	return out, err
}

// Authenticate returns the actor a bearer token stands for, or an error
// wrapping ErrUnauthorized when the token is malformed, unknown, revoked
// or wrong (one answer for all four). The secret is compared as a hash, in
// constant time.
func (s *Service) Authenticate(ctx context.Context, bearer string) (Actor, error) {
	id, secret, ok := parseToken(bearer)
	if !ok {
		return Actor{}, fmt.Errorf("%w: not an admin token", ErrUnauthorized)
	}
	got := secretHash(id, secret)
	t, err := s.st.AdminToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Actor{}, fmt.Errorf("%w: unknown token", ErrUnauthorized)
	}
	if err != nil {
		return Actor{}, err
	}
	if subtle.ConstantTimeCompare(got, t.SecretHash) != 1 {
		return Actor{}, fmt.Errorf("%w: wrong secret for token %s", ErrUnauthorized, id)
	}
	if !t.Usable() {
		return Actor{}, fmt.Errorf("%w: token %s is revoked", ErrUnauthorized, id)
	}
	return Actor{Name: t.Name, TokenID: t.ID, Channel: ChannelAPI}, nil
}
