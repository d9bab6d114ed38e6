package fixedkey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/emmansun/gmsm/sm2"
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

// BenchmarkSM2VerifyASN1 compares an SM2 verification with the tables to
// gmsm's sm2.VerifyASN1 on the same key and signature, and measures the
// whole check of a message (Z_A and SM3 included) as smx509 makes it for a
// certificate.
func BenchmarkSM2VerifyASN1(b *testing.B) {
	k := newSM2TestKey(b, "bench")
	priv, err := sm2.NewPrivateKeyFromInt(k.d)
	if err != nil {
		b.Fatal(err)
	}
	msg := bytes.Repeat([]byte("internet certificate "), 24) // about a TBSCertificate
	sig, err := priv.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		b.Fatal(err)
	}
	digest, err := sm2.CalculateSM2Hash(k.pub, msg, nil)
	if err != nil {
		b.Fatal(err)
	}
	sm2GTable() // built once per process, not per verification
	b.Run("fixedkey", func(b *testing.B) {
		for b.Loop() {
			if !k.fk.VerifyASN1(digest, sig) {
				b.Fatal("rejected")
			}
		}
	})
	b.Run("gmsm", func(b *testing.B) {
		for b.Loop() {
			if !sm2.VerifyASN1(k.pub, digest, sig) {
				b.Fatal("rejected")
			}
		}
	})
	b.Run("fixedkey-message", func(b *testing.B) {
		for b.Loop() {
			if !k.fk.VerifyASN1WithSM2(msg, sig) {
				b.Fatal("rejected")
			}
		}
	})
	b.Run("gmsm-message", func(b *testing.B) {
		for b.Loop() {
			if !sm2.VerifyASN1WithSM2(k.pub, nil, msg, sig) {
				b.Fatal("rejected")
			}
		}
	})
}

// BenchmarkNewSM2 measures building the table of one SM2 key.
func BenchmarkNewSM2(b *testing.B) {
	k := newSM2TestKey(b, "bench")
	for b.Loop() {
		if _, err := NewSM2(k.pub); err != nil {
			b.Fatal(err)
		}
	}
}
