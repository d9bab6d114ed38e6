package emrtd

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// chipNow is the present for the synthetic chips: inside the document
// signer's validity (2024 to 2035) and before the default expiry (2034).
var chipNow = time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)

func TestVerifyChipSynthetic(t *testing.T) {
	valid := defaultPKISpec()
	expiredDS := defaultPKISpec()
	expiredDS.dsFrom, expiredDS.dsTo = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)
	futureDS := defaultPKISpec()
	futureDS.dsFrom = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	lateCSCA := defaultPKISpec()
	lateCSCA.cscaFrom = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	noAKI := defaultPKISpec()
	noAKI.omitAuthorityKeyID = true
	rsaDS := defaultPKISpec()
	rsaDS.dsKey = rsaKey(t)

	tests := []struct {
		name    string
		spec    chipSpec
		opts    func(c *testChip) VerifyOptions
		trust   func(c *testChip) *TrustStore
		wantErr error
		wantDG  int // for ErrDataGroupHash
		check   func(t *testing.T, r *ChipReport)
	}{
		{
			name: "valid",
			spec: chipSpec{pki: valid},
			check: func(t *testing.T, r *ChipReport) {
				if got, want := r.MRZ.DocumentNumber, "L898902C3"; got != want {
					t.Errorf("MRZ.DocumentNumber = %q, want %q", got, want)
				}
				if got, want := r.MRZ.Expiry.String(), "2034-01-01"; got != want {
					t.Errorf("MRZ.Expiry = %s, want %s", got, want)
				}
				want := &FaceImage{Format: ImageJPEG, Width: 480, Height: 640, Size: len(testJPEG), Data: testJPEG}
				if diff := cmp.Diff(want, r.Portrait); diff != "" {
					t.Errorf("Portrait mismatch (-want +got):\n%s", diff)
				}
				wantDGs := []DataGroupStatus{{1, true, true}, {2, true, true}}
				if diff := cmp.Diff(wantDGs, r.DataGroups); diff != "" {
					t.Errorf("DataGroups mismatch (-want +got):\n%s", diff)
				}
				if r.COM == nil || r.COM.LDSVersion != "01.07" {
					t.Errorf("COM = %+v, want LDS version 01.07", r.COM)
				}
				if got, want := r.SOD.SignatureAlgorithm, "ECDSA with SHA-256"; got != want {
					t.Errorf("SignatureAlgorithm = %q, want %q", got, want)
				}
				if got, want := r.SOD.VerifiedAt, time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC); !got.Equal(want) {
					t.Errorf("VerifiedAt = %v, want the signing time %v", got, want)
				}
			},
		},
		{name: "signer by subject key identifier", spec: chipSpec{pki: valid, sod: sodSpec{bySubjectKeyID: true}}},
		{name: "LDS security object version 1", spec: chipSpec{pki: valid, sod: sodSpec{ldsVersion: true}},
			check: func(t *testing.T, r *ChipReport) {
				if r.SOD.LDSVersion != "0108" || r.SOD.UnicodeVersion != "040000" {
					t.Errorf("LDS version = %q/%q, want 0108/040000", r.SOD.LDSVersion, r.SOD.UnicodeVersion)
				}
			}},
		{name: "RSA PKCS#1 v1.5 signer", spec: chipSpec{pki: rsaDS, sod: sodSpec{scheme: "rsa"}}},
		{name: "RSASSA-PSS signer", spec: chipSpec{pki: rsaDS, sod: sodSpec{scheme: "rsa-pss"}},
			check: func(t *testing.T, r *ChipReport) {
				if got, want := r.SOD.SignatureAlgorithm, "RSASSA-PSS with SHA-256 (MGF1 SHA-256, salt 32)"; got != want {
					t.Errorf("SignatureAlgorithm = %q, want %q", got, want)
				}
			}},
		{name: "RSASSA-PSS with MGF1 SHA-1 and no salt", spec: chipSpec{pki: rsaDS, sod: sodSpec{scheme: "rsa-pss-mgf1-sha1"}}},
		{name: "CSCA without key identifier in the signer certificate", spec: chipSpec{pki: noAKI}},
		{name: "DG2 not read", spec: chipSpec{pki: valid, tamper: func(f map[string][]byte) { delete(f, "DG2") }},
			check: func(t *testing.T, r *ChipReport) {
				if r.Portrait != nil {
					t.Errorf("Portrait = %+v, want nil", r.Portrait)
				}
				if diff := cmp.Diff([]DataGroupStatus{{1, true, true}, {2, false, false}}, r.DataGroups); diff != "" {
					t.Errorf("DataGroups mismatch (-want +got):\n%s", diff)
				}
			}},
		{name: "authentic DG2 in an encoding not decoded", spec: chipSpec{pki: valid, dg2: tlvBytes(TagDG2, tlvBytes(0x7F61,
			tlvBytes(0x7F60, append(tlvBytes(0xA1, nil), tlvBytes(0x7F2E, tlvBytes(0xA1, []byte{0x80, 0x00}))...))))},
			check: func(t *testing.T, r *ChipReport) {
				if r.Portrait != nil || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "39794-5") {
					t.Errorf("Portrait = %v, Warnings = %q; want no portrait and a warning about 39794-5", r.Portrait, r.Warnings)
				}
			}},
		{name: "printed MRZ with line breaks and spaces", spec: chipSpec{pki: valid},
			opts: func(c *testChip) VerifyOptions {
				return VerifyOptions{Now: chipNow, PrintedMRZ: " " + strings.ReplaceAll(c.mrz, "\n", "\r\n") + "\n"}
			}},

		{name: "DG2 tampered", spec: chipSpec{pki: valid, tamper: func(f map[string][]byte) { f["DG2"][len(f["DG2"])-1] ^= 1 }},
			wantErr: ErrDataGroupHash, wantDG: 2},
		{name: "DG1 tampered", spec: chipSpec{pki: valid, tamper: func(f map[string][]byte) { f["DG1"][10] = 'X' }},
			wantErr: ErrDataGroupHash, wantDG: 1},
		{name: "data group not listed in the SOD", spec: chipSpec{pki: valid, tamper: func(f map[string][]byte) {
			f["DG11"] = tlvBytes(0x6B, tlvBytes(0x5C, []byte{0x5F, 0x0E}))
		}}, wantErr: ErrDataGroupHash, wantDG: 11},
		{name: "SOD signature tampered", spec: chipSpec{pki: valid, tamper: func(f map[string][]byte) {
			sod := f["SOD"]
			sod[len(sod)-3] ^= 0x10
		}}, wantErr: ErrSignatureInvalid},
		{name: "signed message digest is not the content's", spec: chipSpec{pki: valid, sod: sodSpec{wrongMessageDigest: true}},
			wantErr: ErrDigestMismatch},
		{name: "signer certificate expired at the verification time", spec: chipSpec{pki: expiredDS},
			opts:    func(*testChip) VerifyOptions { return VerifyOptions{Now: chipNow, At: chipNow} },
			wantErr: ErrSignerExpired},
		{name: "signer certificate expired, no signing time", spec: chipSpec{pki: expiredDS, noSigningTime: true},
			wantErr: ErrSignerExpired},
		{name: "signer certificate not yet valid at the signing time", spec: chipSpec{pki: futureDS},
			wantErr: ErrSignerExpired},
		{name: "CSCA not valid when the signer was issued", spec: chipSpec{pki: lateCSCA},
			wantErr: ErrSignerExpired},
		{name: "expired document", spec: chipSpec{pki: valid, expiry: "250101"}, wantErr: ErrDocumentExpired},
		{name: "printed MRZ differs", spec: chipSpec{pki: valid},
			opts: func(c *testChip) VerifyOptions {
				return VerifyOptions{Now: chipNow, PrintedMRZ: mrzTD3(t, "340102")}
			}, wantErr: ErrMRZMismatch},
		{name: "unknown CSCA", spec: chipSpec{pki: valid},
			trust: func(*testChip) *TrustStore {
				// Same name, another key (and key identifier).
				spec := defaultPKISpec()
				spec.cscaSubjectKeyID = []byte("another key")
				return trustFor(t, newTestPKI(t, spec))
			},
			wantErr: ErrUnknownCSCA},
		{name: "CSCA of the same name and key identifier but another key", spec: chipSpec{pki: valid},
			trust:   func(*testChip) *TrustStore { return trustFor(t, newTestPKI(t, defaultPKISpec())) },
			wantErr: ErrSignatureInvalid},
		{name: "empty trust store", spec: chipSpec{pki: valid},
			trust: func(*testChip) *TrustStore { return NewTrustStore() }, wantErr: ErrUnknownCSCA},
		{name: "no DG1", spec: chipSpec{pki: valid, tamper: func(f map[string][]byte) { delete(f, "DG1") }},
			wantErr: ErrMalformed},
		{name: "no SOD", spec: chipSpec{pki: valid, tamper: func(f map[string][]byte) { delete(f, "SOD") }},
			wantErr: ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestChip(t, tt.spec)
			opts := VerifyOptions{Now: chipNow}
			if tt.opts != nil {
				opts = tt.opts(c)
			}
			trust := trustFor(t, c.pki)
			if tt.trust != nil {
				trust = tt.trust(c)
			}
			r, err := VerifyChip(c.dump, trust, opts)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("VerifyChip() error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantDG != 0 {
				var dgErr *DataGroupError
				if !errors.As(err, &dgErr) || dgErr.DataGroup != tt.wantDG {
					t.Errorf("VerifyChip() error = %v, want a *DataGroupError for DG%d", err, tt.wantDG)
				}
			}
			if err == nil && tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// TestVerifyChipErrorsAreDistinct checks that each failure is reported by
// exactly one of the sentinels, so a caller's errors.Is switch is
// unambiguous.
func TestVerifyChipErrorsAreDistinct(t *testing.T) {
	sentinels := []error{ErrMalformed, ErrSignatureInvalid, ErrDigestMismatch, ErrDataGroupHash, ErrUnknownCSCA,
		ErrSignerExpired, ErrSignerRevoked, ErrDocumentExpired, ErrMRZMismatch, ErrUnsupportedAlgorithm}
	for i, a := range sentinels {
		for j, b := range sentinels {
			if i != j && errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = true, want distinct sentinels", a, b)
			}
		}
	}
}

