package emrtd

import "testing"

// The real objects cover the three cost classes: RSA (FR), ECDSA on a NIST
// curve through crypto/ecdsa (UK) and on a brainpool curve through package
// ecc (AT: brainpoolP256r1 and P384r1; FI: brainpoolP512r1).
var benchFiles = []string{"FR.sod", "UK.sod", "AT.sod", "FI.sod"}

func BenchmarkParseSOD(b *testing.B) {
	for _, name := range benchFiles {
		file := readShared(b, "sod/"+name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(file)))
			for b.Loop() {
				if _, err := ParseSOD(file); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerifySOD(b *testing.B) {
	trust := realTrust(b)
	for _, name := range benchFiles {
		file := readShared(b, "sod/"+name)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := VerifySOD(file, trust, VerifyOptions{Now: trustTime}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkLoadTrustDir(b *testing.B) {
	dir := copyTrustDir(b)
	for b.Loop() {
		if _, err := LoadTrustDir(dir, trustTime); err != nil {
			b.Fatal(err)
		}
	}
}
