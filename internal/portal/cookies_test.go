package portal

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
)

func testKeys(t testing.TB, dir string) *keystore.Store {
	t.Helper()
	s, err := suite.New(suite.Intl)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keystore.OpenDir(filepath.Join(dir, "keys"), s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ks
}

func TestSignedValues(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t, t.TempDir())
	signed, err := signValue(ctx, keys, sessionDomain, "tok.en-1")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := openValue(ctx, keys, sessionDomain, signed); err != nil || v != "tok.en-1" {
		t.Fatalf("openValue(signValue(x)) = %q, %v", v, err)
	}
	i := strings.LastIndexByte(signed, '.')
	tests := map[string]string{
		"another domain":   "",
		"value changed":    "tok.en-2" + signed[i:],
		"mac changed":      signed[:len(signed)-5] + flip(signed[len(signed)-5]) + signed[len(signed)-4:],
		"no mac":           "tok",
		"empty":            "",
		"padded mac":       signed + "=",
		"only a mac":       signed[i:],
		"over-long":        strings.Repeat("a", maxSignedCookie) + signed[i:],
		"non-strict mac64": signed[:len(signed)-1] + "B",
	}
	for name, v := range tests {
		domain := sessionDomain
		if name == "another domain" {
			domain, v = flashDomain, signed
		}
		if got, err := openValue(ctx, keys, domain, v); err == nil {
			t.Errorf("%s: openValue(%q) = %q, want refused", name, v, got)
		}
	}
}

func TestCSRFTokens(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t, t.TempDir())
	tok, err := csrfToken(ctx, keys, csrfLock, "session-1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token, purpose, holder string
		want                         bool
	}{
		{"right", tok, csrfLock, "session-1", true},
		{"another purpose", tok, csrfDelete, "session-1", false},
		{"another holder", tok, csrfLock, "session-2", false},
		{"no holder", tok, csrfLock, "", false},
		{"empty", "", csrfLock, "session-1", false},
		{"not base64", "!!", csrfLock, "session-1", false},
		{"truncated", tok[:10], csrfLock, "session-1", false},
	}
	for _, tt := range tests {
		got, err := checkCSRF(ctx, keys, tt.token, tt.purpose, tt.holder)
		if err != nil || got != tt.want {
			t.Errorf("%s: checkCSRF = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

func TestCookieAttributes(t *testing.T) {
	for _, secure := range []bool{false, true} {
		j := newCookieJar(secure)
		c := j.cookie(j.session, "v", time.Now().Add(time.Hour), 0)
		if c.HttpOnly != true || c.SameSite != http.SameSiteLaxMode || c.Secure != secure || c.Path != "/" || c.Domain != "" {
			t.Errorf("secure=%v: cookie %+v", secure, c)
		}
		for _, name := range []string{j.session, j.browser, j.flash, j.lang} {
			if secure != strings.HasPrefix(name, "__Host-") {
				t.Errorf("secure=%v: cookie name %q", secure, name)
			}
		}
		if !strings.HasSuffix(j.lang, "netid-lang") {
			t.Errorf("the language cookie %q is not the OpenID provider's", j.lang)
		}
		if d := j.clear(j.session); d.MaxAge >= 0 {
			t.Errorf("clear: MaxAge %d", d.MaxAge)
		}
	}
}

func FuzzOpenValue(f *testing.F) {
	keys := testKeys(f, f.TempDir())
	good, err := signValue(context.Background(), keys, sessionDomain, "token")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{good, "", ".", "a.", ".b", "a.b.c", good + "x", strings.Repeat(".", 600)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, err := openValue(context.Background(), keys, sessionDomain, v)
		if err == nil && v != good && got == "token" {
			t.Fatalf("openValue(%q) accepted another encoding of the signed token", v)
		}
		if err == nil && !strings.HasPrefix(v, got+".") {
			t.Fatalf("openValue(%q) = %q, not the value before the MAC", v, got)
		}
	})
}

// flip returns a base64 character other than c.
func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