func TestVerifyChipSM2(t *testing.T) {
	p := newSM2PKI(t)
	mrz := mrzTD3(t, "340101")
	files := map[string][]byte{"DG1": buildDG1(mrz), "DG2": buildDG2(buildFacialRecord(testJPEG, 0, 10, 10))}
	files["SOD"] = buildSecurityObject(t, p, sodSpec{
		dataGroups: map[int][]byte{1: files["DG1"], 2: files["DG2"]}, scheme: "sm2",
		signingTime: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
	})
	r, err := VerifyChip(ChipDump{Files: files}, trustFor(t, p), VerifyOptions{Now: chipNow})
	if err != nil {
		t.Fatalf("VerifyChip() = %v, want nil", err)
	}
	if got, want := r.SOD.SignatureAlgorithm, "SM2 with SM3"; got != want {
		t.Errorf("SignatureAlgorithm = %q, want %q", got, want)
	}
	if got, want := r.SOD.DataGroupHashAlgorithm, "SM3"; got != want {
		t.Errorf("DataGroupHashAlgorithm = %q, want %q", got, want)
	}
	files["DG1"] = buildDG1(mrzTD3(t, "340102"))
	if _, err := VerifyChip(ChipDump{Files: files}, trustFor(t, p), VerifyOptions{Now: chipNow}); !errors.Is(err, ErrDataGroupHash) {
		t.Errorf("VerifyChip() with DG1 changed = %v, want ErrDataGroupHash", err)
	}
}

