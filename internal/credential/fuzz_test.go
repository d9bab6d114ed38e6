package credential_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
)

// FuzzParseCSR feeds arbitrary requests to ParseCSR in both suites: it
// must never panic, every refusal must carry one of the documented errors,
// and an accepted request must yield a device key.
func FuzzParseCSR(f *testing.F) {
	p256 := newP256(f)
	sm2, err := mustSuite(f, suite.SM).GenerateSigner(nil)
	if err != nil {
		f.Fatal(err)
	}
	for _, key := range []crypto.Signer{p256, sm2} {
		der, err := credential.CreateCSR(nil, key, testNonce)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
		f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
		f.Add(corruptSignature(der))
	}
	f.Add(stdlibCSR(f, p256))
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte("-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n"))
	suites := []suite.Suite{mustSuite(f, suite.Intl), mustSuite(f, suite.SM)}
	documented := []error{credential.ErrCSR, credential.ErrCSRSignature, credential.ErrCSRNonce, credential.ErrDeviceKey}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range suites {
			csr, err := credential.ParseCSR(s, data, testNonce)
			if err != nil {
				ok := false
				for _, d := range documented {
					ok = ok || errors.Is(err, d)
				}
				if !ok {
					t.Fatalf("%s: ParseCSR() error %v wraps none of the documented errors", s.Name(), err)
				}
				continue
			}
			if csr.PublicKey == nil || len(csr.PublicKeyDER) == 0 || len(csr.Raw) == 0 {
				t.Fatalf("%s: ParseCSR() accepted a request without a key: %+v", s.Name(), csr)
			}
		}
	})
}

// FuzzOCSPRequest feeds arbitrary requests to ParseOCSPRequest and to a
// real responder: the responder must always answer with a response that
// parses (successful or an error status), never fail itself, and a parsed
// request must respect the limits. The GET decoding gets the same input
// as a path segment.
func FuzzOCSPRequest(f *testing.F) {
	fx := newFixture(f, suite.Intl)
	issued, _ := fx.enrol(f, newP256(f), testNumber(f), nil)
	root := fx.roots(f)[0]
	for _, nonce := range [][]byte{nil, []byte("n"), bytes.Repeat([]byte{7}, 32)} {
		req, err := credential.CreateOCSPRequest(fx.suite, issued.Certificate, root, nonce)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(req)
		f.Add([]byte(base64.StdEncoding.EncodeToString(req)))
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x03, 0x30, 0x01, 0x30})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		if req, err := credential.ParseOCSPRequest(data); err == nil {
			if len(req.CertIDs) == 0 || len(req.CertIDs) > credential.MaxOCSPCertIDs {
				t.Fatalf("ParseOCSPRequest() accepted %d certificates", len(req.CertIDs))
			}
			if req.Nonce != nil && (len(req.Nonce) == 0 || len(req.Nonce) > credential.MaxOCSPNonce) {
				t.Fatalf("ParseOCSPRequest() accepted a nonce of %d bytes", len(req.Nonce))
			}
		} else if !errors.Is(err, credential.ErrOCSPRequest) {
			t.Fatalf("ParseOCSPRequest() error %v does not wrap ErrOCSPRequest", err)
		}
		resp, err := fx.ca.OCSPRespond(ctx, data)
		if err != nil {
			t.Fatalf("OCSPRespond() error = %v, want an OCSP status instead", err)
		}
		if _, err := credential.ParseOCSPResponse(fx.suite, resp, root); err != nil && !errors.As(err, new(*credential.OCSPStatusError)) {
			t.Fatalf("OCSPRespond() answered with a response that does not parse: %v", err)
		}
		if _, err := credential.OCSPRequestFromGET(string(data)); err != nil && !errors.Is(err, credential.ErrOCSPRequest) {
			t.Fatalf("OCSPRequestFromGET() error %v does not wrap ErrOCSPRequest", err)
		}
	})
}

