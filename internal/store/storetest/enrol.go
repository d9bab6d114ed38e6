package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// et0 is a time as the enrol Service hands them over: UTC, whole
// microseconds.
var et0 = time.Date(2025, 7, 15, 10, 0, 0, 654321000, time.UTC)

// enrolment returns an enrolment whose fields all depend on seed, so that
// a write of one seed over another shows in every column.
func enrolment(id string, seed int) enrol.EnrolmentRecord {
	at := et0.Add(time.Duration(seed) * time.Minute)
	b := func(tag byte) []byte { return bytes.Repeat([]byte{tag, byte(seed), 0x00, 0xff}, 4) }
	states := []enrol.State{enrol.StateCreated, enrol.StatePhoneVerified, enrol.StateFaceVerified, enrol.StatePasswordSet, enrol.StateCompleted}
	return enrol.EnrolmentRecord{
		ID: id, TokenHash: []byte("token-" + id), ResidentID: "resident-" + id, State: states[seed%len(states)],
		Pathway: enrol.PathwayChip, AgeGroup: enrol.AgeMinor, Ceiling: enrol.AssuranceHigh,
		AnchorIndex: b(2), AnchorKeyID: fmt.Sprintf("blind-index-%d", seed), Identity: b(3), Portrait: b(4),
		PhoneOptional: seed%2 == 0, Phone: b(5), PhoneIndex: b(6), PhoneLogin: seed%2 == 1,
		FaceChallenge: fmt.Sprintf("challenge-%d", seed), FaceChallengeAt: at.Add(time.Second), FaceAttempts: seed % 4,
		FaceMatched: seed%3 == 0, Template: b(7), KeepTemplate: seed%3 == 1, PasswordHash: fmt.Sprintf("$argon2id$%d", seed),
		CSRNonce: fmt.Sprintf("nonce-%d", seed), Number: fmt.Sprintf("NUMBER%04d", seed), GuardianID: fmt.Sprintf("guardian-%d", seed),
		Relationship: enrol.RelationshipParent, GuardianKind: enrol.GuardianEvidenceCourtOrder, GuardianSealed: b(8),
		RegistrarID: fmt.Sprintf("registrar-%d", seed), AssistedKind: enrol.AssistedAttestation,
		CreatedAt: et0, UpdatedAt: at, ExpiresAt: at.Add(24 * time.Hour), Version: 1,
	}
}

// resident returns a resident whose fields depend on seed.
func resident(id, number string, phoneIndex []byte, seed int) enrol.ResidentRecord {
	b := func(tag byte) []byte { return bytes.Repeat([]byte{tag, byte(seed)}, 8) }
	return enrol.ResidentRecord{
		ID: id, InternetNumber: number, Status: enrol.StatusActive, Pathway: enrol.PathwayAuthority,
		Ceiling: enrol.AssuranceSubstantial, Identity: b(1), Phone: b(2), PhoneIndex: phoneIndex,
		PasswordHash: fmt.Sprintf("$argon2id$r%d", seed), Template: b(3), DynamicSecret: b(4),
		RegistrarID: fmt.Sprintf("reg-%d", seed), ApprovalHash: b(5),
		CreatedAt: et0, UpdatedAt: et0.Add(time.Duration(seed) * time.Second), Version: 1,
	}
}

