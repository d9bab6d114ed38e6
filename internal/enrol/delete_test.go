package enrol_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// DeleteResident wipes the account's personal data, shreds its data key,
// retires its number, removes its anchors, guardian links and locks, logs
// "deleted" and leaves a tombstone that never signs in; the same document
// then enrols again under a new number. A guardian's deletion ends their
// links to their minors.
func TestDeleteResident(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, enroltest.WithEngine(engine))
			done := e.enrolAdult("E55500001", 551, "+8613800005501", goodPassword)
			before, err := e.Store.Resident(ctx, done.ResidentID)
			if err != nil {
				t.Fatal(err)
			}
			// A minor of 17 whom the resident approved.
			minor, err := e.startAuthority(e.idCard("小明", e.BirthForAge(17), "M", 1), nil)
			if err != nil {
				t.Fatal(err)
			}
			mdone, err := e.wallet(minor).complete("+8613800005502", 552, false, goodPassword)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Service.ApproveMinor(ctx, done.ResidentID, enrol.MinorApproval{InternetNumber: string(mdone.InternetNumber),
				ApprovalCode: mdone.GuardianApprovalCode, Relationship: enrol.RelationshipParent,
				Evidence: enrol.GuardianEvidence{Kind: enrol.GuardianEvidenceBirthCertificate, Reference: "BC-1"}}); err != nil {
				t.Fatal(err)
			}
			if err := e.Service.LockMethod(ctx, done.ResidentID, enrol.MethodDynamicCode); err != nil {
				t.Fatal(err)
			}

			if _, err := e.Service.DeleteResident(ctx, done.ResidentID, enrol.Deletion{}); !errors.Is(err, enrol.ErrInvalidRequest) {
				t.Errorf("DeleteResident(zero Deletion) = %v, want ErrInvalidRequest", err)
			}
			d, err := e.Service.PrepareDeletion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			erased, err := e.Service.DeleteResident(ctx, done.ResidentID, d)
			if err != nil {
				t.Fatalf("DeleteResident: %v", err)
			}
			if erased.Anchors != 1 || erased.GuardianLinks != 1 || erased.InternetNumber != done.InternetNumber {
				t.Errorf("Erased = %+v, want one anchor, one link", erased)
			}
			if _, err := e.Service.DeleteResident(ctx, done.ResidentID, d); !errors.Is(err, enrol.ErrNotFound) {
				t.Errorf("DeleteResident again = %v, want ErrNotFound", err)
			}

			r, err := e.Store.Resident(ctx, done.ResidentID)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != enrol.StatusDeleted || len(r.Identity)+len(r.Phone)+len(r.PhoneIndex)+len(r.Template)+len(r.DynamicSecret) != 0 ||
				r.PasswordHash == before.PasswordHash || r.InternetNumber != before.InternetNumber {
				t.Errorf("tombstone = %+v", r)
			}
			if _, err := e.Envelope.Open(ctx, done.ResidentID, "identity", before.Identity); !errors.Is(err, envelope.ErrShredded) {
				t.Errorf("opening the old sealed identity: %v, want ErrShredded", err)
			}
			if n, err := e.Store.InternetNumber(ctx, string(done.InternetNumber)); err != nil || n.RetiredAt.IsZero() {
				t.Errorf("number after deletion: %+v, %v", n, err)
			}
			if a, err := e.Store.IdentityAnchorsOf(ctx, done.ResidentID); err != nil || len(a) != 0 {
				t.Errorf("anchors after deletion: %+v, %v", a, err)
			}
			if l, err := e.Store.GuardianLinksOfMinor(ctx, mdone.ResidentID); err != nil || len(l) != 0 {
				t.Errorf("the minor's guardian links after the guardian's deletion: %+v, %v", l, err)
			}
			if l, err := e.Service.Locks(ctx, done.ResidentID); err != nil || len(l) != 0 {
				t.Errorf("locks after deletion: %+v, %v", l, err)
			}
			for _, user := range []string{string(done.InternetNumber), "+8613800005501"} {
				if _, err := e.Service.AuthenticateResident(ctx, user, goodPassword, "192.0.2.9"); !errors.Is(err, enrol.ErrBadCredentials) {
					t.Errorf("AuthenticateResident(%s) after deletion = %v, want ErrBadCredentials", user, err)
				}
			}
			if _, err := e.Service.Held(ctx, done.ResidentID); !errors.Is(err, enrol.ErrNotFound) {
				t.Errorf("Held after deletion = %v, want ErrNotFound", err)
			}
			if ev := e.loggedEvents(done.ResidentID); !slices.Contains(ev, "account-event/deleted/") {
				t.Errorf("logged events %v lack the deletion", ev)
			}

			again := e.enrolAdult("E55500001", 551, "+8613800005501", goodPassword)
			if again.InternetNumber == done.InternetNumber {
				t.Error("the deleted number was drawn again")
			}
		})
	}
}
