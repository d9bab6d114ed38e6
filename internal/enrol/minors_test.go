package enrol_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// application is a complete guardian application by guardianID.
func application(guardianID string) *enrol.GuardianApplication {
	return &enrol.GuardianApplication{
		GuardianID: guardianID, Relationship: enrol.RelationshipParent, Consent: true,
		Evidence: enrol.GuardianEvidence{Kind: enrol.GuardianEvidenceHouseholdRegister, Reference: "HR-0001"},
	}
}

func TestAgeGroups(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		birth document.Date
		want  enrol.AgeGroup
		err   error
	}{
		{"10 years", e.BirthForAge(10), "", enrol.ErrGuardianRequired},
		{"14 today", e.BirthForAge(14), "", enrol.ErrGuardianRequired},
		{"15 today", e.BirthForAge(15), enrol.AgeMinor, nil},
		{"15 tomorrow: still 14", document.NewDate(e.Clock.Now().AddDate(-15, 0, 1)), "", enrol.ErrGuardianRequired},
		{"17", e.BirthForAge(17), enrol.AgeMinor, nil},
		{"18 today", e.BirthForAge(18), enrol.AgeAdult, nil},
		{"90", e.BirthForAge(90), enrol.AgeAdult, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card := e.idCard("测试", tt.birth, "F", i)
			st, err := e.startAuthority(card, nil)
			if !errors.Is(err, tt.err) {
				t.Fatalf("Start(born %v) error = %v, want %v", tt.birth, err, tt.err)
			}
			if err == nil && st.AgeGroup != tt.want {
				t.Errorf("Start(born %v) age group %q, want %q", tt.birth, st.AgeGroup, tt.want)
			}
		})
	}
}