func testEnrolmentCRUD(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		empty := enrol.EnrolmentRecord{ID: "empty", State: enrol.StateCreated, Version: 1}
		for _, want := range []enrol.EnrolmentRecord{enrolment("e1", 1), enrolment("e2", 2), empty} {
			if err := s.CreateEnrolment(ctx, want); err != nil {
				t.Fatalf("CreateEnrolment(%s) = %v", want.ID, err)
			}
			got, err := s.Enrolment(ctx, want.ID)
			if err != nil {
				t.Fatalf("Enrolment(%s) error = %v", want.ID, err)
			}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Errorf("Enrolment(%s) mismatch (-want +got):\n%s", want.ID, diff)
			}
		}
		if err := s.CreateEnrolment(ctx, enrolment("e1", 9)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateEnrolment(existing id) = %v, want store.ErrConflict", err)
		}
		for _, id := range []string{"E1", "e1 ", "e", ""} {
			if _, err := s.Enrolment(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Enrolment(%q) error = %v, want store.ErrNotFound", id, err)
			}
		}

		next := func(seed int, v int64) enrol.EnrolmentRecord {
			n := enrolment("e1", seed)
			n.CreatedAt, n.Version = et0, v
			return n
		}
		moved := next(3, 2)
		steps := []struct {
			name    string
			prev    int64
			rec     enrol.EnrolmentRecord
			wantErr error
			want    enrol.EnrolmentRecord
		}{
			{"right version", 1, moved, nil, moved},
			{"stale version", 1, next(4, 2), store.ErrConflict, moved},
			{"token hash changed", 2, func() enrol.EnrolmentRecord { r := next(4, 3); r.TokenHash = []byte("x"); return r }(), store.ErrConflict, moved},
			{"resident changed", 2, func() enrol.EnrolmentRecord { r := next(4, 3); r.ResidentID = "other"; return r }(), store.ErrConflict, moved},
			{"missing", 2, func() enrol.EnrolmentRecord { r := next(4, 3); r.ID = "nobody"; return r }(), store.ErrNotFound, moved},
			{"next version", 2, next(4, 3), nil, next(4, 3)},
		}
		for _, st := range steps {
			err := s.UpdateEnrolment(ctx, st.prev, st.rec)
			if st.wantErr == nil && err != nil || st.wantErr != nil && !errors.Is(err, st.wantErr) {
				t.Errorf("%s: UpdateEnrolment() = %v, want %v", st.name, err, st.wantErr)
			}
			got, err := s.Enrolment(ctx, "e1")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(st.want, got, equateEmpty); diff != "" {
				t.Errorf("%s: stored enrolment mismatch (-want +got):\n%s", st.name, diff)
			}
		}
		if err := s.UpdateEnrolment(ctx, 3, next(5, 3)); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("UpdateEnrolment(version kept) = %v, want an invalid-argument error", err)
		}
		if got, _ := s.Enrolment(ctx, "e2"); !cmp.Equal(enrolment("e2", 2), got, equateEmpty) {
			t.Errorf("neighbour e2 changed by updates of e1: %+v", got)
		}

		if err := s.DeleteEnrolment(ctx, "e2"); err != nil {
			t.Errorf("DeleteEnrolment(e2) = %v", err)
		}
		if err := s.DeleteEnrolment(ctx, "e2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteEnrolment(e2) = %v, want store.ErrNotFound", err)
		}
		if _, err := s.Enrolment(ctx, "e2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Enrolment(deleted) error = %v, want store.ErrNotFound", err)
		}
	})
}

