package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/admin"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// at0 is a time as the admin Service hands them over: UTC, whole
// microseconds.
var at0 = time.Date(2025, 7, 15, 10, 0, 0, 250000000, time.UTC)

func adminToken(id, name string, seed int) admin.Token {
	return admin.Token{ID: id, Name: name, SecretHash: []byte(fmt.Sprintf("hash-%s-%d", id, seed)),
		Created: at0.Add(time.Duration(seed) * time.Second)}
}

func testAdminTokens(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		a, b := adminToken("adm-a", "alice", 2), adminToken("adm-b", "bob", 1)
		for _, tok := range []admin.Token{a, b} {
			if err := s.CreateAdminToken(ctx, tok); err != nil {
				t.Fatalf("CreateAdminToken(%s) = %v, want nil", tok.ID, err)
			}
		}
		if got, err := s.AdminToken(ctx, "adm-a"); err != nil || !cmp.Equal(a, got) {
			t.Errorf("AdminToken(adm-a) = %+v, %v; want %+v", got, err, a)
		}
		if _, err := s.AdminToken(ctx, "adm-none"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AdminToken(unknown) = %v, want store.ErrNotFound", err)
		}
		conflicts := []struct {
			name string
			tok  admin.Token
		}{
			{"same id", adminToken("adm-a", "carol", 3)},
			{"same name as a usable token", adminToken("adm-c", "alice", 3)},
		}
		for _, c := range conflicts {
			if err := s.CreateAdminToken(ctx, c.tok); !errors.Is(err, store.ErrConflict) {
				t.Errorf("CreateAdminToken(%s) = %v, want store.ErrConflict", c.name, err)
			}
		}
		revokedAt := at0.Add(time.Hour)
		if err := s.RevokeAdminToken(ctx, "adm-a", revokedAt); err != nil {
			t.Fatalf("RevokeAdminToken(adm-a) = %v", err)
		}
		if err := s.RevokeAdminToken(ctx, "adm-a", revokedAt.Add(time.Minute)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second RevokeAdminToken(adm-a) = %v, want store.ErrConflict", err)
		}
		if err := s.RevokeAdminToken(ctx, "adm-none", revokedAt); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RevokeAdminToken(unknown) = %v, want store.ErrNotFound", err)
		}
		a.Revoked = revokedAt
		if got, err := s.AdminToken(ctx, "adm-a"); err != nil || !cmp.Equal(a, got) || got.Usable() {
			t.Errorf("AdminToken(revoked) = %+v, %v; want %+v, the first revocation", got, err, a)
		}
		// A revoked token's name may be given to a new one.
		again := adminToken("adm-c", "alice", 3)
		if err := s.CreateAdminToken(ctx, again); err != nil {
			t.Errorf("CreateAdminToken(name of a revoked token) = %v, want nil", err)
		}
		got, err := s.AdminTokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]admin.Token{b, a, again}, got); diff != "" {
			t.Errorf("AdminTokens() mismatch, want creation order (-want +got):\n%s", diff)
		}
		invalid := []admin.Token{
			{ID: "", Name: "x", SecretHash: []byte("h"), Created: at0},
			{ID: "adm-x", Name: "", SecretHash: []byte("h"), Created: at0},
			{ID: "adm-x", Name: "x", Created: at0},
			{ID: "adm-x", Name: "x", SecretHash: []byte("h")},
			{ID: "adm-x", Name: "x", SecretHash: []byte("h"), Created: at0, Revoked: at0},
		}
		for i, tok := range invalid {
			if err := s.CreateAdminToken(ctx, tok); err == nil || errors.Is(err, store.ErrConflict) {
				t.Errorf("CreateAdminToken(invalid %d) = %v, want a validation error", i, err)
			}
		}
	})
}

