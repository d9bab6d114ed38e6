package enrol_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol"
)

// Held opens what is held about a resident: the identity, the phone, the
// guardians with their evidence, the minors, the locks.
func TestHeld(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	g := e.enrolAdult("E55600001", 561, "+8613800005601", goodPassword)
	st, err := e.startAuthority(e.idCard("小红", e.BirthForAge(16), "F", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.wallet(st).complete("+8613800005602", 562, false, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Service.ApproveMinor(ctx, g.ResidentID, enrol.MinorApproval{InternetNumber: string(m.InternetNumber),
		ApprovalCode: m.GuardianApprovalCode, Relationship: enrol.RelationshipLegalGuardian,
		Evidence: enrol.GuardianEvidence{Kind: enrol.GuardianEvidenceCourtOrder, Reference: "COURT-7", Notes: "appointed"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.Service.LockMethod(ctx, m.ResidentID, enrol.MethodWallet); err != nil {
		t.Fatal(err)
	}

	h, err := e.Service.Held(ctx, m.ResidentID)
	if err != nil {
		t.Fatal(err)
	}
	if h.Identity.Name != "小红" || h.Phone != "+8613800005602" || h.Account.InternetNumber != m.InternetNumber ||
		len(h.Guardians) != 1 || len(h.Minors) != 0 || len(h.Locks) != 1 || h.Locks[0].Method != enrol.MethodWallet {
		t.Fatalf("Held(minor) = %+v", h)
	}
	gv := h.Guardians[0]
	if gv.GuardianID != g.ResidentID || gv.InternetNumber != g.InternetNumber || gv.Relationship != enrol.RelationshipLegalGuardian ||
		gv.Evidence != (enrol.GuardianEvidence{Kind: enrol.GuardianEvidenceCourtOrder, Reference: "COURT-7", Notes: "appointed"}) ||
		gv.Kind != enrol.LinkApproval {
		t.Errorf("guardian view = %+v", gv)
	}
	gh, err := e.Service.Held(ctx, g.ResidentID)
	if err != nil {
		t.Fatal(err)
	}
	if len(gh.Minors) != 1 || gh.Minors[0].MinorID != m.ResidentID || gh.Minors[0].Name != "小红" || len(gh.Guardians) != 0 {
		t.Errorf("Held(guardian) minors = %+v, guardians %+v", gh.Minors, gh.Guardians)
	}
	if _, err := e.Service.Held(ctx, "no-such-resident"); !errors.Is(err, enrol.ErrNotFound) {
		t.Errorf("Held(unknown) = %v, want ErrNotFound", err)
	}
}

// Guardian control ends on the minor's 18th birthday by itself: the same
// links, the clock one day later. Neither a stranger nor the minor over
// the guardian has it.
func TestGuardianshipEndsAtEighteen(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	g := e.enrolAdult("E55700001", 571, "+8613800005701", goodPassword)
	stranger := e.enrolAdult("E55700002", 572, "+8613800005702", goodPassword)
	// 18 tomorrow.
	birth := document.NewDate(e.Clock.Now().AddDate(-18, 0, 1))
	st, err := e.startAuthority(e.idCard("小刚", birth, "M", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.wallet(st).complete("+8613800005703", 573, false, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Service.ApproveMinor(ctx, g.ResidentID, enrol.MinorApproval{InternetNumber: string(m.InternetNumber),
		ApprovalCode: m.GuardianApprovalCode, Relationship: enrol.RelationshipParent,
		Evidence: enrol.GuardianEvidence{Kind: enrol.GuardianEvidenceHouseholdRegister, Reference: "HR-1"}}); err != nil {
		t.Fatal(err)
	}

	mv, err := e.Service.GuardianOf(ctx, g.ResidentID, m.ResidentID)
	if err != nil {
		t.Fatalf("GuardianOf the day before: %v", err)
	}
	if want := document.NewDate(e.Clock.Now().AddDate(0, 0, 1)); mv.AdultOn != want || mv.InternetNumber != m.InternetNumber {
		t.Errorf("minor view %+v, want adult on %v", mv, want)
	}
	if ms, err := e.Service.GuardedMinors(ctx, g.ResidentID); err != nil || len(ms) != 1 {
		t.Errorf("GuardedMinors the day before = %+v, %v", ms, err)
	}
	for _, tc := range []struct{ name, guardian, minor string }{
		{"a stranger", stranger.ResidentID, m.ResidentID},
		{"the minor over the guardian", m.ResidentID, g.ResidentID},
		{"an unknown minor", g.ResidentID, "no-such-resident"},
	} {
		if _, err := e.Service.GuardianOf(ctx, tc.guardian, tc.minor); !errors.Is(err, enrol.ErrNotAGuardian) {
			t.Errorf("GuardianOf(%s) = %v, want ErrNotAGuardian", tc.name, err)
		}
	}

	// Midnight UTC of the birthday.
	now := e.Clock.Now()
	e.Clock.Advance(time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC).Sub(now))
	if _, err := e.Service.GuardianOf(ctx, g.ResidentID, m.ResidentID); !errors.Is(err, enrol.ErrNotAGuardian) {
		t.Errorf("GuardianOf on the 18th birthday = %v, want ErrNotAGuardian", err)
	}
	if ms, err := e.Service.GuardedMinors(ctx, g.ResidentID); err != nil || len(ms) != 0 {
		t.Errorf("GuardedMinors on the 18th birthday = %+v, %v; want none", ms, err)
	}
	// The record of the link stays: the former minor still sees who was
	// their guardian.
	if h, err := e.Service.Held(ctx, m.ResidentID); err != nil || len(h.Guardians) != 1 {
		t.Errorf("Held(former minor) guardians = %+v, %v", h.Guardians, err)
	}
}
