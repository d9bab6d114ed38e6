package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"os"
	"testing"
	"time"
)

// addMasterListSeeds adds a selection of real CSCA certificates: every
// distinct key description (explicit brainpool and NIST parameters, named
// curves, RSA sizes) and signature algorithm (including RSASSA-PSS) once.
// Without the shared test data only synthetic seeds run (under CI=true its
// absence fails).
func addMasterListSeeds(f *testing.F) {
	f.Helper()
	if _, err := os.Stat(sharedTestdataPath()); err != nil {
		if os.Getenv("CI") == "true" {
			f.Fatalf("shared test data is missing (CI=true)")
		}
		return
	}
	seen := map[string]bool{}
	for _, list := range []string{"DE_ML_2026-05-28-08-28-45.ml", "NL_ML_2026-07-22.ml"} {
		for _, der := range masterListEntries(f, list) {
			c, err := ParseCertificate(der)
			if err != nil || c.PublicKey == nil {
				continue
			}
			alg, _ := ResolveSignatureAlgorithm(c.SignatureAlgorithm, nil)
			key := c.PublicKey.Describe() + "|" + alg.String()
			if !seen[key] {
				seen[key] = true
				f.Add(der)
			}
		}
	}
}

func FuzzParseCertificate(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(5), NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0), SubjectKeyId: []byte{1}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(der)
	addMasterListSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCertificate(b)
		if err != nil {
			return
		}
		if string(c.Raw) != string(b) || len(c.RawTBSCertificate) >= len(b) {
			t.Fatalf("Raw/RawTBSCertificate inconsistent with the input")
		}
		if (c.PublicKey == nil) == (c.PublicKeyErr == nil) {
			t.Fatalf("want exactly one of PublicKey and PublicKeyErr")
		}
		_, _ = c.CheckSignatureFrom(c) // must not panic
		_ = c.Subject.String()
	})
}

func FuzzParseCRL(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCRLSign | x509.KeyUsageCertSign, SubjectKeyId: []byte{1}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		f.Fatal(err)
	}
	issuer, err := x509.ParseCertificate(der)
	if err != nil {
		f.Fatal(err)
	}
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Unix(0, 0), NextUpdate: time.Unix(3600, 0),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(3), RevocationTime: time.Unix(0, 0)}}}, issuer, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(crl)
	ours, err := ParseCertificate(der)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCRL(b)
		if err != nil {
			return
		}
		_ = c.CheckSignatureFrom(ours) // must not panic
		_ = c.IsRevoked(big.NewInt(3))
	})
}