func testAdminAudit(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		rec := func(id string, minutes int, outcome admin.Outcome) admin.AuditRecord {
			return admin.AuditRecord{ID: id, At: at0.Add(time.Duration(minutes) * time.Minute), Admin: "alice",
				TokenID: "adm-a", Channel: admin.ChannelAPI, Action: admin.ActionRPSuspend, Target: "rp-" + id,
				Outcome: outcome, Detail: "name \"Shop\" 中文"}
		}
		// Inserted out of order: the listing orders by time, then id.
		all := []admin.AuditRecord{rec("c", 2, admin.OutcomeOK), rec("a", 0, admin.OutcomeNotFound),
			rec("b2", 1, admin.OutcomeOK), rec("b1", 1, admin.OutcomeInvalid)}
		for _, r := range all {
			if err := s.AppendAdminAudit(ctx, r); err != nil {
				t.Fatalf("AppendAdminAudit(%s) = %v", r.ID, err)
			}
		}
		if err := s.AppendAdminAudit(ctx, rec("a", 5, admin.OutcomeOK)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("AppendAdminAudit(same id) = %v, want store.ErrConflict", err)
		}
		if err := s.AppendAdminAudit(ctx, admin.AuditRecord{ID: "x", At: at0}); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("AppendAdminAudit(no action) = %v, want a validation error", err)
		}
		ordered := []admin.AuditRecord{all[1], all[3], all[2], all[0]}
		tests := []struct {
			name  string
			since time.Time
			limit int
			want  []admin.AuditRecord
		}{
			{"all", time.Time{}, 10, ordered},
			{"limit", time.Time{}, 2, ordered[:2]},
			{"since is inclusive", at0.Add(time.Minute), 10, ordered[1:]},
			{"since after all", at0.Add(time.Hour), 10, nil},
			{"zero limit", time.Time{}, 0, nil},
		}
		for _, tt := range tests {
			got, err := s.AdminAudit(ctx, tt.since, tt.limit)
			if err != nil {
				t.Fatalf("%s: AdminAudit() error = %v", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, got, equateEmpty); diff != "" {
				t.Errorf("%s: AdminAudit() mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
	})
}

// testAdminStats fills every table the statistics count and checks each
// count, the day boundaries (UTC, from inclusive, to exclusive) included.
func testAdminStats(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		day0 := time.Date(2025, 7, 14, 0, 0, 0, 0, time.UTC)
		now := day0.Add(36 * time.Hour) // 2025-07-15 12:00

		// Residents: two active, one pending a guardian.
		statuses := []enrol.ResidentStatus{enrol.StatusActive, enrol.StatusActive, enrol.StatusPendingGuardian}
		for i, st := range statuses {
			r := resident(fmt.Sprintf("r%d", i), fmt.Sprintf("NUM%d", i), nil, i)
			r.Status = st
			must(s.CreateResident(ctx, r))
		}
		// Certificates: NUM0 holds a valid one and a revoked one
		// (counted once); NUM1 only an expired one; NUM2 one not
		// valid yet; NUM3 only a revoked one.
		cert := func(serial, number string, notBefore, notAfter time.Time) {
			c := certRecord(serial, number, "ca-1", len(serial))
			c.NotBefore, c.NotAfter = notBefore, notAfter
			must(s.PutCertificate(ctx, c))
		}
		cert("a1", "NUM0", now.Add(-time.Hour), now.Add(time.Hour))
		cert("a2", "NUM0", now.Add(-time.Hour), now.Add(time.Hour))
		must(s.RevokeCertificate(ctx, "a2", credential.ReasonKeyCompromise, now.Add(-time.Minute).Truncate(time.Second)))
		cert("b1", "NUM1", now.Add(-48*time.Hour), now)
		cert("c1", "NUM2", now.Add(time.Second), now.Add(time.Hour))
		cert("d1", "NUM3", now.Add(-time.Hour), now.Add(time.Hour))
		must(s.RevokeCertificate(ctx, "d1", credential.ReasonSuperseded, now.Add(-time.Minute).Truncate(time.Second)))

		// Enrolments: created yesterday (expired, open but
		// expired), early today (open), today (completed), and at
		// the last microsecond of yesterday.
		enr := func(id string, created time.Time, state enrol.State, ttl time.Duration) {
			r := enrolment(id, 1)
			r.CreatedAt, r.UpdatedAt, r.ExpiresAt, r.State = created, created, created.Add(ttl), state
			must(s.CreateEnrolment(ctx, r))
		}
		enr("e1", day0.Add(time.Hour), enrol.StateCreated, time.Hour)
		enr("e2", day0.Add(24*time.Hour-time.Microsecond), enrol.StatePhoneVerified, 24*time.Hour)
		enr("e3", day0.Add(30*time.Hour), enrol.StateCompleted, 24*time.Hour)
		enr("e4", day0.Add(35*time.Hour), enrol.StateFaceVerified, 24*time.Hour)

		// Internet numbers assigned: one on 07-14 (last
		// microsecond), two on 07-15, one on 07-16.
		for i, at := range []time.Time{day0.Add(24*time.Hour - time.Microsecond), day0.Add(24 * time.Hour),
			day0.Add(30 * time.Hour), day0.Add(48 * time.Hour)} {
			must(s.PutInternetNumber(ctx, enrol.InternetNumberRecord{Number: fmt.Sprintf("IN%d", i),
				ResidentID: fmt.Sprintf("r%d", i), AssignedAt: at}))
		}

		// Disclosures: logins of two RPs at several levels over
		// two days, plus a refresh, which is not a login.
		disc := func(id, client string, at time.Time, acr enrol.Assurance, kind oidc.DisclosureKind) {
			must(s.RecordDisclosure(ctx, oidc.Disclosure{ID: id, ResidentID: "r0", ClientID: client, GrantID: "g-" + id,
				At: at, ACR: acr, Kind: kind}))
		}
		disc("d1", "rp-b", day0.Add(time.Hour), enrol.AssuranceLow, oidc.DisclosureCode)
		disc("d2", "rp-a", day0.Add(2*time.Hour), enrol.AssuranceLow, oidc.DisclosureCode)
		disc("d3", "rp-a", day0.Add(3*time.Hour), enrol.AssuranceLow, oidc.DisclosureCode)
		disc("d4", "rp-a", day0.Add(4*time.Hour), enrol.AssuranceSubstantial, oidc.DisclosureCode)
		disc("d5", "rp-a", day0.Add(5*time.Hour), enrol.AssuranceLow, oidc.DisclosureRefresh)
		disc("d6", "rp-a", day0.Add(25*time.Hour), enrol.AssuranceHigh, oidc.DisclosureCode)
		disc("d7", "rp-a", day0.Add(48*time.Hour), enrol.AssuranceHigh, oidc.DisclosureCode)
		// A QR login is a login too.
		disc("d8", "rp-b", day0.Add(26*time.Hour), enrol.AssuranceSubstantial, oidc.DisclosureDevice)

		byStatus, err := s.StatsResidentsByStatus(ctx)
		must(err)
		if want := map[string]int64{"active": 2, "pending-guardian": 1}; !cmp.Equal(want, byStatus) {
			t.Errorf("StatsResidentsByStatus() = %v, want %v", byStatus, want)
		}
		if n, err := s.StatsActivatedResidents(ctx, now); err != nil || n != 1 {
			t.Errorf("StatsActivatedResidents() = %d, %v; want 1 (NUM0)", n, err)
		}
		started, open, err := s.StatsEnrolments(ctx, day0.Add(24*time.Hour), now)
		must(err)
		if started != 2 || open != 2 {
			t.Errorf("StatsEnrolments(since today) = %d started, %d open; want 2 (e3, e4), 2 (e2, e4)", started, open)
		}
		day := func(d int) time.Time { return day0.AddDate(0, 0, d) }
		gotStarted, err := s.StatsEnrolmentsStartedByDay(ctx, day(0), day(2))
		must(err)
		if want := map[time.Time]int64{day(0): 2, day(1): 2}; !cmp.Equal(want, gotStarted) {
			t.Errorf("StatsEnrolmentsStartedByDay() = %v, want %v", gotStarted, want)
		}
		gotCompleted, err := s.StatsEnrolmentsCompletedByDay(ctx, day(0), day(2))
		must(err)
		if want := map[time.Time]int64{day(0): 1, day(1): 2}; !cmp.Equal(want, gotCompleted) {
			t.Errorf("StatsEnrolmentsCompletedByDay([07-14, 07-16)) = %v, want %v (to is exclusive)", gotCompleted, want)
		}
		auths, err := s.StatsAuthenticationsByDay(ctx, day(0), day(2))
		must(err)
		want := []admin.AuthenticationCount{
			{Day: day(0), ClientID: "rp-a", Level: "low", Count: 2},
			{Day: day(0), ClientID: "rp-a", Level: "substantial", Count: 1},
			{Day: day(0), ClientID: "rp-b", Level: "low", Count: 1},
			{Day: day(1), ClientID: "rp-a", Level: "high", Count: 1},
			{Day: day(1), ClientID: "rp-b", Level: "substantial", Count: 1},
		}
		if diff := cmp.Diff(want, auths); diff != "" {
			t.Errorf("StatsAuthenticationsByDay() mismatch (-want +got):\n%s", diff)
		}
		for _, a := range auths {
			if a.Day.Location() != time.UTC {
				t.Errorf("day %v is not in UTC", a.Day)
			}
		}
	})
}
