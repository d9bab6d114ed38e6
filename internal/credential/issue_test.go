package credential_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store"
)

var testAttrs = []credential.Attribute{
	{Name: "birthdate", Value: "1990-05-17"},
	{Name: "age_over_18", Value: "true"},
	{Name: "family_name", Value: "张伟"},
}

func TestIssueFromCSR(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		for keyName, device := range deviceKeys(t, n) {
			t.Run(keyName, func(t *testing.T) {
				f := newFixture(t, n)
				number := testNumber(t)
				issued, openings := f.enrol(t, device, number, testAttrs)
				cert := issued.Certificate
				now := f.clock.now()

				v, err := credential.VerifyCertificate(f.suite, cert, f.roots(t), now)
				if err != nil {
					t.Fatalf("VerifyCertificate() error = %v", err)
				}
				caID := f.activeCA(t)
				if v.InternetNumber != number || v.CAKeyID != caID || v.Serial.Cmp(cert.SerialNumber) != 0 {
					t.Errorf("VerifyCertificate() = number %s, CA %s, serial %x; want %s, %s, %x", v.InternetNumber, v.CAKeyID, v.Serial, number, caID, cert.SerialNumber)
				}
				if !v.DevicePublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(device.Public()) {
					t.Error("VerifyCertificate() device key differs from the CSR's")
				}

				// The profile.
				checks := []struct {
					name      string
					got, want any
				}{
					{"subject CN", cert.Subject.CommonName, string(number)},
					{"subject serialNumber", cert.Subject.SerialNumber, string(number)},
					{"issuer CN", cert.Issuer.CommonName, "netid Internet Certificate CA " + caID},
					{"key usage", cert.KeyUsage, x509.KeyUsageDigitalSignature},
					{"ext key usage", cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
					{"is CA", cert.IsCA, false},
					{"AKI", string(cert.AuthorityKeyId), caID},
					{"SKI length", len(cert.SubjectKeyId), 20},
					{"CRL DP", cert.CRLDistributionPoints, []string{testBaseURL + "/crl?ca=" + caID}},
					{"OCSP", cert.OCSPServer, []string{testBaseURL + "/ocsp"}},
					{"not before", cert.NotBefore, now.Add(-credential.DefaultBackdate)},
					{"not after", cert.NotAfter, now.Add(credential.DefaultValidity)},
					{"serial bits", cert.SerialNumber.BitLen() > 64, true},
				}
				for _, c := range checks {
					if diff := cmp.Diff(c.want, c.got); diff != "" {
						t.Errorf("%s mismatch (-want +got):\n%s", c.name, diff)
					}
				}

				// Commitments: parse back, open, and never the plaintext.
				cs, err := credential.ParseCommitments(cert)
				if err != nil {
					t.Fatalf("ParseCommitments() error = %v", err)
				}
				if diff := cmp.Diff(v.Commitments, cs); diff != "" {
					t.Errorf("VerifyCertificate().Commitments mismatch (-want +got):\n%s", diff)
				}
				if len(cs) != len(testAttrs) || len(openings) != len(testAttrs) {
					t.Fatalf("%d commitments, %d openings; want %d each", len(cs), len(openings), len(testAttrs))
				}
				for i, o := range openings {
					if err := cs[i].Verify(o); err != nil {
						t.Errorf("Verify(opening of %s) = %v, want nil", o.Attribute, err)
					}
					if want := f.suite.Algorithms().Hash; cs[i].Algorithm != want {
						t.Errorf("commitment algorithm %q, want the suite's %q", cs[i].Algorithm, want)
					}
					wrongValue := o
					wrongValue.Value += "x"
					wrongSalt := o
					wrongSalt.Salt = slices.Clone(o.Salt)
					wrongSalt.Salt[0] ^= 1
					for _, bad := range []credential.Opening{wrongValue, wrongSalt} {
						if err := cs[i].Verify(bad); !errors.Is(err, credential.ErrDisclosure) {
							t.Errorf("Verify(altered opening of %s) = %v, want ErrDisclosure", o.Attribute, err)
						}
					}
					if bytes.Contains(issued.DER, []byte(o.Value)) || bytes.Contains(issued.DER, o.Salt) {
						t.Errorf("certificate DER contains the value or salt of %s", o.Attribute)
					}
				}

				// The record.
				recs, err := f.st.CertificatesFor(context.Background(), string(number))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff([]credential.CertificateRecord{issued.Record}, recs); diff != "" {
					t.Errorf("CertificatesFor() mismatch (-want +got):\n%s", diff)
				}
				rec := issued.Record
				if rec.Serial != credential.FormatSerial(cert.SerialNumber) || rec.CAKeyID != caID || !bytes.Equal(rec.DER, issued.DER) ||
					!rec.NotAfter.Equal(cert.NotAfter) || len(rec.DeviceKeyFingerprint) != 64 || rec.Revoked() {
					t.Errorf("record = %+v, does not describe the certificate", rec)
				}
			})
		}
	})
}

