package credential_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/ocsp"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
)

// checkCRLSignature parses der with the suite's own X.509 library (not
// credential's) and checks its signature against the CA certificate, as
// any relying party would.
func checkCRLSignature(t *testing.T, s suite.Suite, der []byte, ca *x509.Certificate) (number *big.Int, revoked map[string]int) {
	t.Helper()
	revoked = make(map[string]int)
	if s.Name() == suite.SM {
		rl, err := smx509.ParseRevocationList(der)
		if err != nil {
			t.Fatalf("smx509.ParseRevocationList() error = %v", err)
		}
		smCA, err := smx509.ParseCertificate(ca.Raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := rl.CheckSignatureFrom(smCA); err != nil || rl.SignatureAlgorithm != smx509.SM2WithSM3 {
			t.Fatalf("CRL signature %v: CheckSignatureFrom() = %v, want SM2-with-SM3 and nil", rl.SignatureAlgorithm, err)
		}
		for _, e := range rl.RevokedCertificateEntries {
			revoked[credential.FormatSerial(e.SerialNumber)] = e.ReasonCode
		}
		return rl.Number, revoked
	}
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("x509.ParseRevocationList() error = %v", err)
	}
	if err := rl.CheckSignatureFrom(ca); err != nil || rl.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		t.Fatalf("CRL signature %v: CheckSignatureFrom() = %v, want ECDSA-SHA256 and nil", rl.SignatureAlgorithm, err)
	}
	for _, e := range rl.RevokedCertificateEntries {
		revoked[credential.FormatSerial(e.SerialNumber)] = e.ReasonCode
	}
	return rl.Number, revoked
}

// ocspStatus asks the CA about cert, with credential's client in both
// suites and, in intl, with golang.org/x/crypto/ocsp as well, and checks
// that both read the same answer.
func ocspStatus(t *testing.T, f *fixture, ca *credential.CA, cert, issuer *x509.Certificate) credential.OCSPSingleResponse {
	t.Helper()
	ctx := context.Background()
	nonce := []byte("0123456789abcdef0123456789abcdef")
	req, err := credential.CreateOCSPRequest(f.suite, cert, issuer, nonce)
	if err != nil {
		t.Fatalf("CreateOCSPRequest() error = %v", err)
	}
	der, err := ca.OCSPRespond(ctx, req)
	if err != nil {
		t.Fatalf("OCSPRespond() error = %v", err)
	}
	resp, err := credential.ParseOCSPResponse(f.suite, der, issuer)
	if err != nil {
		t.Fatalf("ParseOCSPResponse() error = %v", err)
	}
	if !bytes.Equal(resp.Nonce, nonce) {
		t.Errorf("response nonce %q, want the request's %q", resp.Nonce, nonce)
	}
	if len(resp.Responses) != 1 || resp.Responses[0].CertID.SerialNumber.Cmp(cert.SerialNumber) != 0 {
		t.Fatalf("%d single responses, want 1 for serial %x", len(resp.Responses), cert.SerialNumber)
	}
	one := resp.Responses[0]
	now := f.clock.now()
	if !one.ThisUpdate.Equal(now.Truncate(time.Second)) || !one.NextUpdate.Equal(one.ThisUpdate.Add(credential.DefaultOCSPValidity)) {
		t.Errorf("thisUpdate %v, nextUpdate %v; want now and now + %v", one.ThisUpdate, one.NextUpdate, credential.DefaultOCSPValidity)
	}
	if f.suite.Name() == suite.Intl {
		xreq, err := ocsp.CreateRequest(cert, issuer, nil) // SHA-1 CertID, as OpenSSL sends
		if err != nil {
			t.Fatal(err)
		}
		xder, err := ca.OCSPRespond(ctx, xreq)
		if err != nil {
			t.Fatalf("OCSPRespond(x/crypto request) error = %v", err)
		}
		x, err := ocsp.ParseResponseForCert(xder, cert, issuer)
		if err != nil {
			t.Fatalf("ocsp.ParseResponseForCert() error = %v", err)
		}
		want := map[credential.OCSPCertStatus]int{credential.OCSPGood: ocsp.Good, credential.OCSPRevoked: ocsp.Revoked, credential.OCSPUnknown: ocsp.Unknown}[one.Status]
		if x.Status != want || !x.RevokedAt.Equal(one.RevokedAt) || (one.Status == credential.OCSPRevoked && x.RevocationReason != int(one.Reason)) {
			t.Errorf("x/crypto/ocsp reads status %d revoked at %v for %d; credential reads %v at %v for %v", x.Status, x.RevokedAt, x.RevocationReason, one.Status, one.RevokedAt, one.Reason)
		}
	}
	return one
}

