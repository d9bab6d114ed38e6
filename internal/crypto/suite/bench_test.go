package suite

import (
	"crypto/rand"
	"testing"
)

func BenchmarkSign(b *testing.B) {
	for _, n := range Names() {
		b.Run(string(n), func(b *testing.B) {
			s := mustSuite(b, n)
			key, err := s.GenerateSigner(rand.Reader)
			if err != nil {
				b.Fatal(err)
			}
			msg := make([]byte, 256)
			for b.Loop() {
				if _, err := s.Sign(rand.Reader, key, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, n := range Names() {
		b.Run(string(n), func(b *testing.B) {
			s := mustSuite(b, n)
			key, err := s.GenerateSigner(rand.Reader)
			if err != nil {
				b.Fatal(err)
			}
			msg := make([]byte, 256)
			sig, err := s.Sign(rand.Reader, key, msg)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := s.Verify(key.Public(), msg, sig); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMAC measures a blind index computation over a short identifier.
func BenchmarkMAC(b *testing.B) {
	for _, n := range Names() {
		b.Run(string(n), func(b *testing.B) {
			s := mustSuite(b, n)
			key := make([]byte, 32)
			msg := []byte("CN|110101199003077777")
			for b.Loop() {
				s.MAC(key, msg)
			}
		})
	}
}

// BenchmarkSeal measures AEAD encryption of a 1 KiB field (a biometric
// template is of that order).
func BenchmarkSeal(b *testing.B) {
	for _, n := range Names() {
		b.Run(string(n), func(b *testing.B) {
			s := mustSuite(b, n)
			aead, err := s.NewAEAD(make([]byte, s.AEADKeySize()))
			if err != nil {
				b.Fatal(err)
			}
			nonce := make([]byte, aead.NonceSize())
			pt := make([]byte, 1024)
			dst := make([]byte, 0, len(pt)+aead.Overhead())
			b.SetBytes(int64(len(pt)))
			for b.Loop() {
				aead.Seal(dst[:0], nonce, pt, nil)
			}
		})
	}
}