func TestIssueRefusals(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		f := newFixture(t, n)
		ctx := context.Background()
		device := newP256(t).Public()
		_, edKey, _ := ed25519.GenerateKey(nil)
		otherSuite := suite.SM
		if n == suite.SM {
			otherSuite = suite.Intl
		}
		foreign, _, err := credential.Commit(mustSuite(t, otherSuite), nil, testAttrs[:1])
		if err != nil {
			t.Fatal(err)
		}
		number := testNumber(t)
		tests := []struct {
			name string
			req  credential.IssueRequest
			want error
		}{
			{"not canonical", credential.IssueRequest{InternetNumber: credential.InternetNumber(number.Display()), DevicePublicKey: device}, credential.ErrInvalidRequest},
			{"bad check character", credential.IssueRequest{InternetNumber: "0000000001", DevicePublicKey: device}, credential.ErrInvalidRequest},
			{"ed25519 device key", credential.IssueRequest{InternetNumber: number, DevicePublicKey: edKey.Public()}, credential.ErrDeviceKey},
			{"no device key", credential.IssueRequest{InternetNumber: number}, credential.ErrDeviceKey},
			{"other suite's commitments", credential.IssueRequest{InternetNumber: number, DevicePublicKey: device, Commitments: foreign}, credential.ErrCommitment},
			{"validity too long", credential.IssueRequest{InternetNumber: number, DevicePublicKey: device, Validity: credential.DefaultValidity + time.Hour}, credential.ErrInvalidRequest},
			{"validity too short", credential.IssueRequest{InternetNumber: number, DevicePublicKey: device, Validity: time.Second}, credential.ErrInvalidRequest},
			{"expired at issuance", credential.IssueRequest{InternetNumber: number, DevicePublicKey: device, NotBefore: f.clock.now().Add(-2 * credential.DefaultValidity)}, credential.ErrInvalidRequest},
			{"outlives the CA", credential.IssueRequest{InternetNumber: number, DevicePublicKey: device, NotBefore: f.clock.now().Add(credential.DefaultCAValidity)}, credential.ErrCAExpiring},
		}
		if n == suite.Intl {
			sm2, err := mustSuite(t, suite.SM).GenerateSigner(nil)
			if err != nil {
				t.Fatal(err)
			}
			tests = append(tests, struct {
				name string
				req  credential.IssueRequest
				want error
			}{"SM2 device key in intl", credential.IssueRequest{InternetNumber: number, DevicePublicKey: sm2.Public()}, credential.ErrDeviceKey})
		}
		for _, tt := range tests {
			if _, err := f.ca.Issue(ctx, tt.req); !errors.Is(err, tt.want) {
				t.Errorf("%s: Issue() error = %v, want %v", tt.name, err, tt.want)
			}
		}
		if recs, _ := f.st.CertificatesFor(ctx, string(number)); len(recs) != 0 {
			t.Errorf("refused requests stored %d certificates, want none", len(recs))
		}
	})
}