func TestRevocationPublished(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		f := newFixture(t, n)
		ctx := context.Background()
		good, _ := f.enrol(t, newP256(t), testNumber(t), nil)
		compromised, _ := f.enrol(t, newP256(t), testNumber(t), nil)
		deletedNumber := testNumber(t)
		deleted, _ := f.enrol(t, newP256(t), deletedNumber, nil)
		root := f.roots(t)[0]

		first, err := f.ca.CRL(ctx, "")
		if err != nil {
			t.Fatalf("CRL() error = %v", err)
		}
		num, revoked := checkCRLSignature(t, f.suite, first.DER, root)
		if num.Int64() != first.Number || first.Number != 1 || len(revoked) != 0 {
			t.Errorf("first CRL: number %v (field %d), %d entries; want 1, empty", num, first.Number, len(revoked))
		}
		for _, c := range []*credential.Issued{good, compromised, deleted} {
			if got := ocspStatus(t, f, f.ca, c.Certificate, root); got.Status != credential.OCSPGood {
				t.Errorf("OCSP status of %x before revocation = %v, want good", c.Certificate.SerialNumber, got.Status)
			}
		}

		f.clock.advance(time.Minute / 2) // within the CRL refresh: only the revocation makes a new CRL
		if err := f.ca.Revoke(ctx, compromised.Certificate.SerialNumber, credential.ReasonKeyCompromise); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ca.RevokeAllFor(ctx, deletedNumber, credential.ReasonCessationOfOperation); err != nil {
			t.Fatal(err)
		}
		crl, err := f.ca.CRL(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		num, revoked = checkCRLSignature(t, f.suite, crl.DER, root)
		want := map[string]int{
			credential.FormatSerial(compromised.Certificate.SerialNumber): int(credential.ReasonKeyCompromise),
			credential.FormatSerial(deleted.Certificate.SerialNumber):     int(credential.ReasonCessationOfOperation),
		}
		if num.Int64() != 2 || len(revoked) != len(want) {
			t.Errorf("CRL after revocations: number %v, entries %v; want 2, %v", num, revoked, want)
		}
		for s, r := range want {
			if revoked[s] != r {
				t.Errorf("CRL entry %s reason %d, want %d", s, revoked[s], r)
			}
		}
		now := f.clock.now()
		if !crl.ThisUpdate.Equal(now) || !crl.NextUpdate.Equal(now.Add(credential.DefaultCRLValidity)) || !crl.RefreshAt.Equal(now.Add(credential.DefaultCRLRefresh)) {
			t.Errorf("CRL times %v, %v, refresh %v; want now, +%v, +%v", crl.ThisUpdate, crl.NextUpdate, crl.RefreshAt, credential.DefaultCRLValidity, credential.DefaultCRLRefresh)
		}
		list, err := credential.VerifyCRL(f.suite, crl.DER, root, now)
		if err != nil {
			t.Fatalf("VerifyCRL() error = %v", err)
		}
		if e, ok := list.Lookup(compromised.Certificate.SerialNumber); !ok || e.Reason != credential.ReasonKeyCompromise || !e.RevokedAt.Equal(now) {
			t.Errorf("VerifyCRL().Lookup(compromised) = %+v, %v; want keyCompromise now", e, ok)
		}
		if _, ok := list.Lookup(good.Certificate.SerialNumber); ok || list.CAKeyID != f.activeCA(t) || list.Number.Int64() != 2 {
			t.Errorf("VerifyCRL(): good listed %v, CA %q, number %v; want not listed, %q, 2", ok, list.CAKeyID, list.Number, f.activeCA(t))
		}

		got := ocspStatus(t, f, f.ca, compromised.Certificate, root)
		if got.Status != credential.OCSPRevoked || got.Reason != credential.ReasonKeyCompromise || !got.RevokedAt.Equal(now) {
			t.Errorf("OCSP of compromised = %v at %v for %v, want revoked now for keyCompromise", got.Status, got.RevokedAt, got.Reason)
		}
		if got := ocspStatus(t, f, f.ca, deleted.Certificate, root); got.Status != credential.OCSPRevoked || got.Reason != credential.ReasonCessationOfOperation {
			t.Errorf("OCSP of deleted = %v for %v, want revoked for cessationOfOperation", got.Status, got.Reason)
		}
		if got := ocspStatus(t, f, f.ca, good.Certificate, root); got.Status != credential.OCSPGood {
			t.Errorf("OCSP of good = %v, want good", got.Status)
		}
		// A serial the CA never issued, under its own name and key.
		never := *good.Certificate
		never.SerialNumber = big.NewInt(424242)
		if got := ocspStatus(t, f, f.ca, &never, root); got.Status != credential.OCSPUnknown {
			t.Errorf("OCSP of a serial never issued = %v, want unknown", got.Status)
		}
		// The same CRL until refresh; then a new number.
		again, err := f.ca.CRL(ctx, "")
		if err != nil || again.Number != crl.Number || !bytes.Equal(again.DER, crl.DER) {
			t.Errorf("CRL() within refresh = number %d, %v; want the cached CRL %d", again.Number, err, crl.Number)
		}
		f.clock.advance(credential.DefaultCRLRefresh)
		later, err := f.ca.CRL(ctx, "")
		if err != nil || later.Number != crl.Number+1 {
			t.Errorf("CRL() after refresh = number %d, %v; want %d", later.Number, err, crl.Number+1)
		}
		// Another node numbers its CRLs after this one's.
		other, err := f.node(t).CRL(ctx, "")
		if err != nil || other.Number != later.Number+1 {
			t.Errorf("second node's CRL() = number %d, %v; want %d", other.Number, err, later.Number+1)
		}
		if _, err := f.ca.CRL(ctx, "ca-000000000000000000000000"); !errors.Is(err, credential.ErrUnknownCA) {
			t.Errorf("CRL(unknown key) error = %v, want ErrUnknownCA", err)
		}
	})
}