func testEnrolmentExpiry(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	// Expiries: b and a share one (ordered by id), c later, d not expired.
	exp := map[string]time.Duration{"b": 0, "a": 0, "c": time.Minute, "d": time.Hour}
	for id, d := range exp {
		r := enrolment(id, 1)
		r.ExpiresAt = et0.Add(d)
		if err := s.CreateEnrolment(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		before time.Time
		limit  int
		want   []string
	}{
		{et0, 10, nil},
		{et0.Add(time.Microsecond), 10, []string{"a", "b"}},
		{et0.Add(time.Hour), 10, []string{"a", "b", "c"}},
		{et0.Add(time.Hour), 2, []string{"a", "b"}},
		{et0.Add(2 * time.Hour), 1, []string{"a"}},
	}
	for _, tt := range tests {
		list, err := s.EnrolmentsExpiredBefore(ctx, tt.before, tt.limit)
		if err != nil {
			t.Fatalf("EnrolmentsExpiredBefore(%v, %d) error = %v", tt.before, tt.limit, err)
		}
		var got []string
		for _, r := range list {
			got = append(got, r.ID)
		}
		if !cmp.Equal(tt.want, got, equateEmpty) {
			t.Errorf("EnrolmentsExpiredBefore(%v, %d) = %v, want %v", tt.before.Sub(et0), tt.limit, got, tt.want)
		}
	}
	if _, err := s.EnrolmentsExpiredBefore(ctx, et0, 0); err == nil {
		t.Error("EnrolmentsExpiredBefore(limit 0) = nil error, want an invalid-argument error")
	}
}

func testResidentCRUD(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		r1 := resident("r1", "AAAAAAAAA1", []byte("phone-1"), 1)
		r2 := resident("r2", "AAAAAAAAA2", nil, 2) // no login phone
		r3 := resident("r3", "AAAAAAAAA3", nil, 3) // none either: NULLs do not collide
		for _, r := range []enrol.ResidentRecord{r1, r2, r3} {
			if err := s.CreateResident(ctx, r); err != nil {
				t.Fatalf("CreateResident(%s) = %v", r.ID, err)
			}
		}
		conflicts := []struct {
			name string
			r    enrol.ResidentRecord
		}{
			{"same id", resident("r1", "AAAAAAAAA9", nil, 9)},
			{"same number", resident("r9", "AAAAAAAAA1", nil, 9)},
			{"same login phone", resident("r9", "AAAAAAAAA9", []byte("phone-1"), 9)},
		}
		for _, c := range conflicts {
			if err := s.CreateResident(ctx, c.r); !errors.Is(err, store.ErrConflict) {
				t.Errorf("CreateResident(%s) = %v, want store.ErrConflict", c.name, err)
			}
		}
		lookups := []struct {
			name string
			get  func() (enrol.ResidentRecord, error)
			want *enrol.ResidentRecord
		}{
			{"by id", func() (enrol.ResidentRecord, error) { return s.Resident(ctx, "r2") }, &r2},
			{"by number", func() (enrol.ResidentRecord, error) { return s.ResidentByNumber(ctx, "AAAAAAAAA1") }, &r1},
			{"by phone", func() (enrol.ResidentRecord, error) { return s.ResidentByPhoneIndex(ctx, []byte("phone-1")) }, &r1},
			{"missing id", func() (enrol.ResidentRecord, error) { return s.Resident(ctx, "r9") }, nil},
			{"missing number", func() (enrol.ResidentRecord, error) { return s.ResidentByNumber(ctx, "aaaaaaaaa1") }, nil},
			{"missing phone", func() (enrol.ResidentRecord, error) { return s.ResidentByPhoneIndex(ctx, []byte("phone-2")) }, nil},
			{"empty phone", func() (enrol.ResidentRecord, error) { return s.ResidentByPhoneIndex(ctx, nil) }, nil},
		}
		for _, l := range lookups {
			got, err := l.get()
			if l.want == nil {
				if !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s: error = %v, want store.ErrNotFound", l.name, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: error = %v", l.name, err)
			}
			if diff := cmp.Diff(*l.want, got, equateEmpty); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", l.name, diff)
			}
		}

		upd := r2
		upd.Status, upd.PhoneIndex, upd.Template, upd.Version = enrol.StatusPendingGuardian, []byte("phone-2"), nil, 2
		steps := []struct {
			name    string
			prev    int64
			r       enrol.ResidentRecord
			wantErr error
			want    enrol.ResidentRecord
		}{
			{"takes a free phone", 1, upd, nil, upd},
			{"stale version", 1, func() enrol.ResidentRecord { r := upd; r.Status = enrol.StatusActive; return r }(), store.ErrConflict, upd},
			{"phone of another", 2, func() enrol.ResidentRecord { r := upd; r.PhoneIndex, r.Version = []byte("phone-1"), 3; return r }(), store.ErrConflict, upd},
			{"number changed", 2, func() enrol.ResidentRecord { r := upd; r.InternetNumber, r.Version = "AAAAAAAAA7", 3; return r }(), store.ErrConflict, upd},
			{"missing", 2, func() enrol.ResidentRecord { r := upd; r.ID, r.PhoneIndex, r.Version = "r9", nil, 3; return r }(), store.ErrNotFound, upd},
			{"drops the phone", 2, func() enrol.ResidentRecord { r := upd; r.PhoneIndex, r.Version = nil, 3; return r }(), nil,
				func() enrol.ResidentRecord { r := upd; r.PhoneIndex, r.Version = nil, 3; return r }()},
		}
		for _, st := range steps {
			err := s.UpdateResident(ctx, st.prev, st.r)
			if st.wantErr == nil && err != nil || st.wantErr != nil && !errors.Is(err, st.wantErr) {
				t.Errorf("%s: UpdateResident() = %v, want %v", st.name, err, st.wantErr)
			}
			got, err := s.Resident(ctx, "r2")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(st.want, got, equateEmpty); diff != "" {
				t.Errorf("%s: stored resident mismatch (-want +got):\n%s", st.name, diff)
			}
		}
		// The dropped phone is free again.
		if err := s.CreateResident(ctx, resident("r4", "AAAAAAAAA4", []byte("phone-2"), 4)); err != nil {
			t.Errorf("CreateResident(freed phone) = %v, want nil", err)
		}
	})
}