func TestRenew(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		f := newFixture(t, n)
		ctx := context.Background()
		number := testNumber(t)
		oldDevice := newP256(t)
		old, openings := f.enrol(t, oldDevice, number, testAttrs)
		f.clock.advance(time.Hour)

		newDevice := deviceKeys(t, n)["p256"]
		if _, err := f.ca.Renew(ctx, credential.RenewRequest{Serial: old.Certificate.SerialNumber, DevicePublicKey: oldDevice.Public()}); !errors.Is(err, credential.ErrSameDeviceKey) {
			t.Errorf("Renew(same key) error = %v, want ErrSameDeviceKey", err)
		}
		if _, err := f.ca.Renew(ctx, credential.RenewRequest{Serial: big.NewInt(12345), DevicePublicKey: newDevice.Public()}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Renew(unknown serial) error = %v, want store.ErrNotFound", err)
		}
		renewed, err := f.ca.Renew(ctx, credential.RenewRequest{Serial: old.Certificate.SerialNumber, DevicePublicKey: newDevice.Public()})
		if err != nil {
			t.Fatalf("Renew() error = %v", err)
		}
		v, err := credential.VerifyCertificate(f.suite, renewed.Certificate, f.roots(t), f.clock.now())
		if err != nil {
			t.Fatalf("VerifyCertificate(renewed) error = %v", err)
		}
		if v.InternetNumber != number {
			t.Errorf("renewed number = %s, want %s", v.InternetNumber, number)
		}
		// The commitments carried over, so the wallet's openings still work.
		for i, o := range openings {
			if err := v.Commitments[i].Verify(o); err != nil {
				t.Errorf("renewed commitment %s: Verify(old opening) = %v, want nil", o.Attribute, err)
			}
		}
		rec, err := f.st.Certificate(ctx, old.Record.Serial)
		if err != nil {
			t.Fatal(err)
		}
		if !rec.Revoked() || rec.Reason != credential.ReasonSuperseded || !rec.RevokedAt.Equal(f.clock.now()) {
			t.Errorf("old certificate: revoked %v at %v for %v, want revoked now for superseded", rec.Revoked(), rec.RevokedAt, rec.Reason)
		}
		if _, err := f.ca.Renew(ctx, credential.RenewRequest{Serial: old.Certificate.SerialNumber, DevicePublicKey: newP256(t).Public()}); !errors.Is(err, credential.ErrRevoked) {
			t.Errorf("Renew(revoked) error = %v, want ErrRevoked", err)
		}
		// New commitments replace the old ones when given.
		cs, _, err := credential.Commit(f.suite, nil, testAttrs[:1])
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.ca.Renew(ctx, credential.RenewRequest{Serial: renewed.Certificate.SerialNumber, DevicePublicKey: newP256(t).Public(), Commitments: cs})
		if err != nil {
			t.Fatalf("Renew(new commitments) error = %v", err)
		}
		got, err := credential.ParseCommitments(again.Certificate)
		if err != nil || len(got) != 1 || got[0].Attribute != testAttrs[0].Name {
			t.Errorf("ParseCommitments(renewed with new commitments) = %+v, %v; want one for %s", got, err, testAttrs[0].Name)
		}
		recs, _ := f.st.CertificatesFor(ctx, string(number))
		good := 0
		for _, r := range recs {
			if !r.Revoked() {
				good++
			}
		}
		if len(recs) != 3 || good != 1 {
			t.Errorf("after two renewals: %d certificates, %d good; want 3, 1", len(recs), good)
		}
	})
}