func TestOCSPRespondErrors(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		f := newFixture(t, n)
		g := newFixture(t, n) // another netid deployment: an issuer f does not know
		ctx := context.Background()
		issued, _ := f.enrol(t, newP256(t), testNumber(t), nil)
		foreign, _ := g.enrol(t, newP256(t), testNumber(t), nil)
		root, foreignRoot := f.roots(t)[0], g.roots(t)[0]
		req := func(cert, issuer *x509.Certificate, nonce []byte) []byte {
			t.Helper()
			der, err := credential.CreateOCSPRequest(f.suite, cert, issuer, nonce)
			if err != nil {
				t.Fatal(err)
			}
			return der
		}
		good := req(issued.Certificate, root, nil)
		tests := []struct {
			name string
			req  []byte
			want credential.OCSPResponseStatus
		}{
			{"empty", nil, credential.OCSPMalformedRequest},
			{"garbage", []byte("GET / HTTP/1.1"), credential.OCSPMalformedRequest},
			{"truncated", good[:len(good)-1], credential.OCSPMalformedRequest},
			{"trailing data", append(bytes.Clone(good), 0), credential.OCSPMalformedRequest},
			{"too large", make([]byte, credential.DefaultMaxOCSPRequest+1), credential.OCSPMalformedRequest},
			{"unknown issuer", req(foreign.Certificate, foreignRoot, nil), credential.OCSPUnauthorized},
			{"two issuers", joinRequests(t, good, req(foreign.Certificate, foreignRoot, nil)), credential.OCSPUnauthorized},
			{"too many certificates", joinRequests(t, good, good, good, good, good, good, good, good, good), credential.OCSPMalformedRequest},
		}
		for _, tt := range tests {
			der, err := f.ca.OCSPRespond(ctx, tt.req)
			if err != nil {
				t.Errorf("%s: OCSPRespond() error = %v, want nil (the fault is the client's)", tt.name, err)
			}
			_, err = credential.ParseOCSPResponse(f.suite, der, root)
			var se *credential.OCSPStatusError
			if !errors.As(err, &se) || se.Status != tt.want || !errors.Is(err, credential.ErrOCSPResponse) {
				t.Errorf("%s: response status error %v, want %v", tt.name, err, tt.want)
			}
			if n == suite.Intl {
				if _, err := ocsp.ParseResponse(der, nil); !errors.As(err, new(ocsp.ResponseError)) {
					t.Errorf("%s: x/crypto/ocsp reads %v, want a ResponseError", tt.name, err)
				}
			}
		}
		// Several certificates of one CA in one request: one answer each.
		other, _ := f.enrol(t, newP256(t), testNumber(t), nil)
		der, err := f.ca.OCSPRespond(ctx, joinRequests(t, good, req(other.Certificate, root, nil)))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := credential.ParseOCSPResponse(f.suite, der, root)
		if err != nil || len(resp.Responses) != 2 || resp.Nonce != nil ||
			resp.Responses[0].CertID.SerialNumber.Cmp(issued.Certificate.SerialNumber) != 0 ||
			resp.Responses[1].CertID.SerialNumber.Cmp(other.Certificate.SerialNumber) != 0 ||
			resp.Responses[0].Status != credential.OCSPGood || resp.Responses[1].Status != credential.OCSPGood {
			t.Errorf("OCSP for two certificates = %+v, %v; want both good, in order, no nonce", resp, err)
		}
		// A response verified against the wrong CA fails.
		der, err = f.ca.OCSPRespond(ctx, good)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := credential.ParseOCSPResponse(f.suite, der, foreignRoot); !errors.Is(err, credential.ErrOCSPResponse) {
			t.Errorf("ParseOCSPResponse(other CA) error = %v, want ErrOCSPResponse", err)
		}
		// GET: base64, URL-escaped or not.
		for _, seg := range []string{
			base64.StdEncoding.EncodeToString(good),
			url.PathEscape(base64.StdEncoding.EncodeToString(good)),
			url.QueryEscape(base64.StdEncoding.EncodeToString(good)),
			base64.RawURLEncoding.EncodeToString(good),
		} {
			got, err := credential.OCSPRequestFromGET(seg)
			if err != nil || !bytes.Equal(got, good) {
				t.Errorf("OCSPRequestFromGET(%q) = %x, %v; want the request", seg, got, err)
			}
		}
		for _, seg := range []string{"%zz", "!!!!", "a"} {
			if _, err := credential.OCSPRequestFromGET(seg); !errors.Is(err, credential.ErrOCSPRequest) {
				t.Errorf("OCSPRequestFromGET(%q) error = %v, want ErrOCSPRequest", seg, err)
			}
		}
	})
}

