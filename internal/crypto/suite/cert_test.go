package suite

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"
)

var certEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// issued is a certificate with the key it certifies.
type issued struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func caTemplate(name string, serial int64) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"netid test"}},
		NotBefore:             certEpoch,
		NotAfter:              certEpoch.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

func leafTemplate(name string, serial int64) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    certEpoch,
		NotAfter:     certEpoch.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// newRoot makes a self-signed CA of suite s; the signer is wrapped so that
// the suite sees only crypto.Signer, as with an HSM.
func newRoot(t *testing.T, s Suite, name string) issued {
	t.Helper()
	key, err := s.GenerateSigner(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := caTemplate(name, 1)
	der, err := s.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), opaqueSigner{key})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := s.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return issued{cert, key}
}

// issue signs tmpl for a fresh key of subjectSuite under parent.
func issue(t *testing.T, s Suite, parent issued, tmpl *x509.Certificate, subjectSuite Suite) issued {
	t.Helper()
	key, err := subjectSuite.GenerateSigner(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := s.CreateCertificate(rand.Reader, tmpl, parent.cert, key.Public(), opaqueSigner{parent.key})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := s.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return issued{cert, key}
}

func TestCertificateChains(t *testing.T) {
	for _, n := range Names() {
		t.Run(string(n), func(t *testing.T) {
			s := mustSuite(t, n)
			root := newRoot(t, s, "netid root")
			inter := issue(t, s, root, caTemplate("netid issuing CA", 2), s)
			leaf := issue(t, s, inter, leafTemplate("internet number AB12CD34EF", 3), s)
			direct := issue(t, s, root, leafTemplate("direct leaf", 4), s)
			otherRoot := newRoot(t, s, "netid root") // same name, other key

			tamperedDER := append([]byte(nil), leaf.cert.Raw...)
			tamperedDER[len(tamperedDER)-1] ^= 0x01 // last byte of the signature
			tampered, err := s.ParseCertificate(tamperedDER)
			if err != nil {
				t.Fatal(err)
			}

			valid := VerifyOptions{
				Roots:         []*x509.Certificate{root.cert},
				Intermediates: []*x509.Certificate{inter.cert},
				At:            certEpoch.AddDate(0, 6, 0),
				KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
			}
			with := func(f func(*VerifyOptions)) VerifyOptions {
				o := valid
				f(&o)
				return o
			}
			tests := []struct {
				name      string
				cert      *x509.Certificate
				opts      VerifyOptions
				wantErr   error
				wantChain int
			}{
				{"leaf through intermediate", leaf.cert, valid, nil, 3},
				{"leaf directly under root", direct.cert, valid, nil, 2},
				{"any usage", leaf.cert, with(func(o *VerifyOptions) { o.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageAny} }), nil, 3},
				{"intermediate missing", leaf.cert, with(func(o *VerifyOptions) { o.Intermediates = nil }), ErrUnknownAuthority, 0},
				{"other CA", leaf.cert, with(func(o *VerifyOptions) { o.Roots = []*x509.Certificate{otherRoot.cert} }), ErrUnknownAuthority, 0},
				{"tampered signature", tampered, valid, ErrUnknownAuthority, 0},
				{"expired", leaf.cert, with(func(o *VerifyOptions) { o.At = certEpoch.AddDate(1, 0, 1) }), ErrCertificateExpired, 0},
				{"not yet valid", leaf.cert, with(func(o *VerifyOptions) { o.At = certEpoch.Add(-time.Hour) }), ErrCertificateExpired, 0},
				{"wrong usage", leaf.cert, with(func(o *VerifyOptions) { o.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }), ErrCertificateInvalid, 0},
				{"no usage", leaf.cert, with(func(o *VerifyOptions) { o.KeyUsages = nil }), ErrCertificateInvalid, 0},
				{"no time", leaf.cert, with(func(o *VerifyOptions) { o.At = time.Time{} }), ErrCertificateInvalid, 0},
				{"no roots", leaf.cert, with(func(o *VerifyOptions) { o.Roots = nil }), ErrCertificateInvalid, 0},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					chains, err := s.VerifyChain(tt.cert, tt.opts)
					if tt.wantErr != nil {
						if !errors.Is(err, tt.wantErr) {
							t.Fatalf("VerifyChain: got %v, want %v", err, tt.wantErr)
						}
						return
					}
					if err != nil {
						t.Fatalf("VerifyChain: got %v, want nil", err)
					}
					if len(chains) != 1 || len(chains[0]) != tt.wantChain {
						t.Fatalf("VerifyChain: got %d chains (first %d long), want 1 chain %d long", len(chains), len(chains[0]), tt.wantChain)
					}
					// The chain holds the caller's values, leaf first, root last.
					if chains[0][0] != tt.cert || chains[0][len(chains[0])-1] != root.cert {
						t.Error("VerifyChain: chain does not start at the leaf given and end at the root given")
					}
				})
			}
		})
	}
}

// TestSMCertificateFields checks what the sm suite promises about the
// *x509.Certificate it returns, and that the leaf may hold a P-256 device
// key (secure elements often hold no SM2 key) while the CA signs with SM2.
func TestSMCertificateFields(t *testing.T) {
	sm, intl := mustSuite(t, SM), mustSuite(t, Intl)
	root := newRoot(t, sm, "netid sm root")
	if got := root.cert.SignatureAlgorithm; got != x509.UnknownSignatureAlgorithm {
		t.Errorf("sm certificate SignatureAlgorithm: got %v, want UnknownSignatureAlgorithm", got)
	}
	if got := root.cert.PublicKeyAlgorithm; got != x509.ECDSA {
		t.Errorf("sm certificate PublicKeyAlgorithm: got %v, want ECDSA", got)
	}
	if _, err := x509.ParseCertificate(root.cert.Raw); err == nil {
		t.Log("crypto/x509 parsed an SM2 certificate; the conversion layer may be unnecessary now")
	}
	device := issue(t, sm, root, leafTemplate("device", 5), intl)
	if !device.cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(device.key.Public()) {
		t.Error("leaf public key differs from the device key")
	}
	if _, err := sm.VerifyChain(device.cert, VerifyOptions{
		Roots: []*x509.Certificate{root.cert}, At: certEpoch, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		t.Errorf("VerifyChain(P-256 leaf under SM2 CA): %v", err)
	}
	// The intl suite cannot verify an SM2 chain.
	if _, err := intl.VerifyChain(device.cert, VerifyOptions{
		Roots: []*x509.Certificate{root.cert}, At: certEpoch, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err == nil {
		t.Error("intl VerifyChain of an SM2-signed chain: got nil error")
	}
}

func TestCreateCertificateRejects(t *testing.T) {
	for _, n := range Names() {
		t.Run(string(n), func(t *testing.T) {
			s := mustSuite(t, n)
			other := mustSuite(t, map[Name]Name{Intl: SM, SM: Intl}[n])
			foreign, err := other.GenerateSigner(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			tmpl := caTemplate("x", 1)
			if _, err := s.CreateCertificate(rand.Reader, tmpl, tmpl, foreign.Public(), foreign); !errors.Is(err, ErrKeyType) {
				t.Errorf("CreateCertificate with the other suite's signer: got %v, want ErrKeyType", err)
			}
			key, err := s.GenerateSigner(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			tmpl.SignatureAlgorithm = x509.SHA256WithRSA
			if _, err := s.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key); err == nil {
				t.Error("CreateCertificate with a SignatureAlgorithm set: got nil error")
			}
			if tmpl.SignatureAlgorithm != x509.SHA256WithRSA {
				t.Error("CreateCertificate modified the template")
			}
		})
	}
}
