package fixedkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"
)

// BenchmarkVerifyASN1 compares a verification with the precomputed table
// to crypto/ecdsa.VerifyASN1 on the same key and signature.
func BenchmarkVerifyASN1(b *testing.B) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("internet certificate"))
	sig, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		b.Fatal(err)
	}
	fk, err := NewP256(&priv.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fixedkey", func(b *testing.B) {
		for b.Loop() {
			if !fk.VerifyASN1(digest[:], sig) {
				b.Fatal("rejected")
			}
		}
	})
	b.Run("crypto-ecdsa", func(b *testing.B) {
		for b.Loop() {
			if !ecdsa.VerifyASN1(&priv.PublicKey, digest[:], sig) {
				b.Fatal("rejected")
			}
		}
	})
	b.Run("ForKey+fixedkey", func(b *testing.B) {
		for b.Loop() {
			k, err := ForKey(&priv.PublicKey)
			if err != nil || !k.VerifyASN1(digest[:], sig) {
				b.Fatal("rejected")
			}
		}
	})
}

// BenchmarkNewP256 measures building the table of one key.
func BenchmarkNewP256(b *testing.B) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := NewP256(&priv.PublicKey); err != nil {
			b.Fatal(err)
		}
	}
}
