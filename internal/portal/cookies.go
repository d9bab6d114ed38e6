package portal

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/netid/netid/internal/crypto/keystore"
)

// Keys is what the portal needs of the key store: MACs under the cookie
// key, active for new values, active or retiring for checking old ones.
// *keystore.Store implements it.
type Keys interface {
	ActiveMAC(ctx context.Context, p keystore.Purpose, msg []byte) (id string, mac []byte, err error)
	VerifyMAC(ctx context.Context, p keystore.Purpose, msg, mac []byte) (keystore.Meta, error)
}

var _ Keys = (*keystore.Store)(nil)

// Domains of the cookie-key MACs. The OpenID provider uses the same key
// under its own domains; each message starts with what it is, so that no
// value of one kind passes for another.
const (
	sessionDomain = "netid/portal-session/v1\x00"
	browserDomain = "netid/portal-browser/v1\x00"
	flashDomain   = "netid/portal-flash/v1\x00"
	csrfDomain    = "netid/portal-csrf/v1\x00"
)

// browserIDBytes is the entropy of the pre-login browser id: 256 bits.
const browserIDBytes = 32

// maxSignedCookie bounds a signed cookie value read back: session tokens
// and ids are short, and a MAC never needs more.
const maxSignedCookie = 512

// strictB64 decodes MACs: strict, so that each MAC has exactly one
// encoding and a cookie value cannot be varied without changing its bytes.
var strictB64 = base64.RawURLEncoding.Strict()

// cookieJar names the portal's cookies and sets their attributes. Under
// https the names carry the __Host- prefix, which the browser accepts only
// with Secure, Path=/ and no Domain: no subdomain can plant or overwrite
// them.
type cookieJar struct {
	secure bool
	// session holds the resident service's session token, signed.
	session string
	// browser is a random id, signed, set before login: the login form's
	// CSRF token is bound to it.
	browser string
	// flash carries the outcome of a POST to the page it redirects to.
	flash string
	// lang is the language cookie the OpenID provider's pages read too.
	lang string
}

func newCookieJar(secure bool) cookieJar {
	if secure {
		return cookieJar{secure: true, session: "__Host-netid-account", browser: "__Host-netid-account-browser",
			flash: "__Host-netid-account-flash", lang: "__Host-netid-lang"}
	}
	return cookieJar{session: "netid-account", browser: "netid-account-browser", flash: "netid-account-flash",
		lang: "netid-lang"}
}

// cookie returns a cookie with the attributes every portal cookie has:
// HttpOnly (no script reads it), SameSite=Lax (withheld from cross-site
// POSTs, which with the CSRF tokens keeps forged forms out), Secure under
// https. A zero expiry and maxAge make a browser-session cookie; a
// negative maxAge deletes it.
func (j cookieJar) cookie(name, value string, expires time.Time, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: j.secure,
		SameSite: http.SameSiteLaxMode, Expires: expires, MaxAge: maxAge}
}

// clear returns the cookie that deletes name.
func (j cookieJar) clear(name string) *http.Cookie { return j.cookie(name, "", time.Time{}, -1) }

// errBadCookie is any cookie value that is malformed or whose MAC does not
// verify: the caller treats it as absent.
var errBadCookie = errors.New("portal: cookie does not verify")

// signValue returns value.MAC, the MAC under the active cookie key.
func signValue(ctx context.Context, keys Keys, domain, value string) (string, error) {
	_, mac, err := keys.ActiveMAC(ctx, keystore.Cookie, []byte(domain+value))
	if err != nil {
		return "", fmt.Errorf("portal: cookie key: %w", err)
	}
	return value + "." + base64.RawURLEncoding.EncodeToString(mac), nil
}

// openValue checks a value made by signValue, under any active or
// retiring cookie key, and returns the value inside. The value is the
// part before the last dot, so values may contain dots.
func openValue(ctx context.Context, keys Keys, domain, signed string) (string, error) {
	i := strings.LastIndexByte(signed, '.')
	if i <= 0 || len(signed) > maxSignedCookie {
		return "", errBadCookie
	}
	value, mac64 := signed[:i], signed[i+1:]
	mac, err := strictB64.DecodeString(mac64)
	if err != nil || len(mac) == 0 {
		return "", errBadCookie
	}
	if _, err := keys.VerifyMAC(ctx, keystore.Cookie, []byte(domain+value), mac); err != nil {
		if errors.Is(err, keystore.ErrMACMismatch) {
			return "", errBadCookie
		}
		return "", fmt.Errorf("portal: cookie key: %w", err)
	}
	return value, nil
}

// readSigned returns the value inside the signed cookie name, "" when it
// is absent or does not verify.
func readSigned(ctx context.Context, keys Keys, r *http.Request, name, domain string) (string, error) {
	c, err := r.Cookie(name)
	if err != nil {
		return "", nil
	}
	v, err := openValue(ctx, keys, domain, c.Value)
	if errors.Is(err, errBadCookie) {
		return "", nil
	}
	return v, err
}

// randomID returns browserIDBytes random bytes in unpadded base64url.
func randomID(r io.Reader) (string, error) {
	b := make([]byte, browserIDBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("portal: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// csrfToken binds a form to a purpose and a holder: the browser id before
// login, the session token after. It is MAC(cookie key, domain ‖ purpose
// ‖ 0 ‖ holder), so a token of one form or one session is no good for
// another, and a new session (every login) makes every old token stale.
func csrfToken(ctx context.Context, keys Keys, purpose, holder string) (string, error) {
	_, mac, err := keys.ActiveMAC(ctx, keystore.Cookie, []byte(csrfDomain+purpose+"\x00"+holder))
	if err != nil {
		return "", fmt.Errorf("portal: cookie key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(mac), nil
}

// checkCSRF reports whether token is the csrfToken of (purpose, holder)
// under an active or retiring cookie key. The MAC comparison is the key
// store's, in constant time.
func checkCSRF(ctx context.Context, keys Keys, token, purpose, holder string) (bool, error) {
	mac, err := strictB64.DecodeString(token)
	if err != nil || len(mac) == 0 || holder == "" {
		return false, nil
	}
	_, err = keys.VerifyMAC(ctx, keystore.Cookie, []byte(csrfDomain+purpose+"\x00"+holder), mac)
	if errors.Is(err, keystore.ErrMACMismatch) {
		return false, nil
	}
	return err == nil, err
}
