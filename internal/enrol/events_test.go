package enrol_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/translog"
)

// loggedEvents returns "kind/event/ref" of every entry in a resident's
// transparency log, oldest first.
func (e *env) loggedEvents(residentID string) []string {
	e.T.Helper()
	ctx := context.Background()
	id, err := e.Log.LogID(ctx, residentID)
	if err != nil {
		e.T.Fatal(err)
	}
	recs, err := e.Log.Entries(ctx, id, 0, translog.MaxListing)
	if err != nil {
		e.T.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		leaf, err := translog.DecodeLeaf(r.Leaf)
		if err != nil {
			e.T.Fatal(err)
		}
		out = append(out, string(leaf.Entry.Kind)+"/"+string(leaf.Entry.Event)+"/"+leaf.Entry.Ref)
	}
	return out
}

// TestAccountAndCertificateEventsLogged checks that enrolment, renewal,
// revocation and a guardian's approval land in the resident's
// transparency log, in the transactions that made them, on both engines.
func TestAccountAndCertificateEventsLogged(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, enroltest.WithEngine(engine))
			ctx := context.Background()

			r := e.enrolRenewer("E10000001", 21, "13800138921")
			want := []string{"certificate-issued//" + r.done.Serial, "account-event/enrolled/"}
			if diff := cmp.Diff(want, e.loggedEvents(r.done.ResidentID)); diff != "" {
				t.Fatalf("after enrolment (-want +got):\n%s", diff)
			}

			req, _ := e.renewal(r, nil)
			renewed, err := e.Service.RenewCertificate(ctx, r.done.ResidentID, req)
			if err != nil {
				t.Fatal(err)
			}
			serial, err := credential.ParseSerial(renewed.Serial)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.CA.Revoke(ctx, serial, credential.ReasonKeyCompromise); err != nil {
				t.Fatal(err)
			}
			want = append(want,
				"certificate-issued//"+renewed.Serial,
				"certificate-revoked/superseded/"+r.done.Serial,
				"certificate-revoked/keyCompromise/"+renewed.Serial)
			if diff := cmp.Diff(want, e.loggedEvents(r.done.ResidentID)); diff != "" {
				t.Errorf("after renewal and revocation (-want +got):\n%s", diff)
			}

			// A 16-year-old's own enrolment, then the guardian's approval.
			parent := e.enrolAdult("P10000002", 22, "13800138922", goodPassword)
			pacct, err := e.Service.AuthenticateResident(ctx, string(parent.InternetNumber), goodPassword, "192.0.2.20")
			if err != nil {
				t.Fatal(err)
			}
			st, err := e.startChip(e.chip("M10000001", 16, 23), nil)
			if err != nil {
				t.Fatal(err)
			}
			minor, err := e.wallet(st).complete("13800138923", 23, false, goodPassword)
			if err != nil {
				t.Fatal(err)
			}
			err = e.Service.ApproveMinor(ctx, pacct.ID, enrol.MinorApproval{InternetNumber: string(minor.InternetNumber),
				ApprovalCode: minor.GuardianApprovalCode, Relationship: enrol.RelationshipParent,
				Evidence: enrol.GuardianEvidence{Kind: enrol.GuardianEvidenceBirthCertificate, Reference: "BC-2"}})
			if err != nil {
				t.Fatal(err)
			}
			want = []string{"certificate-issued//" + minor.Serial, "account-event/enrolled/", "account-event/guardian-approved/"}
			if diff := cmp.Diff(want, e.loggedEvents(minor.ResidentID)); diff != "" {
				t.Errorf("minor (-want +got):\n%s", diff)
			}
		})
	}
}
