package testdoc

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/netid/netid/internal/document"
)

func TestNewIssuerCertificates(t *testing.T) {
	for _, tc := range []struct {
		issuer  string
		wantAlg smx509.SignatureAlgorithm
	}{
		{"intl", smx509.ECDSAWithSHA256},
		{"sm", smx509.SM2WithSM3},
		{"intl-rsapss", smx509.SHA256WithRSAPSS},
	} {
		t.Run(tc.issuer, func(t *testing.T) {
			iss := issuerFor(t, tc.issuer)
			ca, err := smx509.ParseCertificate(iss.CSCACertificate())
			if err != nil {
				t.Fatal(err)
			}
			if err := ca.CheckSignatureFrom(ca); err != nil {
				t.Errorf("CSCA is not self-signed: %v", err)
			}
			if !ca.IsCA || !ca.BasicConstraintsValid || ca.KeyUsage != smx509.KeyUsage(x509.KeyUsageCertSign|x509.KeyUsageCRLSign) {
				t.Errorf("CSCA: got CA %v, key usage %b, want a CA with keyCertSign and cRLSign", ca.IsCA, ca.KeyUsage)
			}
			if ca.SignatureAlgorithm != tc.wantAlg {
				t.Errorf("CSCA signature algorithm: got %v, want %v", ca.SignatureAlgorithm, tc.wantAlg)
			}
			if got, want := ca.NotAfter.Sub(fixedNow), cscaLifetime; got != want {
				t.Errorf("CSCA validity after now: got %v, want %v", got, want)
			}
			for name, p := range map[string]*party{"ds": iss.ds, "expired": iss.expired, "revoked": iss.revoked} {
				c := p.cert.parsed
				if err := c.CheckSignatureFrom(ca); err != nil {
					t.Errorf("%s: not signed by the CSCA: %v", name, err)
				}
				if c.IsCA || c.KeyUsage != smx509.KeyUsage(x509.KeyUsageDigitalSignature) {
					t.Errorf("%s: got CA %v, key usage %b, want an end entity with digitalSignature", name, c.IsCA, c.KeyUsage)
				}
				if !bytes.Equal(c.AuthorityKeyId, ca.SubjectKeyId) || len(c.SubjectKeyId) == 0 {
					t.Errorf("%s: authority key id %x, want %x, and a subject key id", name, c.AuthorityKeyId, ca.SubjectKeyId)
				}
				for _, n := range []string{c.Subject.CommonName, c.Issuer.CommonName} {
					if !strings.Contains(n, "TEST") {
						t.Errorf("%s: name %q does not say TEST", name, n)
					}
				}
				if got := c.Subject.Country; len(got) != 1 || got[0] != "CN" {
					t.Errorf("%s: country %v, want [CN]", name, got)
				}
			}
			if at := fixedNow; !iss.expired.cert.notAfter.Before(at) || iss.ds.cert.notAfter.Before(at) || iss.ds.cert.notBefore.After(at) {
				t.Error("the expired signer must have expired before now and the signer must be valid now")
			}
			if !iss.revocationTime().Before(fixedNow) {
				t.Error("the revoked signer must be revoked before now")
			}
		})
	}
}

func TestNewIssuerErrors(t *testing.T) {
	for _, tc := range []struct {
		name, suite, country string
		opts                 []Option
		want                 error
	}{
		{"unknown suite", "nist", "CN", nil, ErrSuite},
		{"RSA-PSS in the sm suite", SuiteSM, "CN", []Option{WithRSAPSS()}, ErrSuite},
		{"unknown country", SuiteIntl, "QQ", nil, document.ErrCountry},
		{"not a country", SuiteIntl, "Narnia", nil, document.ErrCountry},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewIssuer(tc.suite, tc.country, tc.opts...); !errors.Is(err, tc.want) {
				t.Errorf("NewIssuer: got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCountryCodes(t *testing.T) {
	for _, tc := range []struct{ in, alpha2, icao string }{
		{"CN", "CN", "CHN"},
		{"chn", "CN", "CHN"},
		{"DE", "DE", "D"},
		{"DEU", "DE", "D"},
		{"FR", "FR", "FRA"},
	} {
		a2, icao, err := countryCodes(tc.in)
		if err != nil || a2 != tc.alpha2 || icao != tc.icao {
			t.Errorf("countryCodes(%q) = %q, %q, %v, want %q, %q", tc.in, a2, icao, err, tc.alpha2, tc.icao)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	for _, name := range []string{"intl", "sm", "intl-rsapss"} {
		t.Run(name, func(t *testing.T) {
			iss := issuerFor(t, name)
			dir := filepath.Join(t.TempDir(), "issuer")
			if err := iss.Save(dir); err != nil {
				t.Fatal(err)
			}
			for _, pf := range partyFiles {
				fi, err := os.Stat(filepath.Join(dir, pf.name+".key"))
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != 0o600 {
					t.Errorf("%s.key: mode %o, want 600", pf.name, got)
				}
			}
			got, err := LoadIssuer(dir, WithClock(fixedClock))
			if err != nil {
				t.Fatal(err)
			}
			if got.Suite() != iss.Suite() || got.Country() != iss.Country() || got.rsaPSS != iss.rsaPSS || got.IssuingState() != iss.IssuingState() {
				t.Errorf("loaded %s/%s/%v, want %s/%s/%v", got.Suite(), got.Country(), got.rsaPSS, iss.Suite(), iss.Country(), iss.rsaPSS)
			}
			for _, pf := range partyFiles {
				if !bytes.Equal((*pf.get(got)).der, (*pf.get(iss)).der) {
					t.Errorf("%s: certificate differs after loading", pf.name)
				}
			}
			// The loaded keys sign chips that verify.
			portrait, _ := Portrait(1)
			doc, err := got.Issue(adultSpec(), portrait)
			if err != nil {
				t.Fatal(err)
			}
			if err := parseSOD(t, doc.Chip.Files["SOD"]).verifySignature(); err != nil {
				t.Errorf("chip signed with a loaded key: %v", err)
			}
		})
	}
}

func TestLoadIssuerErrors(t *testing.T) {
	iss := issuerFor(t, "intl")
	for _, tc := range []struct {
		name    string
		breakIt func(dir string) error
	}{
		{"missing", func(dir string) error { return os.Remove(filepath.Join(dir, "issuer.json")) }},
		{"other format", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "issuer.json"), []byte(`{"format":"x","suite":"intl","country":"CN"}`), 0o644)
		}},
		{"key of another party", func(dir string) error {
			k, err := os.ReadFile(filepath.Join(dir, "csca.key"))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "ds.key"), k, 0o600)
		}},
		{"certificate not PEM", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "ds.pem"), []byte("nope"), 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := iss.Save(dir); err != nil {
				t.Fatal(err)
			}
			if err := tc.breakIt(dir); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadIssuer(dir); err == nil {
				t.Error("LoadIssuer: got no error")
			}
		})
	}
}

