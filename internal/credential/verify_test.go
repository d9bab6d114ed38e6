package credential_test

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
)

// signedByCA makes a certificate with the CA key but outside Issue, to
// test what VerifyCertificate checks beyond the chain.
func signedByCA(t *testing.T, f *fixture, edit func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	_, signer, err := f.keys.ActiveSigner(keystore.CA)
	if err != nil {
		t.Fatal(err)
	}
	number := string(testNumber(t))
	now := f.clock.now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(99),
		Subject:               pkix.Name{CommonName: number, SerialNumber: number},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	edit(tmpl)
	der, err := f.suite.CreateCertificate(nil, tmpl, f.roots(t)[0], newP256(t).Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.suite.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifyCertificateRefusals(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		f := newFixture(t, n)
		g := newFixture(t, n)
		issued, _ := f.enrol(t, newP256(t), testNumber(t), nil)
		cert := issued.Certificate
		roots := f.roots(t)
		now := f.clock.now()
		tests := []struct {
			name  string
			cert  *x509.Certificate
			roots []*x509.Certificate
			at    time.Time
			want  error // besides ErrCertificateInvalid
		}{
			{"expired", cert, roots, cert.NotAfter.Add(time.Second), suite.ErrCertificateExpired},
			{"not yet valid", cert, roots, cert.NotBefore.Add(-time.Second), suite.ErrCertificateExpired},
			{"other CA", cert, g.roots(t), now, suite.ErrUnknownAuthority},
			{"no roots", cert, nil, now, suite.ErrCertificateInvalid},
			{"nil certificate", nil, roots, now, nil},
			{"the CA certificate itself", roots[0], roots, now, nil},
			{"subject not an internet number", signedByCA(t, f, func(c *x509.Certificate) { c.Subject = pkix.Name{CommonName: "alice", SerialNumber: "alice"} }), roots, now, nil},
			{"CN and serialNumber differ", signedByCA(t, f, func(c *x509.Certificate) { c.Subject.SerialNumber = string(testNumber(t)) }), roots, now, nil},
			{"no digitalSignature", signedByCA(t, f, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageKeyEncipherment }), roots, now, nil},
			{"server authentication only", signedByCA(t, f, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }), roots, now, suite.ErrCertificateInvalid},
			{"malformed commitments", signedByCA(t, f, func(c *x509.Certificate) {
				c.ExtraExtensions = []pkix.Extension{{Id: credential.OIDCommitments, Value: []byte{0x30, 0x00}}}
			}), roots, now, credential.ErrCommitment},
		}
		for _, tt := range tests {
			_, err := credential.VerifyCertificate(f.suite, tt.cert, tt.roots, tt.at)
			if !errors.Is(err, credential.ErrCertificateInvalid) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("%s: VerifyCertificate() error = %v, want ErrCertificateInvalid and %v", tt.name, err, tt.want)
			}
		}
		// The control: the same helper with nothing changed verifies.
		if _, err := credential.VerifyCertificate(f.suite, signedByCA(t, f, func(*x509.Certificate) {}), roots, now); err != nil {
			t.Errorf("unchanged profile: VerifyCertificate() error = %v, want nil", err)
		}
		// A certificate verifies against a bundle holding other CAs too.
		both := append(g.roots(t), roots...)
		if _, err := credential.VerifyCertificate(f.suite, cert, both, now); err != nil {
			t.Errorf("VerifyCertificate(bundle of two CAs) error = %v, want nil", err)
		}
	})
}

func TestVerifyCRLRefusals(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		ctx := context.Background()
		f := newFixture(t, n)
		g := newFixture(t, n)
		crl, err := f.ca.CRL(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		root := f.roots(t)[0]
		tests := []struct {
			name   string
			der    []byte
			issuer *x509.Certificate
			at     time.Time
		}{
			{"other CA", crl.DER, g.roots(t)[0], crl.ThisUpdate},
			{"before thisUpdate", crl.DER, root, crl.ThisUpdate.Add(-time.Second)},
			{"at nextUpdate", crl.DER, root, crl.NextUpdate},
			{"garbage", []byte{0x30, 0x00}, root, crl.ThisUpdate},
			{"altered", append(crl.DER[:len(crl.DER)-1:len(crl.DER)-1], crl.DER[len(crl.DER)-1]^1), root, crl.ThisUpdate},
		}
		for _, tt := range tests {
			if _, err := credential.VerifyCRL(f.suite, tt.der, tt.issuer, tt.at); !errors.Is(err, credential.ErrCRL) {
				t.Errorf("%s: VerifyCRL() error = %v, want ErrCRL", tt.name, err)
			}
		}
		if _, err := credential.VerifyCRL(f.suite, crl.DER, root, crl.ThisUpdate); err != nil {
			t.Errorf("VerifyCRL(at thisUpdate) error = %v, want nil", err)
		}
	})
}

func TestVerifier(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		f := newFixture(t, n)
		g := newFixture(t, n)
		a, _ := f.enrol(t, newP256(t), testNumber(t), testAttrs)
		b, _ := f.enrol(t, newP256(t), testNumber(t), nil)
		foreign, _ := g.enrol(t, newP256(t), testNumber(t), nil)
		roots := f.roots(t)
		now := f.clock.now()
		if _, err := credential.NewVerifier(f.suite, nil, 10); err == nil {
			t.Error("NewVerifier(no roots) = nil error, want one")
		}
		for _, size := range []int{0, 1, 100} {
			v, err := credential.NewVerifier(f.suite, roots, size)
			if err != nil {
				t.Fatal(err)
			}
			for round := range 3 {
				for _, c := range []*credential.Issued{a, b} {
					want, err := credential.VerifyCertificate(f.suite, c.Certificate, roots, now)
					if err != nil {
						t.Fatal(err)
					}
					got, err := v.Verify(c.Certificate, now)
					if err != nil {
						t.Fatalf("size %d, round %d: Verify() error = %v", size, round, err)
					}
					if diff := cmp.Diff(want, got, cmp.Comparer(func(x, y *big.Int) bool { return x.Cmp(y) == 0 })); diff != "" {
						t.Errorf("size %d, round %d: Verify() mismatch with VerifyCertificate (-want +got):\n%s", size, round, diff)
					}
					// Altering a result must not alter the next one.
					got.InternetNumber = "altered"
					got.Serial.SetInt64(1)
					if len(got.Commitments) > 0 {
						got.Commitments[0].Digest[0] ^= 0xff
					}
				}
				// A remembered certificate is still checked against time.
				for _, at := range []time.Time{a.Certificate.NotAfter.Add(time.Second), a.Certificate.NotBefore.Add(-time.Second)} {
					if _, err := v.Verify(a.Certificate, at); !errors.Is(err, suite.ErrCertificateExpired) {
						t.Errorf("size %d: Verify(at %v) error = %v, want suite.ErrCertificateExpired", size, at, err)
					}
				}
				if _, err := v.Verify(foreign.Certificate, now); !errors.Is(err, suite.ErrUnknownAuthority) {
					t.Errorf("size %d: Verify(foreign) error = %v, want suite.ErrUnknownAuthority", size, err)
				}
			}
		}
	})
}
