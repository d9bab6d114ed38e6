package suite

import (
	"crypto/x509"
	"testing"
)

// BenchmarkVerifyChain measures VerifyChain of a leaf signed directly by
// its root, netid's shape, which takes the fast path, beside the library
// path alone.
func BenchmarkVerifyChain(b *testing.B) {
	for _, n := range Names() {
		e := newFastEnv(b, n)
		leaf := e.leaf(b, nil)
		opts := VerifyOptions{
			Roots:     []*x509.Certificate{e.roots["ca"]},
			At:        certEpoch.AddDate(0, 6, 0),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}
		if fastChain(n, leaf, opts) == nil {
			b.Fatalf("%s: the fast path does not take netid's shape", n)
		}
		b.Run(string(n)+"/VerifyChain", func(b *testing.B) {
			for b.Loop() {
				if _, err := e.s.VerifyChain(leaf, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(n)+"/library", func(b *testing.B) {
			for b.Loop() {
				if _, err := libraryChains(n, leaf, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