func testIdentityAnchorUnique(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		a1 := enrol.IdentityAnchor{Index: []byte{1, 2, 3, 0}, KeyID: "bi-1", ResidentID: "r1", Pathway: enrol.PathwayAssisted, CreatedAt: et0}
		a2 := enrol.IdentityAnchor{Index: []byte{1, 2, 3}, KeyID: "bi-1", ResidentID: "r1", Pathway: enrol.PathwayChip, CreatedAt: et0.Add(time.Hour)}
		a3 := enrol.IdentityAnchor{Index: []byte{9}, KeyID: "bi-2", ResidentID: "r2", Pathway: enrol.PathwayAuthority, CreatedAt: et0}
		for _, a := range []enrol.IdentityAnchor{a1, a2, a3} {
			if err := s.PutIdentityAnchor(ctx, a); err != nil {
				t.Fatalf("PutIdentityAnchor(%x) = %v", a.Index, err)
			}
		}
		dup := a1
		dup.ResidentID, dup.KeyID = "r3", "bi-9"
		if err := s.PutIdentityAnchor(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("PutIdentityAnchor(same index, other resident) = %v, want store.ErrConflict", err)
		}
		for _, want := range []enrol.IdentityAnchor{a1, a2, a3} {
			got, err := s.IdentityAnchor(ctx, want.Index)
			if err != nil || !cmp.Equal(want, got) {
				t.Errorf("IdentityAnchor(%x) = %+v, %v; want %+v", want.Index, got, err, want)
			}
		}
		for _, idx := range [][]byte{{1, 2}, {1, 2, 3, 0, 0}, nil} {
			if _, err := s.IdentityAnchor(ctx, idx); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("IdentityAnchor(%x) error = %v, want store.ErrNotFound", idx, err)
			}
		}
		list, err := s.IdentityAnchorsOf(ctx, "r1")
		if err != nil || !cmp.Equal([]enrol.IdentityAnchor{a1, a2}, list) {
			t.Errorf("IdentityAnchorsOf(r1) = %+v, %v; want a1, a2 (oldest first)", list, err)
		}
		if list, err := s.IdentityAnchorsOf(ctx, "nobody"); err != nil || len(list) != 0 {
			t.Errorf("IdentityAnchorsOf(nobody) = %+v, %v; want none", list, err)
		}
		for _, bad := range []enrol.IdentityAnchor{{KeyID: "k", ResidentID: "r"}, {Index: []byte{7}, ResidentID: "r"}, {Index: []byte{7}, KeyID: "k"}} {
			if err := s.PutIdentityAnchor(ctx, bad); err == nil || errors.Is(err, store.ErrConflict) {
				t.Errorf("PutIdentityAnchor(%+v) = %v, want an invalid-argument error", bad, err)
			}
		}
	})
}