// writeTrustDir writes the CSCA and, when crl is not nil, a CRL into a
// temporary trust directory.
func writeTrustDir(t *testing.T, p *testPKI, crl []byte, asPEM bool) string {
	t.Helper()
	dir := t.TempDir()
	if asPEM {
		b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.cscaDER})
		if crl != nil {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crl})...)
		}
		if err := os.WriteFile(filepath.Join(dir, "csca.pem"), b, 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	if err := os.WriteFile(filepath.Join(dir, "csca.cer"), p.cscaDER, 0o600); err != nil {
		t.Fatal(err)
	}
	if crl != nil {
		if err := os.WriteFile(filepath.Join(dir, "csca.crl"), crl, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func makeCRL(t *testing.T, p *testPKI, signer *testPKI, serials ...int64) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(1),
		ThisUpdate:                time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		NextUpdate:                time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC),
		RevokedCertificateEntries: entries,
	}, p.csca, signer.cscaKey)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

func TestRevocation(t *testing.T) {
	c := newTestChip(t, chipSpec{pki: defaultPKISpec()})
	other := newTestPKI(t, defaultPKISpec())
	tests := []struct {
		name        string
		crl         []byte
		pem         bool
		wantLoadErr error
		wantErr     error
	}{
		{name: "no CRL"},
		{name: "CRL without the signer", crl: makeCRL(t, c.pki, c.pki, 1, 2, 3)},
		{name: "CRL revoking the signer", crl: makeCRL(t, c.pki, c.pki, 3, c.pki.ds.SerialNumber.Int64()), wantErr: ErrSignerRevoked},
		{name: "PEM CRL revoking the signer", crl: makeCRL(t, c.pki, c.pki, c.pki.ds.SerialNumber.Int64()), pem: true, wantErr: ErrSignerRevoked},
		{name: "CRL signed by another key", crl: makeCRL(t, c.pki, other, c.pki.ds.SerialNumber.Int64()), wantLoadErr: ErrSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trust, err := LoadTrustDir(writeTrustDir(t, c.pki, tt.crl, tt.pem), chipNow)
			if !errors.Is(err, tt.wantLoadErr) || (tt.wantLoadErr == nil) != (err == nil) {
				t.Fatalf("LoadTrustDir() error = %v, want %v", err, tt.wantLoadErr)
			}
			if err != nil {
				return
			}
			wantCRLs := 0
			if tt.crl != nil {
				wantCRLs = 1
			}
			if got := trust.Report().CRLs; got != wantCRLs {
				t.Errorf("Report().CRLs = %d, want %d", got, wantCRLs)
			}
			_, err = VerifyChip(c.dump, trust, VerifyOptions{Now: chipNow})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("VerifyChip() error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestVerifyChipUnnamedExplicitCurve covers a document signer key on a
// curve that matches no named curve: only the generic arithmetic of
// package ecc, after validating the parameters, can verify it.
func TestVerifyChipUnnamedExplicitCurve(t *testing.T) {
	p := newExplicitCurvePKI(t)
	files := map[string][]byte{"DG1": buildDG1(mrzTD3(t, "340101"))}
	files["SOD"] = buildSecurityObject(t, p, sodSpec{dataGroups: map[int][]byte{1: files["DG1"]}, signingTime: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)})
	r, err := VerifyChip(ChipDump{Files: files}, trustFor(t, p), VerifyOptions{Now: chipNow})
	if err != nil {
		t.Fatalf("VerifyChip() = %v, want nil", err)
	}
	if got, want := r.SOD.DocumentSigner.Key, "EC unnamed 256-bit prime curve (explicit parameters)"; got != want {
		t.Errorf("document signer key = %q, want %q", got, want)
	}
	sod := files["SOD"]
	sod[len(sod)-5] ^= 0x01
	if _, err := VerifyChip(ChipDump{Files: files}, trustFor(t, p), VerifyOptions{Now: chipNow}); !errors.Is(err, ErrSignatureInvalid) {
		t.Errorf("VerifyChip() with a changed signature = %v, want ErrSignatureInvalid", err)
	}
}
