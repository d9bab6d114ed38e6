package enrol_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// renewer is an enrolled resident with the device key of their
// certificate.
type renewer struct {
	done   enrol.Completed
	device crypto.Signer
}

// enrolRenewer enrols an adult with a passport and keeps the device key.
func (e *env) enrolRenewer(number string, seed uint64, phone string) renewer {
	e.T.Helper()
	st, err := e.startChip(e.chip(number, 35, seed), nil)
	if err != nil {
		e.T.Fatalf("Start(%s) error = %v", number, err)
	}
	w := e.wallet(st)
	done, err := w.complete(phone, seed, false, goodPassword)
	if err != nil {
		e.T.Fatalf("enrol %s: %v", number, err)
	}
	return renewer{done: done, device: w.device}
}

// renewal builds a renewal of r: a challenge, a new key's CSR for it and
// the signature of signer (nil: r's device) over the renewal message.
func (e *env) renewal(r renewer, signer crypto.Signer) (enrol.RenewRequest, crypto.Signer) {
	e.T.Helper()
	ch, _, err := e.Service.RenewChallenge(context.Background(), r.done.ResidentID)
	if err != nil {
		e.T.Fatalf("RenewChallenge() error = %v", err)
	}
	key, err := e.Suite.GenerateSigner(rand.Reader)
	if err != nil {
		e.T.Fatal(err)
	}
	return e.signedRenewal(r, signer, ch, key), key
}

func (e *env) signedRenewal(r renewer, signer crypto.Signer, challenge string, key crypto.Signer) enrol.RenewRequest {
	e.T.Helper()
	csr, err := credential.CreateCSR(rand.Reader, key, challenge)
	if err != nil {
		e.T.Fatal(err)
	}
	spki, err := e.Suite.MarshalPublicKey(key.Public())
	if err != nil {
		e.T.Fatal(err)
	}
	if signer == nil {
		signer = r.device
	}
	sig, err := e.Suite.Sign(rand.Reader, signer, enrol.RenewMessage(challenge, spki))
	if err != nil {
		e.T.Fatal(err)
	}
	return enrol.RenewRequest{Challenge: challenge, CSR: csr, OldDeviceSignature: sig}
}

// certState is what a renewal may change: each certificate's serial and
// revocation reason ("" while valid).
type certState map[string]string

func (e *env) certs(number credential.InternetNumber) certState {
	e.T.Helper()
	recs, err := e.Store.CertificatesFor(context.Background(), string(number))
	if err != nil {
		e.T.Fatal(err)
	}
	out := certState{}
	for _, r := range recs {
		out[r.Serial] = ""
		if r.Revoked() {
			out[r.Serial] = r.Reason.String()
		}
	}
	return out
}

func TestRenewCertificate(t *testing.T) {
	for _, name := range []string{"intl", "sm"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, enroltest.WithSuite(name))
			ctx := context.Background()
			r := e.enrolRenewer("R10000001", 11, "13800138911")
			req, key := e.renewal(r, nil)
			got, err := e.Service.RenewCertificate(ctx, r.done.ResidentID, req)
			if err != nil {
				t.Fatalf("RenewCertificate() error = %v", err)
			}
			if got.InternetNumber != r.done.InternetNumber || got.Replaced != r.done.Serial || got.Serial == r.done.Serial {
				t.Errorf("got number %s replacing %s with %s, want %s replacing %s with a new serial",
					got.InternetNumber, got.Replaced, got.Serial, r.done.InternetNumber, r.done.Serial)
			}
			want := certState{r.done.Serial: credential.ReasonSuperseded.String(), got.Serial: ""}
			if diff := cmp.Diff(want, e.certs(r.done.InternetNumber)); diff != "" {
				t.Errorf("certificates (-want +got):\n%s", diff)
			}
			cert, err := e.Suite.ParseCertificate(got.Certificate)
			if err != nil {
				t.Fatal(err)
			}
			spki, _ := e.Suite.MarshalPublicKey(key.Public())
			if !bytes.Equal(cert.RawSubjectPublicKeyInfo, spki) || cert.Subject.CommonName != string(r.done.InternetNumber) {
				t.Errorf("new certificate for %q on another key, want %q on the CSR's", cert.Subject.CommonName, r.done.InternetNumber)
			}
			old, _ := e.Suite.ParseCertificate(r.done.Certificate)
			oldCommit, _ := credential.ParseCommitments(old)
			newCommit, err := credential.ParseCommitments(cert)
			if err != nil || len(newCommit) == 0 || !cmp.Equal(oldCommit, newCommit) {
				t.Errorf("commitments not carried over (err %v): got %d, want the old %d", err, len(newCommit), len(oldCommit))
			}

			crl, err := e.CA.CRL(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			cas, err := e.CA.CACertificates(ctx)
			if err != nil {
				t.Fatal(err)
			}
			list, err := credential.VerifyCRL(e.Suite, crl.DER, cas[0], e.Clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			serial, _ := credential.ParseSerial(r.done.Serial)
			if entry, ok := list.Lookup(serial); !ok || entry.Reason != credential.ReasonSuperseded {
				t.Errorf("CRL entry of the old certificate = %+v, %v; want superseded", entry, ok)
			}

			// The new device renews in turn; the old one no longer can.
			next := renewer{done: r.done, device: key}
			if _, err := e.Service.RenewCertificate(ctx, r.done.ResidentID, mustRenewal(e, r)); !errors.Is(err, enrol.ErrDeviceSignature) {
				t.Errorf("renewal by the replaced device: error = %v, want ErrDeviceSignature", err)
			}
			req2, _ := e.renewal(next, nil)
			if _, err := e.Service.RenewCertificate(ctx, r.done.ResidentID, req2); err != nil {
				t.Errorf("renewal by the new device: error = %v", err)
			}
		})
	}
}