func testInternetNumbers(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		n := enrol.InternetNumberRecord{Number: "ABCDEFGHJ1", ResidentID: "r1", AssignedAt: et0}
		if err := s.PutInternetNumber(ctx, n); err != nil {
			t.Fatalf("PutInternetNumber() = %v", err)
		}
		if got, err := s.InternetNumber(ctx, n.Number); err != nil || !cmp.Equal(n, got) {
			t.Errorf("InternetNumber() = %+v, %v; want %+v", got, err, n)
		}
		retired := et0.Add(48 * time.Hour)
		if err := s.RetireInternetNumber(ctx, n.Number, retired); err != nil {
			t.Errorf("RetireInternetNumber() = %v", err)
		}
		if err := s.RetireInternetNumber(ctx, n.Number, retired.Add(time.Hour)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second RetireInternetNumber() = %v, want store.ErrConflict", err)
		}
		if err := s.RetireInternetNumber(ctx, "NOSUCHNUM0", retired); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RetireInternetNumber(missing) = %v, want store.ErrNotFound", err)
		}
		want := n
		want.RetiredAt = retired
		if got, err := s.InternetNumber(ctx, n.Number); err != nil || !cmp.Equal(want, got) {
			t.Errorf("InternetNumber(retired) = %+v, %v; want %+v", got, err, want)
		}
		// A retired number is never assigned again.
		again := enrol.InternetNumberRecord{Number: n.Number, ResidentID: "r2", AssignedAt: retired.Add(time.Hour)}
		if err := s.PutInternetNumber(ctx, again); !errors.Is(err, store.ErrConflict) {
			t.Errorf("PutInternetNumber(retired number) = %v, want store.ErrConflict", err)
		}
		if _, err := s.InternetNumber(ctx, "abcdefghj1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("InternetNumber(lower case) error = %v, want store.ErrNotFound", err)
		}
		if err := s.PutInternetNumber(ctx, enrol.InternetNumberRecord{Number: "X"}); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("PutInternetNumber(no resident) = %v, want an invalid-argument error", err)
		}
	})
}

func testGuardianLinks(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		link := func(minor, guardian string, d time.Duration) enrol.GuardianLink {
			return enrol.GuardianLink{MinorID: minor, GuardianID: guardian, Relationship: enrol.RelationshipLegalGuardian,
				EvidenceKind: enrol.GuardianEvidenceBirthCertificate, Evidence: []byte(minor + guardian),
				Kind: enrol.LinkApproval, CreatedAt: et0.Add(d)}
		}
		l1, l2, l3 := link("m1", "g1", time.Hour), link("m1", "g2", 0), link("m2", "g1", 2*time.Hour)
		for _, l := range []enrol.GuardianLink{l1, l2, l3} {
			if err := s.PutGuardianLink(ctx, l); err != nil {
				t.Fatalf("PutGuardianLink(%s, %s) = %v", l.MinorID, l.GuardianID, err)
			}
		}
		if err := s.PutGuardianLink(ctx, link("m1", "g1", 3*time.Hour)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("PutGuardianLink(same pair) = %v, want store.ErrConflict", err)
		}
		if err := s.PutGuardianLink(ctx, enrol.GuardianLink{MinorID: "m"}); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("PutGuardianLink(no guardian) = %v, want an invalid-argument error", err)
		}
		if got, err := s.GuardianLinksOfMinor(ctx, "m1"); err != nil || !cmp.Equal([]enrol.GuardianLink{l2, l1}, got) {
			t.Errorf("GuardianLinksOfMinor(m1) = %+v, %v; want l2, l1 (oldest first)", got, err)
		}
		if got, err := s.GuardianLinksOfGuardian(ctx, "g1"); err != nil || !cmp.Equal([]enrol.GuardianLink{l1, l3}, got) {
			t.Errorf("GuardianLinksOfGuardian(g1) = %+v, %v; want l1, l3", got, err)
		}
		if got, err := s.GuardianLinksOfMinor(ctx, "g1"); err != nil || len(got) != 0 {
			t.Errorf("GuardianLinksOfMinor(g1) = %+v, %v; want none", got, err)
		}
	})
}