// TestCARotation checks that certificates of a retiring CA key still
// verify, get its CRL and OCSP answers signed by it, until the key is
// retired.
func TestCARotation(t *testing.T) {
	forEachSuite(t, func(t *testing.T, n suite.Name) {
		f := newFixture(t, n)
		ctx := context.Background()
		oldID := f.activeCA(t)
		before, _ := f.enrol(t, newP256(t), testNumber(t), nil)

		f.clock.advance(time.Hour)
		if _, err := f.keys.Rotate(ctx, keystore.CA); err != nil {
			t.Fatal(err)
		}
		newID := f.activeCA(t)
		after, _ := f.enrol(t, newP256(t), testNumber(t), nil)
		if got := string(after.Certificate.AuthorityKeyId); got != newID {
			t.Errorf("certificate issued after rotation: AKI %q, want the new key %q", got, newID)
		}
		roots := f.roots(t)
		if len(roots) != 2 || string(roots[0].SubjectKeyId) != oldID || string(roots[1].SubjectKeyId) != newID {
			t.Fatalf("CA certificates after rotation: %d, want old then new", len(roots))
		}
		for name, c := range map[string]*credential.Issued{"before": before, "after": after} {
			v, err := credential.VerifyCertificate(f.suite, c.Certificate, roots, f.clock.now())
			if err != nil {
				t.Errorf("%s rotation: VerifyCertificate() error = %v", name, err)
			} else if want := string(c.Certificate.AuthorityKeyId); v.CAKeyID != want {
				t.Errorf("%s rotation: CAKeyID %q, want %q", name, v.CAKeyID, want)
			}
		}

		if err := f.ca.Revoke(ctx, before.Certificate.SerialNumber, credential.ReasonSuperseded); err != nil {
			t.Fatal(err)
		}
		oldCRL, err := f.ca.CRL(ctx, oldID)
		if err != nil {
			t.Fatalf("CRL(retiring key) error = %v", err)
		}
		if _, revoked := checkCRLSignature(t, f.suite, oldCRL.DER, roots[0]); len(revoked) != 1 {
			t.Errorf("retiring key's CRL lists %d certificates, want 1", len(revoked))
		}
		newCRL, err := f.ca.CRL(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, revoked := checkCRLSignature(t, f.suite, newCRL.DER, roots[1]); len(revoked) != 0 || newCRL.CAKeyID != newID {
			t.Errorf("active key's CRL: CA %s lists %d certificates, want %s and none", newCRL.CAKeyID, len(revoked), newID)
		}
		if got := ocspStatus(t, f, f.ca, before.Certificate, roots[0]); got.Status != credential.OCSPRevoked {
			t.Errorf("OCSP of the retiring key's certificate = %v, want revoked", got.Status)
		}
		if got := ocspStatus(t, f, f.ca, after.Certificate, roots[1]); got.Status != credential.OCSPGood {
			t.Errorf("OCSP of the new key's certificate = %v, want good", got.Status)
		}
		// Asking the new CA about the old certificate: that CA never
		// issued it.
		if got := ocspStatus(t, f, f.ca, before.Certificate, roots[1]); got.Status != credential.OCSPUnknown {
			t.Errorf("OCSP of the old certificate under the new CA = %v, want unknown", got.Status)
		}

		if _, err := f.keys.Retire(ctx, oldID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ca.CRL(ctx, oldID); !errors.Is(err, credential.ErrUnknownCA) {
			t.Errorf("CRL(retired key) error = %v, want ErrUnknownCA", err)
		}
		if roots := f.roots(t); len(roots) != 1 || string(roots[0].SubjectKeyId) != newID {
			t.Errorf("CA certificates after retiring the old key: %d, want only the new one", len(roots))
		}
	})
}

// joinRequests builds one OCSP request asking about the certificates of
// every request in reqs (each made by CreateOCSPRequest without a nonce).
func joinRequests(t *testing.T, reqs ...[]byte) []byte {
	t.Helper()
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, r := range reqs {
					in := cryptobyte.String(r)
					var outer, tbs, list, one cryptobyte.String
					if !in.ReadASN1(&outer, cbasn1.SEQUENCE) || !outer.ReadASN1(&tbs, cbasn1.SEQUENCE) ||
						!tbs.ReadASN1(&list, cbasn1.SEQUENCE) || !list.ReadASN1Element(&one, cbasn1.SEQUENCE) {
						t.Fatal("joinRequests: cannot take the request apart")
					}
					b.AddBytes(one)
				}
			})
		})
	})
	return b.BytesOrPanic()
}

