package credential_test

import (
	"context"
	"testing"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
)

// BenchmarkIssue measures one issuance: CA signature, parse, and the
// insert into a SQLite store on disk.
func BenchmarkIssue(b *testing.B) {
	for _, n := range suite.Names() {
		b.Run(string(n), func(b *testing.B) {
			f := newFixture(b, n)
			ctx := context.Background()
			cs, _, err := credential.Commit(f.suite, nil, testAttrs)
			if err != nil {
				b.Fatal(err)
			}
			req := credential.IssueRequest{InternetNumber: testNumber(b), DevicePublicKey: newP256(b).Public(), Commitments: cs}
			if _, err := f.ca.Issue(ctx, req); err != nil { // makes the CA certificate
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := f.ca.Issue(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyCertificate measures offline verification as a relying
// party runs it: chain to the published CA certificates, validity, profile
// and commitments. It runs on one goroutine, so verifications/s is the
// rate of one core.
func BenchmarkVerifyCertificate(b *testing.B) {
	for _, n := range suite.Names() {
		b.Run(string(n), func(b *testing.B) {
			f := newFixture(b, n)
			issued, _ := f.enrol(b, newP256(b), testNumber(b), testAttrs)
			roots := f.roots(b)
			at := f.clock.now()
			b.ResetTimer()
			for b.Loop() {
				if _, err := credential.VerifyCertificate(f.suite, issued.Certificate, roots, at); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
		})
	}
}

// BenchmarkVerifyCertificateParallel is BenchmarkVerifyCertificate on
// every core at once: its verifications/s is the machine's, not a core's.
func BenchmarkVerifyCertificateParallel(b *testing.B) {
	for _, n := range suite.Names() {
		b.Run(string(n), func(b *testing.B) {
			f := newFixture(b, n)
			issued, _ := f.enrol(b, newP256(b), testNumber(b), testAttrs)
			roots := f.roots(b)
			at := f.clock.now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := credential.VerifyCertificate(f.suite, issued.Certificate, roots, at); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
		})
	}
}

// BenchmarkCertificateSignature measures the verification of the CA's
// signature on a certificate with the suite's general-purpose Verify
// (crypto/ecdsa or SM2): what an offline verification cost before the
// suite's fast path. For intl, VerifyCertificate now checks that signature
// with a table precomputed for the CA's key (package fixedkey), so it runs
// below this figure; for sm, this is still its floor.
func BenchmarkCertificateSignature(b *testing.B) {
	for _, n := range suite.Names() {
		b.Run(string(n), func(b *testing.B) {
			f := newFixture(b, n)
			issued, _ := f.enrol(b, newP256(b), testNumber(b), testAttrs)
			root := f.roots(b)[0]
			cert := issued.Certificate
			b.ResetTimer()
			for b.Loop() {
				if err := f.suite.Verify(root.PublicKey, cert.RawTBSCertificate, cert.Signature); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
		})
	}
}

// BenchmarkVerifierRemembered measures Verifier.Verify of a certificate
// it has verified before: what a relying party pays for a returning
// resident.
func BenchmarkVerifierRemembered(b *testing.B) {
	for _, n := range suite.Names() {
		b.Run(string(n), func(b *testing.B) {
			f := newFixture(b, n)
			issued, _ := f.enrol(b, newP256(b), testNumber(b), testAttrs)
			v, err := credential.NewVerifier(f.suite, f.roots(b), 1000)
			if err != nil {
				b.Fatal(err)
			}
			at := f.clock.now()
			if _, err := v.Verify(issued.Certificate, at); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := v.Verify(issued.Certificate, at); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
		})
	}
}

// BenchmarkOCSP measures one OCSP answer with a nonce: parse, store
// look-up (SQLite), signature.
func BenchmarkOCSP(b *testing.B) {
	for _, n := range suite.Names() {
		b.Run(string(n), func(b *testing.B) {
			f := newFixture(b, n)
			ctx := context.Background()
			issued, _ := f.enrol(b, newP256(b), testNumber(b), nil)
			req, err := credential.CreateOCSPRequest(f.suite, issued.Certificate, f.roots(b)[0], make([]byte, 32))
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := f.ca.OCSPRespond(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCRLCached measures GET /crl between refreshes.
func BenchmarkCRLCached(b *testing.B) {
	f := newFixture(b, suite.Intl)
	ctx := context.Background()
	if _, err := f.ca.CRL(ctx, ""); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := f.ca.CRL(ctx, ""); err != nil {
			b.Fatal(err)
		}
	}
}