func testRegistrars(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		r := enrol.RegistrarRecord{ID: "reg-1", Name: "Office 1", TokenHash: []byte{1, 2, 3}, CreatedAt: et0}
		if err := s.CreateRegistrar(ctx, r); err != nil {
			t.Fatalf("CreateRegistrar() = %v", err)
		}
		for _, dup := range []enrol.RegistrarRecord{
			{ID: "reg-1", Name: "Other", TokenHash: []byte{9}, CreatedAt: et0},
			{ID: "reg-2", Name: "Other", TokenHash: []byte{1, 2, 3}, CreatedAt: et0},
		} {
			if err := s.CreateRegistrar(ctx, dup); !errors.Is(err, store.ErrConflict) {
				t.Errorf("CreateRegistrar(%+v) = %v, want store.ErrConflict", dup, err)
			}
		}
		if got, err := s.Registrar(ctx, "reg-1"); err != nil || !cmp.Equal(r, got) {
			t.Errorf("Registrar() = %+v, %v; want %+v", got, err, r)
		}
		if got, err := s.RegistrarByTokenHash(ctx, []byte{1, 2, 3}); err != nil || !cmp.Equal(r, got) {
			t.Errorf("RegistrarByTokenHash() = %+v, %v; want %+v", got, err, r)
		}
		if _, err := s.RegistrarByTokenHash(ctx, []byte{1, 2}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RegistrarByTokenHash(prefix) error = %v, want store.ErrNotFound", err)
		}
		if _, err := s.Registrar(ctx, "reg-2"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Registrar(missing) error = %v, want store.ErrNotFound", err)
		}
		if err := s.CreateRegistrar(ctx, enrol.RegistrarRecord{ID: "reg-3"}); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateRegistrar(no token hash) = %v, want an invalid-argument error", err)
		}
	})
}

// testConcurrentEnrolment is the end of Complete for one identity from
// several enrolments at once, each in its own transaction as the Service
// runs it: a fresh internet number, the identity anchor, the resident.
// Exactly one transaction commits; the others end with ErrConflict from
// the anchor, and leave neither their number nor their resident behind.
func testConcurrentEnrolment(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	anchor := bytes.Repeat([]byte{0xa5}, 32)
	errs := make([]error, goroutines)
	together(goroutines, func(i int) {
		errs[i] = s.InTx(ctx, func(ctx context.Context) error {
			id, number := fmt.Sprintf("resident-%d", i), fmt.Sprintf("NUMBER%04d", i)
			if err := s.PutInternetNumber(ctx, enrol.InternetNumberRecord{Number: number, ResidentID: id, AssignedAt: et0}); err != nil {
				return err
			}
			if err := s.PutIdentityAnchor(ctx, enrol.IdentityAnchor{Index: anchor, KeyID: "bi-1", ResidentID: id,
				Pathway: enrol.PathwayChip, CreatedAt: et0}); err != nil {
				return err
			}
			return s.CreateResident(ctx, resident(id, number, nil, i))
		})
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("enrolments %d and %d both committed, want exactly one", winner, i)
			}
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("enrolment %d error = %v, want nil or store.ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no enrolment committed, want exactly one")
	}
	a, err := s.IdentityAnchor(ctx, anchor)
	if want := fmt.Sprintf("resident-%d", winner); err != nil || a.ResidentID != want {
		t.Errorf("IdentityAnchor() = %+v, %v; want the winner %s", a, err, want)
	}
	for i := range goroutines {
		_, rerr := s.Resident(ctx, fmt.Sprintf("resident-%d", i))
		_, nerr := s.InternetNumber(ctx, fmt.Sprintf("NUMBER%04d", i))
		if i == winner && (rerr != nil || nerr != nil) || i != winner && (!errors.Is(rerr, store.ErrNotFound) || !errors.Is(nerr, store.ErrNotFound)) {
			t.Errorf("enrolment %d (winner %d): resident error %v, number error %v", i, winner, rerr, nerr)
		}
	}
}

// testConcurrentEnrolmentUpdate races compare-and-set updates of one
// enrolment from the same version: exactly one wins.
func testConcurrentEnrolmentUpdate(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	if err := s.CreateEnrolment(ctx, enrolment("e", 0)); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, goroutines)
	together(goroutines, func(i int) {
		n := enrolment("e", i+1)
		n.Version = 2
		errs[i] = s.UpdateEnrolment(ctx, 1, n)
	})
	checkOneWinner(t, "UpdateEnrolment", errs)
}
