package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
)

// testKeys returns a bootstrapped file key store of suite name.
func testKeys(tb testing.TB, name suite.Name) *keystore.Store {
	tb.Helper()
	s, err := suite.New(name)
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := keystore.OpenDir(filepath.Join(tb.TempDir(), "keys"), s)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := keys.Bootstrap(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return keys
}

// sampleClaims is a typical ID token: a result-only login with nonce.
func sampleClaims(now time.Time) idTokenClaims {
	return idTokenClaims{Issuer: "https://id.example.cn", Subject: strings.Repeat("s", 43), Audience: "rp-0123456789abcdef0123456789abcdef",
		Expiry: now.Add(10 * time.Minute).Unix(), IssuedAt: now.Unix(), AuthTime: now.Unix(), Nonce: strings.Repeat("n", 43),
		ACR: "low", AMR: []string{"pwd"}, AZP: "rp-0123456789abcdef0123456789abcdef", ATHash: strings.Repeat("h", 22)}
}

// TestTokenSignerES256 checks the JWS the signer makes: ES256, the active
// key's kid, typ JWT, a deterministic signature that verifies with the
// public key, and a new kid after a rotation.
func TestTokenSignerES256(t *testing.T) {
	for _, name := range []suite.Name{suite.Intl, suite.SM} {
		t.Run(string(name), func(t *testing.T) {
			keys := testKeys(t, name)
			ts := &tokenSigner{keys: keys}
			payload, err := json.Marshal(sampleClaims(time.Now()))
			if err != nil {
				t.Fatal(err)
			}
			for round := range 2 {
				meta, signer, err := keys.ActiveSigner(keystore.TokenSigning)
				if err != nil {
					t.Fatal(err)
				}
				tok, err := ts.sign(payload)
				if err != nil {
					t.Fatalf("sign() error = %v", err)
				}
				jws, err := jose.ParseSigned(tok, []jose.SignatureAlgorithm{jose.ES256})
				if err != nil {
					t.Fatalf("ParseSigned() error = %v", err)
				}
				h := jws.Signatures[0].Header
				if h.KeyID != meta.ID || h.Algorithm != "ES256" || h.ExtraHeaders["typ"] != "JWT" {
					t.Errorf("round %d: header kid %q alg %q typ %v, want %q ES256 JWT", round, h.KeyID, h.Algorithm, h.ExtraHeaders["typ"], meta.ID)
				}
				got, err := jws.Verify(signer.Public())
				if err != nil || string(got) != string(payload) {
					t.Errorf("round %d: Verify() = %q, %v, want the payload", round, got, err)
				}
				// The raw signature is R || S of 32 bytes each, and a plain
				// ECDSA verification accepts it.
				parts := strings.Split(tok, ".")
				sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
				digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
				r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
				if len(sig) != 64 || !ecdsa.Verify(signer.Public().(*ecdsa.PublicKey), digest[:], r, s) {
					t.Errorf("round %d: signature of %d bytes does not verify as raw R||S", round, len(sig))
				}
				// Signatures are deterministic (RFC 6979): the same payload
				// gives the same token, which hedged ECDSA would not.
				if again, err := ts.sign(payload); err != nil || again != tok {
					t.Errorf("round %d: the same payload signed twice gave two signatures (%v)", round, err)
				}
				if _, err := keys.Rotate(context.Background(), keystore.TokenSigning); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestCookieValues: signed values open only unchanged, under any live
// cookie key.
func TestCookieValues(t *testing.T) {
	ctx := context.Background()
	keys := testKeys(t, suite.Intl)
	signed, err := signValue(ctx, keys, sessionCookieDomain, "session-id")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Rotate(ctx, keystore.Cookie); err != nil {
		t.Fatal(err)
	}
	if got, err := openValue(ctx, keys, sessionCookieDomain, signed); err != nil || got != "session-id" {
		t.Errorf("openValue(after rotation) = %q, %v, want session-id", got, err)
	}
	for name, v := range map[string]string{
		"other domain":   "",
		"changed value":  "session-ie" + signed[len("session-id"):],
		"changed mac":    changedMAC(signed),
		"no separator":   "session-id",
		"empty value":    signed[len("session-id"):],
		"not base64 mac": "session-id.!!!",
	} {
		domain := sessionCookieDomain
		if name == "other domain" {
			domain, v = browserCookieDomain, signed
		}
		if got, err := openValue(ctx, keys, domain, v); err == nil {
			t.Errorf("openValue(%s) = %q, want an error", name, got)
		}
	}
}

// changedMAC returns signed with one character of its MAC changed. Not the
// last one: in unpadded base64 its low bits are padding, and a decoder
// that ignores them would read the same MAC.
func changedMAC(signed string) string {
	i := len(signed) - 5
	c := byte('A')
	if signed[i] == c {
		c = 'B'
	}
	return signed[:i] + string(c) + signed[i+1:]
}

// FuzzOpenValue: no input panics, and whatever opens is exactly what was
// signed.
func FuzzOpenValue(f *testing.F) {
	ctx := context.Background()
	keys := testKeys(f, suite.Intl)
	signed, err := signValue(ctx, keys, browserCookieDomain, "browser-id")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{signed, "", ".", "a.", ".b", "a.b.c", signed + "x", strings.Repeat("a", 300) + ".b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := openValue(ctx, keys, browserCookieDomain, s)
		if err == nil && (v != "browser-id" || s != signed) {
			t.Errorf("openValue(%q) = %q, want only the signed value to open", s, v)
		}
	})
}

// FuzzRequiredLevel: acr_values never panic, and an accepted request never
// lowers the RP's minimum.
func FuzzRequiredLevel(f *testing.F) {
	for _, seed := range []string{"", "low", "substantial high", "high low", "loa3", " low  ", "low\x00"} {
		f.Add(seed, "substantial")
	}
	f.Fuzz(func(t *testing.T, acr, min string) {
		got, err := requiredLevel(enrol.Assurance(min), strings.Fields(acr))
		if err != nil {
			return
		}
		if got.Rank() == 0 || got.Rank() < enrol.Assurance(min).Rank() {
			t.Errorf("requiredLevel(%q, %q) = %q, want a known level at least the minimum", min, acr, got)
		}
	})
}

// FuzzVerifyIDTokenHint: hints never panic, and only an untouched token of
// this provider is accepted.
func FuzzVerifyIDTokenHint(f *testing.F) {
	keys := testKeys(f, suite.Intl)
	p := &Provider{cfg: Config{Issuer: "https://id.example.cn"}, d: Deps{Keys: keys}, signer: &tokenSigner{keys: keys}}
	payload, err := json.Marshal(sampleClaims(time.Now()))
	if err != nil {
		f.Fatal(err)
	}
	good, err := p.signer.sign(payload)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{good, "", "a.b.c", good[:len(good)-2], strings.Replace(good, ".", "..", 1)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, hint string) {
		client, sub, err := p.verifyIDTokenHint(hint)
		if err == nil && hint != good {
			// A re-encoding of the same signed bytes is the only other
			// acceptable input; it must carry the same claims.
			if client != "rp-0123456789abcdef0123456789abcdef" || sub != strings.Repeat("s", 43) {
				t.Errorf("verifyIDTokenHint(%q) = %q, %q, want only this provider's token", hint, client, sub)
			}
		}
	})
}

// BenchmarkIDTokenSign signs a typical ID token with ES256 (claims JSON,
// compact JWS, the key store's signer): the per-core ceiling of token
// issuance (target: 30,000/s per core).
func BenchmarkIDTokenSign(b *testing.B) {
	keys := testKeys(b, suite.Intl)
	p := &Provider{cfg: Config{Issuer: "https://id.example.cn", IDTokenLifetime: 10 * time.Minute}, signer: &tokenSigner{keys: keys}}
	r := rp.RP{ClientID: "rp-0123456789abcdef0123456789abcdef"}
	now := time.Now()
	g := Grant{Subject: strings.Repeat("s", 43), ACR: enrol.AssuranceLow, AMR: []string{"pwd"}, AuthTime: now}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.signIDToken(r, g, strings.Repeat("n", 43), releasedClaims{}, "access-token", now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkES256Signature compares the signature an ID token gets,
// deterministic (RFC 6979: a nil random source), with crypto/ecdsa's
// default hedged one, on the key store's signer (docs/decisions.md,
// "Deterministic ECDSA for ID tokens").
func BenchmarkES256Signature(b *testing.B) {
	_, signer, err := testKeys(b, suite.Intl).ActiveSigner(keystore.TokenSigning)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("header.payload"))
	for _, c := range []struct {
		name string
		rand io.Reader
	}{{"deterministic", nil}, {"hedged", rand.Reader}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := signer.Sign(c.rand, digest[:], crypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
