package admin_test

import (
	"context"
	"crypto/x509"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"github.com/netid/netid/internal/admin"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/translog"
)

// crlLists reports whether the CA's current CRL lists serial, and its
// reason code.
func (e *env) crlLists(serial string) (bool, int) {
	e.t.Helper()
	crl, err := e.e.CA.CRL(context.Background(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	rl, err := x509.ParseRevocationList(crl.DER)
	if err != nil {
		e.t.Fatal(err)
	}
	want, _ := new(big.Int).SetString(serial, 16)
	for _, entry := range rl.RevokedCertificateEntries {
		if entry.SerialNumber.Cmp(want) == 0 {
			return true, entry.ReasonCode
		}
	}
	return false, 0
}

// TestAPIRevokeCertificate: a revocation reaches the CRL at once, is in the
// holder's transparency log, and is audited; a second one, an unknown
// serial, a malformed serial or reason are refused without a change.
func TestAPIRevokeCertificate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.enrol("Alice")
		if listed, _ := e.crlLists(alice.serial); listed {
			t.Fatal("the CRL lists a fresh certificate")
		}
		size := e.treeSize()

		refusals := []struct {
			name, serial, body string
			status             int
		}{
			{"no reason", alice.serial, `{}`, 400},
			{"unknown reason", alice.serial, `{"reason":"certificateHold"}`, 400},
			{"unknown member", alice.serial, `{"reason":"keyCompromise","when":"now"}`, 400},
			{"malformed serial", "xyz", `{"reason":"keyCompromise"}`, 400},
			{"unknown serial", "1234abcd", `{"reason":"keyCompromise"}`, 404},
		}
		for _, tt := range refusals {
			r := e.call(http.MethodPost, "/admin/v1/certificates/"+tt.serial+"/revoke", tt.body)
			if p := r.problem(t); r.status != tt.status {
				t.Errorf("%s: %d %s (%s), want %d", tt.name, r.status, p.Type, p.Detail, tt.status)
			}
		}
		e.wantAudit("alice", admin.ActionCertificateRevoke, "1234abcd", admin.OutcomeNotFound)
		if rec, _ := e.e.Store.Certificate(ctx, alice.serial); rec.Revoked() || e.treeSize() != size {
			t.Fatalf("after refusals: revoked %v, log grew by %d; want nothing written", rec.Revoked(), e.treeSize()-size)
		}

		var got admin.CertificateView
		e.call(http.MethodPost, "/admin/v1/certificates/"+strings.ToUpper(alice.serial)+"/revoke",
			`{"reason":"keyCompromise"}`).decode(t, http.StatusOK, &got)
		if got.Serial != alice.serial || got.InternetNumber != alice.number || got.Reason != "keyCompromise" || got.RevokedAt.IsZero() {
			t.Errorf("revoke = %+v", got)
		}
		if listed, reason := e.crlLists(alice.serial); !listed || reason != int(credential.ReasonKeyCompromise) {
			t.Errorf("CRL lists the certificate: %v, reason %d; want listed, keyCompromise", listed, reason)
		}
		entry, ok := e.logged("cert-revoked-" + alice.serial)
		if !ok || entry.Kind != translog.KindCertificateRevoked || entry.Ref != alice.serial || entry.Event != translog.EventRevokedKeyCompromise {
			t.Errorf("log entry = %+v, %v; want certificate-revoked, keyCompromise, the serial", entry, ok)
		}
		e.wantAudit("alice", admin.ActionCertificateRevoke, alice.serial, admin.OutcomeOK)

		size = e.treeSize()
		r := e.call(http.MethodPost, "/admin/v1/certificates/"+alice.serial+"/revoke", `{"reason":"superseded"}`)
		if p := r.problem(t); r.status != http.StatusConflict {
			t.Errorf("second revocation = %d %s, want 409", r.status, p.Type)
		}
		if rec, _ := e.e.Store.Certificate(ctx, alice.serial); rec.Reason != credential.ReasonKeyCompromise || e.treeSize() != size {
			t.Errorf("after the second revocation: reason %v, log grew by %d; want the first standing", rec.Reason, e.treeSize()-size)
		}
		e.wantAudit("alice", admin.ActionCertificateRevoke, alice.serial, admin.OutcomeConflict)
	})
}

// TestAPIRevokeAll revokes every certificate of an internet number, twice.
func TestAPIRevokeAll(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		bob := e.enrol("Bob")
		display := credential.InternetNumber(bob.number).Display()
		var got admin.RevokedAll
		// The number may be written as residents see it.
		e.call(http.MethodPost, "/admin/v1/residents/"+display+"/certificates/revoke", `{"reason":"privilegeWithdrawn"}`).
			decode(t, http.StatusOK, &got)
		if got.Revoked != 1 || got.InternetNumber != bob.number {
			t.Errorf("revoke-all = %+v, want 1 revoked of %s", got, bob.number)
		}
		if listed, _ := e.crlLists(bob.serial); !listed {
			t.Error("the CRL does not list the revoked certificate")
		}
		if _, ok := e.logged("cert-revoked-" + bob.serial); !ok {
			t.Error("no certificate-revoked entry in the log")
		}
		e.wantAudit("alice", admin.ActionCertificateRevokeAll, bob.number, admin.OutcomeOK)
		e.call(http.MethodPost, "/admin/v1/residents/"+bob.number+"/certificates/revoke", `{"reason":"privilegeWithdrawn"}`).
			decode(t, http.StatusOK, &got)
		if got.Revoked != 0 {
			t.Errorf("second revoke-all = %+v, want 0 revoked", got)
		}
		// A well-formed number nobody holds, and a malformed one.
		other, err := credential.NewInternetNumber(strings.NewReader(strings.Repeat("x", 64)))
		if err != nil {
			t.Fatal(err)
		}
		for number, status := range map[string]int{string(other): 404, "not-a-number": 400} {
			r := e.call(http.MethodPost, "/admin/v1/residents/"+number+"/certificates/revoke", `{"reason":"unspecified"}`)
			if p := r.problem(t); r.status != status {
				t.Errorf("revoke-all %s = %d %s, want %d", number, r.status, p.Detail, status)
			}
		}
	})
}