// TestConcurrentNodes runs two nodes over one store at once: issuing,
// revoking, signing CRLs and answering OCSP. A CRL number never names two
// different CRLs, and the last CRL lists every revocation.
func TestConcurrentNodes(t *testing.T) {
	f := newFixture(t, suite.Intl)
	ctx := context.Background()
	nodes := []*credential.CA{f.ca, f.node(t)}
	root := f.roots(t)[0]
	const workers = 8
	numbers := make([]credential.InternetNumber, workers)
	devices := make([]crypto.PublicKey, workers)
	for i := range workers {
		numbers[i], devices[i] = testNumber(t), newP256(t).Public()
	}
	var mu sync.Mutex
	crls := map[int64][]byte{}
	var revoked []*big.Int
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ca := nodes[w%2]
			issued, err := ca.Issue(ctx, credential.IssueRequest{InternetNumber: numbers[w], DevicePublicKey: devices[w]})
			if err != nil {
				errs <- err
				return
			}
			if err := ca.Revoke(ctx, issued.Certificate.SerialNumber, credential.ReasonKeyCompromise); err != nil {
				errs <- err
				return
			}
			crl, err := ca.CRL(ctx, "")
			if err != nil {
				errs <- err
				return
			}
			req, err := credential.CreateOCSPRequest(f.suite, issued.Certificate, root, nil)
			if err == nil {
				_, err = ca.OCSPRespond(ctx, req)
			}
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if prev, ok := crls[crl.Number]; ok && !bytes.Equal(prev, crl.DER) {
				errs <- fmt.Errorf("CRL number %d names two different CRLs", crl.Number)
			}
			crls[crl.Number] = crl.DER
			revoked = append(revoked, issued.Certificate.SerialNumber)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("worker: %v", err)
	}
	f.clock.advance(credential.DefaultCRLRefresh)
	final, err := f.node(t).CRL(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	list, err := credential.VerifyCRL(f.suite, final.DER, root, f.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	if len(revoked) != workers || len(list.Revoked) != workers {
		t.Errorf("%d revocations, final CRL lists %d; want %d each", len(revoked), len(list.Revoked), workers)
	}
	for _, s := range revoked {
		if _, ok := list.Lookup(s); !ok {
			t.Errorf("final CRL misses revoked serial %x", s)
		}
	}
}
