package oidc

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/netid/netid/internal/crypto/keystore"
)

// Domains of the cookie-key MACs: one key authenticates several kinds of
// value, so each message starts with what it is.
const (
	sessionCookieDomain = "netid/oidc-session/v1\x00"
	browserCookieDomain = "netid/oidc-browser/v1\x00"
	csrfDomain          = "netid/oidc-csrf/v1\x00"
)

// idBytes is the entropy of session ids, browser ids, interaction ids,
// codes and tokens: 256 bits.
const idBytes = 32

// strictB64 decodes MACs: strict, so that each MAC has exactly one
// encoding and a cookie value cannot be varied without changing its bytes.
var strictB64 = base64.RawURLEncoding.Strict()

// randomID returns idBytes random bytes in unpadded base64url.
func randomID(r io.Reader) (string, error) {
	b := make([]byte, idBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("oidc: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashID is what the store keeps of a bearer value (a session id, a code,
// a token): SHA-256. The values are 256-bit random, so an unkeyed hash
// reveals nothing and needs no key management; it only makes a database
// leak useless for replaying them.
func hashID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// cookieNames are the provider's cookies. Under https they carry the
// __Host- prefix, which the browser accepts only with Secure, Path=/ and
// no Domain: no subdomain can plant or overwrite them.
type cookieNames struct {
	session, browser string
	secure           bool
}

func newCookieNames(secure bool) cookieNames {
	if secure {
		return cookieNames{session: "__Host-netid-session", browser: "__Host-netid-browser", secure: true}
	}
	return cookieNames{session: "netid-session", browser: "netid-browser"}
}

// cookie returns a cookie of the provider with the attributes every one of
// them has: HttpOnly (no script reads it), SameSite=Lax (sent on the
// top-level navigation from an RP to /authorize, withheld from cross-site
// POSTs), Secure under https. A zero expiry makes a browser-session cookie;
// a negative one deletes the cookie.
func (n cookieNames) cookie(name, value string, expires time.Time, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: n.secure,
		SameSite: http.SameSiteLaxMode, Expires: expires, MaxAge: maxAge}
}

// signValue returns value.MAC, the MAC under the active cookie key.
func signValue(ctx context.Context, keys Keys, domain, value string) (string, error) {
	_, mac, err := keys.ActiveMAC(ctx, keystore.Cookie, []byte(domain+value))
	if err != nil {
		return "", fmt.Errorf("oidc: cookie key: %w", err)
	}
	return value + "." + base64.RawURLEncoding.EncodeToString(mac), nil
}

// errBadCookie is any cookie value that is malformed or whose MAC does not
// verify: the caller treats it as absent.
var errBadCookie = errors.New("oidc: cookie does not verify")

// openValue checks a value made by signValue, under any active or
// retiring cookie key, and returns the value inside.
func openValue(ctx context.Context, keys Keys, domain, signed string) (string, error) {
	value, mac64, ok := strings.Cut(signed, ".")
	if !ok || value == "" || len(signed) > 256 {
		return "", errBadCookie
	}
	mac, err := strictB64.DecodeString(mac64)
	if err != nil {
		return "", errBadCookie
	}
	if _, err := keys.VerifyMAC(ctx, keystore.Cookie, []byte(domain+value), mac); err != nil {
		if errors.Is(err, keystore.ErrMACMismatch) {
			return "", errBadCookie
		}
		return "", fmt.Errorf("oidc: cookie key: %w", err)
	}
	return value, nil
}

// cookieValue returns the value of the named cookie in header h, or "".
// It reads a header rather than a request because the protocol library
// hands the Server methods the request's headers only.
func cookieValue(h http.Header, name string) string {
	c, err := (&http.Request{Header: h}).Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// csrfToken binds a form to one interaction (or logout) and one browser:
// MAC(cookie key, domain ‖ purpose ‖ 0 ‖ subject ‖ 0 ‖ browser).
func csrfToken(ctx context.Context, keys Keys, purpose, subject, browser string) (string, error) {
	_, mac, err := keys.ActiveMAC(ctx, keystore.Cookie, []byte(csrfDomain+purpose+"\x00"+subject+"\x00"+browser))
	if err != nil {
		return "", fmt.Errorf("oidc: cookie key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(mac), nil
}

// checkCSRF reports whether token is the csrfToken of (purpose, subject,
// browser) under an active or retiring cookie key.
func checkCSRF(ctx context.Context, keys Keys, token, purpose, subject, browser string) (bool, error) {
	mac, err := strictB64.DecodeString(token)
	if err != nil || len(mac) == 0 || browser == "" {
		return false, nil
	}
	_, err = keys.VerifyMAC(ctx, keystore.Cookie, []byte(csrfDomain+purpose+"\x00"+subject+"\x00"+browser), mac)
	if errors.Is(err, keystore.ErrMACMismatch) {
		return false, nil
	}
	return err == nil, err
}

// sameHash compares two hashes in constant time.
func sameHash(a, b []byte) bool { return len(a) > 0 && subtle.ConstantTimeCompare(a, b) == 1 }
