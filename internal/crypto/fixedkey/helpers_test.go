package fixedkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"math/big"
	"testing"

	"filippo.io/nistec"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// testKey is a P-256 key with its private scalar, from which the tests sign
// deterministically, and its verifier.
type testKey struct {
	d   *big.Int
	pub *ecdsa.PublicKey
	fk  *P256
}

// newTestKey derives a key from seed: d = SHA-256(seed) mod n (never zero
// for the seeds the tests use).
func newTestKey(t testing.TB, seed []byte) testKey {
	t.Helper()
	sum := sha256.Sum256(seed)
	d := new(big.Int).SetBytes(sum[:])
	d.Mod(d, order)
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d.FillBytes(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	fk, err := NewP256(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{d: d, pub: &priv.PublicKey, fk: fk}
}

// sign is textbook ECDSA (FIPS 186-5 section 6.4.1) with the nonce given,
// so that the tests and the fuzzer are reproducible and can choose the
// values of r and s: r = x(k·G) mod n, s = k⁻¹(e + r·d) mod n. It returns
// nil r when the nonce gives r = 0 or s = 0.
func (k testKey) sign(t testing.TB, nonce *big.Int, digest []byte) (r, s *big.Int) {
	t.Helper()
	kk := new(big.Int).Mod(nonce, order)
	if kk.Sign() == 0 {
		return nil, nil
	}
	p, err := nistec.NewP256Point().ScalarBaseMult(kk.FillBytes(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	x, err := p.BytesX()
	if err != nil {
		t.Fatal(err)
	}
	r = new(big.Int).SetBytes(x)
	r.Mod(r, order)
	s = new(big.Int).Mul(r, k.d)
	s.Add(s, hashToInt(digest, order))
	s.Mul(s, new(big.Int).ModInverse(kk, order))
	s.Mod(s, order)
	if r.Sign() == 0 || s.Sign() == 0 {
		return nil, nil
	}
	return r, s
}

// der encodes SEQUENCE{r, s}; r and s may be negative or out of range.
func der(r, s *big.Int) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	return b.BytesOrPanic()
}

// rawDER encodes SEQUENCE{INTEGER r, INTEGER s} with the INTEGER contents
// given as they are, minimal or not.
func rawDER(r, s []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(r) })
		b.AddASN1(asn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(s) })
	})
	return b.BytesOrPanic()
}

// check fails the test if k's verifier and crypto/ecdsa disagree on
// (digest, sig), and returns their common answer.
func (k testKey) check(t testing.TB, digest, sig []byte) bool {
	t.Helper()
	want := ecdsa.VerifyASN1(k.pub, digest, sig)
	if got := k.fk.VerifyASN1(digest, sig); got != want {
		t.Fatalf("VerifyASN1(digest %x, sig %x) = %v, crypto/ecdsa says %v", digest, sig, got, want)
	}
	return want
}
