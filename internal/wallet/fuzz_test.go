package wallet

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/netid/netid/internal/crypto/suite"
)

// selfSigned returns a self-signed CA certificate of suite n, PEM.
func selfSigned(tb testing.TB, n suite.Name) []byte {
	tb.Helper()
	s, err := suite.New(n)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := s.GenerateSigner(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := s.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Server answers are outside data: a problem body, whatever it holds,
// decodes to a problem of the HTTP status with printable text.
func FuzzDecodeProblem(f *testing.F) {
	f.Add(422, "application/problem+json", []byte(`{"type":"urn:netid:problem:weak-password","title":"x","status":422,"detail":"d"}`), "")
	f.Add(503, "application/problem+json", []byte(`{"type":"urn:netid:problem:busy","status":503}`), "5")
	f.Add(502, "text/html", []byte(`<html>`), "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(400, "application/json", []byte(`{"detail":"\u001b[31mred\u202e"}`), "-1")
	f.Add(404, "application/problem+json; charset=utf-8", []byte("{\"title\":\"\xff\xfe\"}"), "99999999999999999999")
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte, retry string) {
		if status < 100 || status > 999 {
			return
		}
		p := decodeProblem(status, http.Header{"Content-Type": {ct}, "Retry-After": {retry}}, body)
		if p.Status != status {
			t.Errorf("Status = %d, want %d", p.Status, status)
		}
		if p.RetryAfter < 0 {
			t.Errorf("RetryAfter = %v, want >= 0", p.RetryAfter)
		}
		msg := p.Error()
		if msg == "" {
			t.Errorf("empty message")
		}
		for _, r := range msg {
			if r < 0x20 || r == 0x7f || r == 0x202e {
				t.Errorf("message %q holds control character %U", msg, r)
			}
		}
		if !utf8.ValidString(p.Detail) || len(p.Detail) > maxProblemText+len("…") {
			t.Errorf("detail of %d bytes, valid UTF-8 %t", len(p.Detail), utf8.ValidString(p.Detail))
		}
	})
}

// wallet.json may have been edited by hand or damaged: parsing never
// panics, and what parses passes its own check and round-trips.
func FuzzParseState(f *testing.F) {
	f.Add([]byte(`{"format":"netid-wallet/1","suite":"intl","created_at":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"format":"netid-wallet/1","suite":"sm","created_at":"2026-01-02T03:04:05Z","enrolment":{"id":"e","token":"t","csr_nonce":"n","expires_at":"2026-01-03T00:00:00Z","started_at":"2026-01-02T03:04:05Z"}}`))
	f.Add([]byte(`{"format":"netid-wallet/1","suite":"intl","created_at":"2026-01-02T03:04:05Z","account":{"internet_number":"X","certificate_pem":"p","ca_pem":"","serial":"1","status":"active","verified":true,"dynamic_code":{"secret":"AAAA","digits":8,"period":30,"algorithm":"SHA256"},"enrolled_at":"2026-01-02T03:04:05Z"}}`))
	f.Add([]byte(`{"format":"netid-wallet/1","suite":"intl","created_at":"2026-01-02T03:04:05Z","upgrade_challenge":{"challenge":"AQ","expires_at":"2026-01-02T03:09:05Z"}}`))
	f.Add([]byte(`{"format":"netid-wallet/2"}`))
	f.Add([]byte(`{"format":"netid-wallet/1","suite":"intl","extra":1}`))
	f.Add([]byte(`{} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseState(b)
		if err != nil {
			return
		}
		if err := s.check(); err != nil {
			t.Fatalf("parsed state fails its check: %v", err)
		}
		out, err := s.marshal()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if _, err := parseState(out); err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
	})
}

// A liveness attestation file is the resident's input: reading its
// claims never panics and a result always names a challenge.
func FuzzParseAttestationClaims(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.eyJub25jZSI6ImNoIiwiY2FwdHVyZV9zaGEyNTYiOiJBQUFBIn0.c2ln")
	f.Add("a.b.c")
	f.Add("..")
	f.Add("eyJ9.e30.x")
	f.Fuzz(func(t *testing.T, att string) {
		c, err := parseAttestationClaims(att)
		if err == nil && c.Nonce == "" {
			t.Errorf("claims without a nonce accepted")
		}
	})
}

// The CA and certificate PEM of a completion are the server's: parsing
// them never panics.
func FuzzParseCAs(f *testing.F) {
	for _, n := range suite.Names() {
		f.Add(selfSigned(f, n))
	}
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	f.Add([]byte("garbage"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, cas, err := parseCAs(b)
		if err == nil && (s == nil || len(cas) == 0) {
			t.Errorf("parseCAs accepted %q without a suite or certificates", b)
		}
	})
}