func mustRenewal(e *env, r renewer) enrol.RenewRequest {
	req, _ := e.renewal(r, nil)
	return req
}

func TestRenewCertificateRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.enrolRenewer("R20000001", 21, "13800138921")
	other := e.enrolRenewer("R20000002", 22, "13800138922")
	before := e.certs(r.done.InternetNumber)

	tests := []struct {
		name string
		req  func() enrol.RenewRequest
		want error
	}{
		{"no old device signature", func() enrol.RenewRequest {
			req, _ := e.renewal(r, nil)
			req.OldDeviceSignature = nil
			return req
		}, enrol.ErrOldDeviceRequired},
		{"wrong old signature", func() enrol.RenewRequest {
			req, _ := e.renewal(r, nil)
			sig, _ := e.Suite.Sign(rand.Reader, r.device, []byte("something else"))
			req.OldDeviceSignature = sig
			return req
		}, enrol.ErrDeviceSignature},
		{"another resident's device", func() enrol.RenewRequest {
			req, _ := e.renewal(r, other.device)
			return req
		}, enrol.ErrDeviceSignature},
		{"CSR for another challenge", func() enrol.RenewRequest {
			req, key := e.renewal(r, nil)
			ch2, _, _ := e.Service.RenewChallenge(ctx, r.done.ResidentID)
			csr, _ := credential.CreateCSR(rand.Reader, key, ch2)
			req.CSR = csr
			return req
		}, enrol.ErrBadCSR},
		{"another resident's challenge", func() enrol.RenewRequest {
			ch, _, _ := e.Service.RenewChallenge(ctx, other.done.ResidentID)
			key, _ := e.Suite.GenerateSigner(rand.Reader)
			return e.signedRenewal(r, nil, ch, key)
		}, enrol.ErrRenewChallenge},
		{"an upgrade challenge", func() enrol.RenewRequest {
			ch, _, _ := e.Service.UpgradeChallenge(ctx, r.done.ResidentID)
			key, _ := e.Suite.GenerateSigner(rand.Reader)
			return e.signedRenewal(r, nil, ch, key)
		}, enrol.ErrRenewChallenge},
		{"expired challenge", func() enrol.RenewRequest {
			req, _ := e.renewal(r, nil)
			e.Clock.Advance(e.Service.Config().FaceChallengeTTL)
			return req
		}, enrol.ErrRenewChallenge},
		{"same key again", func() enrol.RenewRequest {
			ch, _, _ := e.Service.RenewChallenge(ctx, r.done.ResidentID)
			return e.signedRenewal(r, nil, ch, r.device)
		}, enrol.ErrSameDeviceKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.Service.RenewCertificate(ctx, r.done.ResidentID, tt.req())
			if !errors.Is(err, tt.want) {
				t.Fatalf("RenewCertificate() error = %v, want %v", err, tt.want)
			}
			if diff := cmp.Diff(before, e.certs(r.done.InternetNumber)); diff != "" {
				t.Errorf("certificates changed (-before +after):\n%s", diff)
			}
		})
	}

	t.Run("revoked current certificate", func(t *testing.T) {
		req, _ := e.renewal(other, nil)
		serial, _ := credential.ParseSerial(other.done.Serial)
		if err := e.CA.Revoke(ctx, serial, credential.ReasonKeyCompromise); err != nil {
			t.Fatal(err)
		}
		revoked := e.certs(other.done.InternetNumber)
		_, err := e.Service.RenewCertificate(ctx, other.done.ResidentID, req)
		if !errors.Is(err, enrol.ErrNoCurrentCertificate) {
			t.Fatalf("RenewCertificate() error = %v, want ErrNoCurrentCertificate", err)
		}
		if diff := cmp.Diff(revoked, e.certs(other.done.InternetNumber)); diff != "" {
			t.Errorf("certificates changed (-before +after):\n%s", diff)
		}
	})
}
