package suite

import (
	"crypto/rand"
	"errors"
	"testing"
)

// fuzzSeeds returns, for each suite, a certificate, a PKCS#8 private key, a
// PKIX public key and a signature, to seed the fuzzers with valid inputs of
// both suites.
func fuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	var seeds [][]byte
	for _, n := range Names() {
		s := mustSuite(f, n)
		key, err := s.GenerateSigner(rand.Reader)
		if err != nil {
			f.Fatal(err)
		}
		tmpl := caTemplate("fuzz", 1)
		cert, err := s.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			f.Fatal(err)
		}
		priv, err := s.MarshalPrivateKey(key)
		if err != nil {
			f.Fatal(err)
		}
		pub, err := s.MarshalPublicKey(key.Public())
		if err != nil {
			f.Fatal(err)
		}
		sig, err := s.Sign(rand.Reader, key, []byte("fuzz"))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, cert, priv, pub, sig)
	}
	return append(seeds, nil, []byte{0x30, 0x00}, []byte{0x30, 0x82, 0xff, 0xff}, []byte("not DER"))
}

// FuzzParseCertificate feeds arbitrary bytes to both suites' certificate
// parsers: they must return a certificate or an error, never panic, and a
// certificate they return must carry its DER.
func FuzzParseCertificate(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		for _, n := range Names() {
			c, err := mustSuite(t, n).ParseCertificate(der)
			if err == nil && len(c.Raw) == 0 {
				t.Errorf("%s: parsed a certificate without Raw", n)
			}
		}
	})
}

// FuzzParseKeys feeds arbitrary bytes to the private and public key parsers.
func FuzzParseKeys(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		for _, n := range Names() {
			s := mustSuite(t, n)
			if k, err := s.ParsePrivateKey(der); err == nil {
				// A parsed key must be usable by its own suite.
				if _, err := s.Sign(rand.Reader, k, []byte("m")); err != nil {
					t.Errorf("%s: parsed private key cannot sign: %v", n, err)
				}
			}
			if p, err := s.ParsePublicKey(der); err == nil {
				if err := s.Verify(p, []byte("m"), der); err == nil {
					t.Errorf("%s: key DER verified as its own signature", n)
				}
			}
		}
	})
}

// FuzzVerify feeds arbitrary signatures to both suites' Verify: only
// ErrInvalidSignature may come back for a valid key.
func FuzzVerify(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	keys := map[Name]any{}
	for _, n := range Names() {
		k, err := mustSuite(f, n).GenerateSigner(rand.Reader)
		if err != nil {
			f.Fatal(err)
		}
		keys[n] = k.Public()
	}
	f.Fuzz(func(t *testing.T, sig []byte) {
		for _, n := range Names() {
			if err := mustSuite(t, n).Verify(keys[n], []byte("fuzz"), sig); !errors.Is(err, ErrInvalidSignature) {
				t.Errorf("%s: Verify of a signature by no one: got %v, want ErrInvalidSignature", n, err)
			}
		}
	})
}