func TestLoadOrNewIssuer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "issuer")
	first, err := LoadOrNewIssuer(dir, SuiteSM, "CN", WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrNewIssuer(dir, SuiteSM, "CHN", WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.CSCACertificate(), again.CSCACertificate()) {
		t.Error("the second call made a new CSCA instead of loading the saved one")
	}
	if _, err := LoadOrNewIssuer(dir, SuiteIntl, "CN"); err == nil {
		t.Error("a saved sm issuer was accepted for the intl suite")
	}
}

func TestWriteTrust(t *testing.T) {
	for _, name := range []string{"intl", "sm"} {
		t.Run(name, func(t *testing.T) {
			iss := issuerFor(t, name)
			dir := t.TempDir()
			if err := iss.WriteTrust(dir); err != nil {
				t.Fatal(err)
			}
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			base := "netid-test-csca-cn-" + name
			if want := []string{base + ".crl", base + ".pem"}; strings.Join(names, ",") != strings.Join(want, ",") {
				t.Fatalf("trust dir: got %v, want %v", names, want)
			}
			certPEM, _ := os.ReadFile(filepath.Join(dir, base+".pem"))
			block, _ := pem.Decode(certPEM)
			if block == nil || !bytes.Equal(block.Bytes, iss.CSCACertificate()) {
				t.Fatal("the PEM file does not hold the CSCA certificate")
			}
			crlDER, _ := os.ReadFile(filepath.Join(dir, base+".crl"))
			crl, err := smx509.ParseRevocationList(crlDER)
			if err != nil {
				t.Fatal(err)
			}
			ca, _ := smx509.ParseCertificate(iss.CSCACertificate())
			if err := crl.CheckSignatureFrom(ca); err != nil {
				t.Errorf("CRL signature: %v", err)
			}
			if len(crl.RevokedCertificateEntries) != 1 {
				t.Fatalf("CRL: %d entries, want 1", len(crl.RevokedCertificateEntries))
			}
			e := crl.RevokedCertificateEntries[0]
			if e.SerialNumber.Cmp(iss.RevokedSerial()) != 0 || !e.RevocationTime.Equal(iss.revocationTime()) || e.ReasonCode != 1 {
				t.Errorf("CRL entry: got %v at %v reason %d, want %v at %v reason 1", e.SerialNumber, e.RevocationTime, e.ReasonCode, iss.RevokedSerial(), iss.revocationTime())
			}
			if !crl.ThisUpdate.Equal(fixedNow) || !crl.NextUpdate.Equal(fixedNow.Add(crlLifetime)) {
				t.Errorf("CRL dates: got %v to %v, want %v to %v", crl.ThisUpdate, crl.NextUpdate, fixedNow, fixedNow.Add(crlLifetime))
			}
		})
	}
}

// TestIssuerClock checks that certificate dates follow the injected clock.
func TestIssuerClock(t *testing.T) {
	at := time.Date(2031, time.July, 1, 8, 0, 0, 0, time.UTC)
	iss, err := NewIssuer(SuiteIntl, "FR", WithClock(func() time.Time { return at }))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := iss.ds.cert.notAfter, at.Add(signerLifetime); !got.Equal(want) {
		t.Errorf("DS not after: got %v, want %v", got, want)
	}
	if got := iss.IssuingState(); got != "FRA" {
		t.Errorf("issuing state: got %q, want FRA", got)
	}
}
