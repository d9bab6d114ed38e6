package emrtd

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseRealMasterLists(t *testing.T) {
	tests := []struct {
		file       string
		wantSigner string
		wantAlg    string
		minCerts   int
	}{
		{"trust/DE_ML_2026-05-28-08-28-45.ml", "CN=CSCA Master List Signer,SERIALNUMBER=0039,OU=bsi,O=bund,C=DE", "ECDSA with SHA-256", 580},
		{"trust/NL_ML_2026-07-22.ml", "C=NL,O=Kingdom of the Netherlands,OU=Kingdom of the Netherlands,CN=Masterlist Signer NL,SERIALNUMBER=8", "RSA PKCS#1 v1.5 with SHA-256", 400},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			ml, err := ParseMasterList(readShared(t, tt.file))
			if err != nil {
				t.Fatalf("ParseMasterList() = %v", err)
			}
			if got := len(ml.Certificates); got < tt.minCerts {
				t.Errorf("%d certificates, want at least %d", got, tt.minCerts)
			}
			if len(ml.Skipped) != 0 {
				t.Errorf("Skipped = %+v, want none", ml.Skipped)
			}
			signer, err := ml.Signer()
			if err != nil {
				t.Fatalf("Signer() = %v", err)
			}
			if got := signer.Subject.String(); got != tt.wantSigner {
				t.Errorf("signer = %q, want %q", got, tt.wantSigner)
			}
			check, err := ml.VerifySignature()
			if err != nil {
				t.Fatalf("VerifySignature() = %v, want nil", err)
			}
			if got := check.Algorithm.String(); got != tt.wantAlg {
				t.Errorf("signature algorithm = %q, want %q", got, tt.wantAlg)
			}
		})
	}
}

func TestTamperedMasterList(t *testing.T) {
	good := readShared(t, "trust/NL_ML_2026-07-22.ml")
	ml, err := ParseMasterList(good)
	if err != nil {
		t.Fatal(err)
	}
	sigAt := indexOnce(t, good, ml.SignedData.Signer.Signature, "master list signature")
	// A byte inside the third certificate of the list.
	certAt := indexOnce(t, good, ml.Certificates[2].Raw, "a listed certificate") + 200
	tests := []struct {
		name    string
		at      int
		wantErr error
	}{
		{"signature", sigAt + 40, ErrSignatureInvalid},
		{"listed certificate", certAt, ErrDigestMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := append([]byte(nil), good...)
			bad[tt.at] ^= 0x04
			ml, err := ParseMasterList(bad)
			if err == nil {
				_, err = ml.VerifySignature()
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("VerifySignature() = %v, want %v", err, tt.wantErr)
			}
			dir := copyTrustDir(t)
			if err := os.WriteFile(filepath.Join(dir, "NL_ML_2026-07-22.ml"), bad, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadTrustDir(dir, trustTime); !errors.Is(err, tt.wantErr) {
				t.Errorf("LoadTrustDir() with the tampered list = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestLoadTrustDirRefusals(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
		now     time.Time
		wantErr error
	}{
		{"master lists without their roots", func(t *testing.T, dir string) {
			for _, f := range []string{"DE_ROOT_CA_CSCA07.cer", "NL_ROOT_CA.cer"} {
				if err := os.Remove(filepath.Join(dir, f)); err != nil {
					t.Fatal(err)
				}
			}
		}, trustTime, ErrUnknownCSCA},
		{"master-list signer expired", nil, time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC), ErrSignerExpired},
		{"unparseable certificate file", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "broken.cer"), []byte{0x30, 0x03, 1, 2, 3}, 0o600); err != nil {
				t.Fatal(err)
			}
		}, trustTime, ErrMalformed},
		{"unparseable master list", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "broken.ml"), []byte("not a master list"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, trustTime, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyTrustDir(t)
			if tt.prepare != nil {
				tt.prepare(t, dir)
			}
			if _, err := LoadTrustDir(dir, tt.now); !errors.Is(err, tt.wantErr) {
				t.Errorf("LoadTrustDir() = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if _, err := LoadTrustDir(filepath.Join(t.TempDir(), "missing"), trustTime); err == nil {
		t.Errorf("LoadTrustDir(missing directory) = nil error, want an error")
	}
}

// buildMasterList signs a CscaMasterList over entries with p's document
// signer key, as a master-list signer under p's CSCA.
func buildMasterList(t testing.TB, p *testPKI, entries [][]byte) []byte {
	t.Helper()
	list := struct {
		Version int
		Certs   []asn1.RawValue `asn1:"set"`
	}{}
	for _, e := range entries {
		list.Certs = append(list.Certs, asn1.RawValue{FullBytes: e})
	}
	content := mustMarshal(t, list)
	sum := func(b []byte) []byte { h := crypto.SHA256.New(); h.Write(b); return h.Sum(nil) }
	return buildSignedData(t, p, sodSpec{signingTime: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, OIDCscaMasterList, content, oidSHA256, sum)
}

// ed25519Certificate returns a self-signed certificate with an Ed25519
// key, which no travel document uses: a master list entry to skip.
func ed25519Certificate(t testing.TB) []byte {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(9), Subject: pkix.Name{Country: []string{"XX"}, CommonName: "odd"},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestLoadTrustDirSyntheticMasterList(t *testing.T) {
	root := newTestPKI(t, defaultPKISpec())
	listed := []*testPKI{newTestPKI(t, pkiSpec{country: "AA", cscaFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), cscaTo: time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		dsFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), dsTo: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), dsSerial: 1})}
	entries := [][]byte{listed[0].cscaDER, {0x30, 0x03, 0x02, 0x01, 0x01}, ed25519Certificate(t), root.cscaDER}
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("root.cer", root.cscaDER)
	write("list.ml", buildMasterList(t, root, entries))
	write("README.txt", []byte("notes"))
	trust, err := LoadTrustDir(dir, chipNow)
	if err != nil {
		t.Fatalf("LoadTrustDir() = %v", err)
	}
	r := trust.Report()
	if got, want := r.CSCAs, 2; got != want {
		t.Errorf("Report().CSCAs = %d, want %d (the root and the listed CSCA)", got, want)
	}
	if got, want := r.ByCountry["AA"], 1; got != want {
		t.Errorf("Report().ByCountry[AA] = %d, want %d", got, want)
	}
	// DER sorts the SET OF entries, so only count them.
	var oddEntries, others int
	for _, s := range r.Skipped {
		switch {
		case strings.HasPrefix(s.Source, "list.ml entry ") && s.Reason != "":
			oddEntries++
		case s.Source == "README.txt":
			others++
		}
	}
	if oddEntries != 2 || others != 1 {
		t.Errorf("Report().Skipped = %+v, want the two odd entries of list.ml and README.txt", r.Skipped)
	}
	ml := r.Sources[1]
	if ml.Kind != "master list" || ml.Added != 1 || ml.Duplicates != 1 || ml.Skipped != 2 {
		t.Errorf("master list source = %+v, want 1 added, 1 duplicate, 2 skipped", ml)
	}
	// A document of the listed CSCA now verifies.
	mrz := mrzTD3(t, "340101")
	files := map[string][]byte{"DG1": buildDG1(mrz)}
	files["SOD"] = buildSecurityObject(t, listed[0], sodSpec{dataGroups: map[int][]byte{1: files["DG1"]}, signingTime: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	if _, err := VerifyChip(ChipDump{Files: files}, trust, VerifyOptions{Now: chipNow}); err != nil {
		t.Errorf("VerifyChip() of a document under a listed CSCA = %v, want nil", err)
	}
}