// FuzzParseOCSPResponse feeds arbitrary responses to the client side.
func FuzzParseOCSPResponse(f *testing.F) {
	fx := newFixture(f, suite.Intl)
	ctx := context.Background()
	issued, _ := fx.enrol(f, newP256(f), testNumber(f), nil)
	revoked, _ := fx.enrol(f, newP256(f), testNumber(f), nil)
	if err := fx.ca.Revoke(ctx, revoked.Certificate.SerialNumber, credential.ReasonKeyCompromise); err != nil {
		f.Fatal(err)
	}
	root := fx.roots(f)[0]
	for _, c := range []*credential.Issued{issued, revoked} {
		req, err := credential.CreateOCSPRequest(fx.suite, c.Certificate, root, []byte("nonce"))
		if err != nil {
			f.Fatal(err)
		}
		resp, err := fx.ca.OCSPRespond(ctx, req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(resp)
	}
	f.Add([]byte{0x30, 0x03, 0x0a, 0x01, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		resp, err := credential.ParseOCSPResponse(fx.suite, data, root)
		if err != nil {
			if !errors.Is(err, credential.ErrOCSPResponse) {
				t.Fatalf("ParseOCSPResponse() error %v does not wrap ErrOCSPResponse", err)
			}
			return
		}
		for _, one := range resp.Responses {
			if one.CertID.SerialNumber == nil {
				t.Fatal("ParseOCSPResponse() returned a response without a serial")
			}
		}
	})
}

// FuzzParseCommitments feeds arbitrary extension values to the parser a
// relying party runs on every certificate.
func FuzzParseCommitments(f *testing.F) {
	cs, _, err := credential.Commit(mustSuite(f, suite.SM), nil, testAttrs)
	if err != nil {
		f.Fatal(err)
	}
	fx := newFixture(f, suite.SM)
	issued, err := fx.ca.Issue(context.Background(), credential.IssueRequest{InternetNumber: testNumber(f), DevicePublicKey: newP256(f).Public(), Commitments: cs})
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range issued.Certificate.Extensions {
		if e.Id.Equal(credential.OIDCommitments) {
			f.Add(e.Value)
		}
	}
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := credential.ParseCommitments(&x509.Certificate{Extensions: []pkix.Extension{{Id: credential.OIDCommitments, Value: data}}})
		if err != nil {
			if !errors.Is(err, credential.ErrCommitment) {
				t.Fatalf("ParseCommitments() error %v does not wrap ErrCommitment", err)
			}
			return
		}
		if len(got) == 0 || len(got) > credential.MaxCommitments {
			t.Fatalf("ParseCommitments() returned %d commitments", len(got))
		}
		seen := map[string]bool{}
		for _, c := range got {
			if len(c.Digest) != 32 || seen[c.Attribute] || (c.Algorithm != "sha-256" && c.Algorithm != "sm3") {
				t.Fatalf("ParseCommitments() returned %+v", c)
			}
			seen[c.Attribute] = true
		}
	})
}

// FuzzVerifyCRL feeds arbitrary CRLs to the offline revocation check, in
// both suites.
func FuzzVerifyCRL(f *testing.F) {
	ctx := context.Background()
	type side struct {
		s    suite.Suite
		root *x509.Certificate
	}
	var sides []side
	for _, n := range suite.Names() {
		fx := newFixture(f, n)
		issued, _ := fx.enrol(f, newP256(f), testNumber(f), nil)
		if err := fx.ca.Revoke(ctx, issued.Certificate.SerialNumber, credential.ReasonSuperseded); err != nil {
			f.Fatal(err)
		}
		crl, err := fx.ca.CRL(ctx, "")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(crl.DER)
		sides = append(sides, side{fx.suite, fx.roots(f)[0]})
	}
	f.Add([]byte{0x30, 0x00})
	at := newFixture(f, suite.Intl).clock.now()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, sd := range sides {
			l, err := credential.VerifyCRL(sd.s, data, sd.root, at)
			if err != nil {
				if !errors.Is(err, credential.ErrCRL) {
					t.Fatalf("%s: VerifyCRL() error %v does not wrap ErrCRL", sd.s.Name(), err)
				}
				continue
			}
			if l.Number == nil || l.Revoked == nil {
				t.Fatalf("%s: VerifyCRL() = %+v, want a number and a map", sd.s.Name(), l)
			}
		}
	})
}