func TestChildEnrolledByGuardian(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	parent := e.enrolAdult("P00000001", 51, "13800138001", goodPassword)
	acct, err := e.Service.AuthenticateResident(ctx, string(parent.InternetNumber), goodPassword, "192.0.2.9")
	if err != nil {
		t.Fatalf("AuthenticateResident(parent) error = %v", err)
	}
	child := e.chip("C00000001", 10, 52)

	youth := e.idCard("测试少年", e.BirthForAge(16), "M", 7)
	yst, err := e.startAuthority(youth, nil)
	if err != nil {
		t.Fatal(err)
	}
	youthDone, err := e.wallet(yst).complete("13800138009", 53, false, goodPassword)
	if err != nil {
		t.Fatal(err)
	}

	refusals := []struct {
		name string
		app  *enrol.GuardianApplication
		want error
	}{
		{"no guardian", nil, enrol.ErrGuardianRequired},
		{"no consent", func() *enrol.GuardianApplication { a := application(acct.ID); a.Consent = false; return a }(), enrol.ErrNotAGuardian},
		{"unknown guardian", application("nobody"), enrol.ErrNotAGuardian},
		{"guardian is a pending minor", application(youthDone.ResidentID), enrol.ErrNotAGuardian},
		{"unknown relationship", func() *enrol.GuardianApplication { a := application(acct.ID); a.Relationship = "aunt"; return a }(), enrol.ErrInvalidRequest},
	}
	for _, tt := range refusals {
		if _, err := e.startChip(child, tt.app); !errors.Is(err, tt.want) {
			t.Errorf("%s: Start(child) error = %v, want %v", tt.name, err, tt.want)
		}
	}

	st, err := e.startChip(child, application(acct.ID))
	if err != nil {
		t.Fatalf("Start(child, guardian application) error = %v", err)
	}
	if st.AgeGroup != enrol.AgeChild || !st.PhoneOptional {
		t.Errorf("Start(child) = age %q, phone optional %t; want child, true", st.AgeGroup, st.PhoneOptional)
	}
	// The child uses the guardian's phone: allowed, but not for login.
	done, err := e.wallet(st).complete("13800138001", 52, false, goodPassword)
	if err != nil {
		t.Fatalf("child enrolment: %v", err)
	}
	if done.Status != enrol.StatusActive || done.GuardianApprovalCode != "" {
		t.Errorf("Complete(child) status %q, approval code %q; want active and none", done.Status, done.GuardianApprovalCode)
	}
	got, err := e.Service.Resident(ctx, done.ResidentID)
	if err != nil || got.PhoneLogin {
		t.Errorf("Resident(child) = %+v, %v; want no phone login (the guardian's number)", got, err)
	}
	links, err := e.Service.Guardians(ctx, done.ResidentID)
	if err != nil || len(links) != 1 || links[0].GuardianID != acct.ID || links[0].Kind != enrol.LinkApplication ||
		links[0].EvidenceKind != enrol.GuardianEvidenceHouseholdRegister || len(links[0].Evidence) == 0 {
		t.Errorf("Guardians(child) = %+v, %v; want one application link by the parent with sealed evidence", links, err)
	}
	// An adult may not share the parent's login phone.
	other := e.chip("A00000002", 30, 54)
	ost, err := e.startChip(other, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.wallet(ost).phone("13800138001"); !errors.Is(err, enrol.ErrPhoneInUse) {
		t.Errorf("adult with the parent's phone: error = %v, want ErrPhoneInUse", err)
	}
}

func TestMinorPendingThenApproved(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, enroltest.WithSuite("sm"))
	parent := e.enrolAdult("P00000002", 61, "13800138002", goodPassword)
	pacct, err := e.Service.AuthenticateResident(ctx, string(parent.InternetNumber), goodPassword, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	ev := e.chip("M00000001", 16, 62)
	if _, err := e.startChip(ev, application(pacct.ID)); !errors.Is(err, enrol.ErrGuardianNotAllowed) {
		t.Errorf("Start(16, guardian application) error = %v, want ErrGuardianNotAllowed", err)
	}
	st, err := e.startChip(ev, nil)
	if err != nil || st.AgeGroup != enrol.AgeMinor || st.PhoneOptional {
		t.Fatalf("Start(16) = %+v, %v; want a minor's own enrolment with a phone", st, err)
	}
	done, err := e.wallet(st).complete("13800138003", 62, false, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != enrol.StatusPendingGuardian || done.GuardianApprovalCode == "" {
		t.Fatalf("Complete(16) = status %q, code %q; want pending-guardian with an approval code", done.Status, done.GuardianApprovalCode)
	}
	if _, err := e.Service.AuthenticateResident(ctx, string(done.InternetNumber), goodPassword, "192.0.2.10"); !errors.Is(err, enrol.ErrAccountPending) {
		t.Errorf("AuthenticateResident(pending minor) error = %v, want ErrAccountPending", err)
	}
	approval := enrol.MinorApproval{InternetNumber: string(done.InternetNumber), ApprovalCode: done.GuardianApprovalCode,
		Relationship: enrol.RelationshipParent, Evidence: enrol.GuardianEvidence{Kind: enrol.GuardianEvidenceBirthCertificate, Reference: "BC-1"}}
	refusals := []struct {
		name     string
		guardian string
		change   func(a *enrol.MinorApproval)
		want     error
	}{
		{"wrong code", pacct.ID, func(a *enrol.MinorApproval) { a.ApprovalCode = "0000000000-0000000000" }, enrol.ErrNotAGuardian},
		{"the minor", done.ResidentID, nil, enrol.ErrNotAGuardian},
		{"an adult's number", pacct.ID, func(a *enrol.MinorApproval) { a.InternetNumber = string(parent.InternetNumber) }, enrol.ErrNotMinor},
		{"no evidence kind", pacct.ID, func(a *enrol.MinorApproval) { a.Evidence.Kind = "" }, enrol.ErrInvalidRequest},
	}
	for _, tt := range refusals {
		a := approval
		if tt.change != nil {
			tt.change(&a)
		}
		if err := e.Service.ApproveMinor(ctx, tt.guardian, a); !errors.Is(err, tt.want) {
			t.Errorf("%s: ApproveMinor() error = %v, want %v", tt.name, err, tt.want)
		}
	}
	// The code is read as typed: lower case and spaces are fine.
	typed := approval
	typed.ApprovalCode = " " + strings.ToLower(approval.ApprovalCode) + " "
	if err := e.Service.ApproveMinor(ctx, pacct.ID, typed); err != nil {
		t.Fatalf("ApproveMinor() error = %v", err)
	}
	if err := e.Service.ApproveMinor(ctx, pacct.ID, approval); !errors.Is(err, enrol.ErrNotMinor) {
		t.Errorf("second ApproveMinor() error = %v, want ErrNotMinor", err)
	}
	acct, err := e.Service.AuthenticateResident(ctx, string(done.InternetNumber), goodPassword, "192.0.2.10")
	if err != nil || acct.Status != enrol.StatusActive {
		t.Errorf("AuthenticateResident(approved minor) = %+v, %v; want active", acct, err)
	}
	links, err := e.Store.GuardianLinksOfGuardian(ctx, pacct.ID)
	if err != nil || len(links) != 1 || links[0].MinorID != done.ResidentID || links[0].Kind != enrol.LinkApproval {
		t.Errorf("GuardianLinksOfGuardian() = %+v, %v; want the approval link", links, err)
	}
}