func TestRevokeAndRevokeAllFor(t *testing.T) {
	f := newFixture(t, suite.Intl)
	ctx := context.Background()
	number := testNumber(t)
	a, _ := f.enrol(t, newP256(t), number, nil)
	b, _ := f.enrol(t, newP256(t), number, nil)
	other, _ := f.enrol(t, newP256(t), testNumber(t), nil)

	if err := f.ca.Revoke(ctx, a.Certificate.SerialNumber, credential.RevocationReason(6)); !errors.Is(err, credential.ErrReason) {
		t.Errorf("Revoke(certificateHold) = %v, want ErrReason", err)
	}
	if err := f.ca.Revoke(ctx, a.Certificate.SerialNumber, credential.ReasonKeyCompromise); err != nil {
		t.Fatalf("Revoke() = %v", err)
	}
	err := f.ca.Revoke(ctx, a.Certificate.SerialNumber, credential.ReasonUnspecified)
	if !errors.Is(err, credential.ErrAlreadyRevoked) || !errors.Is(err, store.ErrConflict) {
		t.Errorf("second Revoke() = %v, want ErrAlreadyRevoked and store.ErrConflict", err)
	}
	if err := f.ca.Revoke(ctx, big.NewInt(77), credential.ReasonUnspecified); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Revoke(unknown) = %v, want store.ErrNotFound", err)
	}
	for round, want := range []int{1, 0} {
		got, err := f.ca.RevokeAllFor(ctx, number, credential.ReasonCessationOfOperation)
		if err != nil || got != want {
			t.Errorf("round %d: RevokeAllFor() = %d, %v; want %d", round, got, err, want)
		}
	}
	checks := []struct {
		serial *big.Int
		want   credential.RevocationReason
		good   bool
	}{
		{a.Certificate.SerialNumber, credential.ReasonKeyCompromise, false},
		{b.Certificate.SerialNumber, credential.ReasonCessationOfOperation, false},
		{other.Certificate.SerialNumber, 0, true},
	}
	for _, c := range checks {
		rec, err := f.st.Certificate(ctx, credential.FormatSerial(c.serial))
		if err != nil {
			t.Fatal(err)
		}
		if rec.Revoked() == c.good || (!c.good && rec.Reason != c.want) {
			t.Errorf("%x: revoked %v for %v, want revoked %v for %v", c.serial, rec.Revoked(), rec.Reason, !c.good, c.want)
		}
	}
}

// TestCACertificateSharedByNodes checks that nodes publish the same CA
// certificate bytes (the first one made is stored), and that a stored
// certificate that does not belong to the CA key is refused.
func TestCACertificateSharedByNodes(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		ctx := context.Background()
		f := newFixture(t, n)
		first, err := f.ca.CACertificatesPEM(ctx)
		if err != nil {
			t.Fatal(err)
		}
		second, err := f.node(t).CACertificatesPEM(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, second) || len(first) == 0 {
			t.Errorf("two nodes publish different CA certificates (%d and %d bytes), want the same bytes", len(first), len(second))
		}
		roots := f.roots(t)
		if len(roots) != 1 {
			t.Fatalf("%d CA certificates, want 1", len(roots))
		}
		root := roots[0]
		id := f.activeCA(t)
		if !root.IsCA || !root.MaxPathLenZero || string(root.SubjectKeyId) != id || root.Subject.CommonName != "netid Internet Certificate CA "+id ||
			root.KeyUsage&(x509.KeyUsageCertSign|x509.KeyUsageCRLSign) == 0 {
			t.Errorf("CA certificate %v, SKI %q, CA %v, path len zero %v: not the netid CA profile", root.Subject, root.SubjectKeyId, root.IsCA, root.MaxPathLenZero)
		}

		// Another fixture's CA certificate, planted under this CA key's id.
		g := newFixture(t, n)
		g.clock.t = f.clock.now()
		foreign := g.roots(t)[0].Raw
		h := newFixture(t, n)
		if err := h.st.PutCACertificate(ctx, h.activeCA(t), foreign, h.clock.now()); err != nil {
			t.Fatal(err)
		}
		if _, err := h.ca.CACertificatesPEM(ctx); !errors.Is(err, credential.ErrCAMismatch) {
			t.Errorf("CACertificatesPEM() with a foreign stored certificate: error = %v, want ErrCAMismatch", err)
		}
		if _, err := h.ca.Issue(ctx, credential.IssueRequest{InternetNumber: testNumber(t), DevicePublicKey: newP256(t).Public()}); !errors.Is(err, credential.ErrCAMismatch) {
			t.Errorf("Issue() with a foreign stored CA certificate: error = %v, want ErrCAMismatch", err)
		}
	})
}
