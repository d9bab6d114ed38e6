package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store/sqlstore"
)

// testLiveGrantClients checks LiveGrantClientsOf: only grants whose code
// was used, not revoked and not expired count; a client's live grants add
// up (claims, times, refresh); other residents' grants stay out.
func testLiveGrantClients(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		// rp-a: two live grants, the second later, with other
		// claims and offline_access, ending before the first.
		a1 := grant("a1", "r1", "rp-a", 1)
		a1.ExpiresAt = ot0.Add(2 * time.Hour)
		a2 := grant("a2", "r1", "rp-a", 2)
		a2.CreatedAt, a2.ExpiresAt = ot0.Add(time.Minute), ot0.Add(time.Hour)
		a2.Scopes = []string{"openid", oidc.ScopeOfflineAccess}
		a2.Claims = []rp.Claim{rp.ClaimBirthdate, rp.ClaimAgeOver18}
		// rp-b: revoked; rp-c: code never used; rp-d: expired at
		// the time asked about; rp-e: live, no offline_access.
		b := grant("b", "r1", "rp-b", 3)
		b.Scopes = []string{"openid", oidc.ScopeOfflineAccess}
		c := grant("c", "r1", "rp-c", 4)
		d := grant("d", "r1", "rp-d", 5)
		d.ExpiresAt = ot0.Add(30 * time.Minute)
		e1 := grant("e", "r1", "rp-e", 6)
		e1.Claims = []rp.Claim{rp.ClaimName}
		// Another resident's grant to rp-a.
		other := grant("o", "r2", "rp-a", 7)
		other.Scopes = []string{"openid", oidc.ScopeOfflineAccess}
		for _, g := range []oidc.Grant{a1, a2, b, c, d, e1, other} {
			if err := s.CreateGrant(ctx, g); err != nil {
				t.Fatalf("CreateGrant(%s) = %v", g.ID, err)
			}
			if g.ID == "c" {
				continue
			}
			if err := s.UseGrantCode(ctx, g.ID, g.CreatedAt.Add(time.Second)); err != nil {
				t.Fatalf("UseGrantCode(%s) = %v", g.ID, err)
			}
		}
		if err := s.RevokeGrant(ctx, "b", ot0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name     string
			resident string
			now      time.Time
			want     []oidc.GrantSummary
		}{
			{"both rp-a grants live", "r1", ot0.Add(30 * time.Minute), []oidc.GrantSummary{
				{ClientID: "rp-a", Claims: []rp.Claim{rp.ClaimAgeOver18, rp.ClaimBirthdate, rp.ClaimName},
					FirstGrantedAt: ot0, LastGrantedAt: ot0.Add(time.Minute), ExpiresAt: ot0.Add(2 * time.Hour), Refresh: true},
				{ClientID: "rp-e", Claims: []rp.Claim{rp.ClaimName}, FirstGrantedAt: ot0, LastGrantedAt: ot0,
					ExpiresAt: e1.ExpiresAt},
			}},
			{"the offline grant expired", "r1", ot0.Add(90 * time.Minute), []oidc.GrantSummary{
				{ClientID: "rp-a", Claims: []rp.Claim{rp.ClaimAgeOver18, rp.ClaimName},
					FirstGrantedAt: ot0, LastGrantedAt: ot0, ExpiresAt: ot0.Add(2 * time.Hour)},
				{ClientID: "rp-e", Claims: []rp.Claim{rp.ClaimName}, FirstGrantedAt: ot0, LastGrantedAt: ot0,
					ExpiresAt: e1.ExpiresAt},
			}},
			{"before rp-d expired", "r1", ot0.Add(29 * time.Minute), []oidc.GrantSummary{
				{ClientID: "rp-a", Claims: []rp.Claim{rp.ClaimAgeOver18, rp.ClaimBirthdate, rp.ClaimName},
					FirstGrantedAt: ot0, LastGrantedAt: ot0.Add(time.Minute), ExpiresAt: ot0.Add(2 * time.Hour), Refresh: true},
				{ClientID: "rp-d", Claims: []rp.Claim{rp.ClaimAgeOver18, rp.ClaimName}, FirstGrantedAt: ot0, LastGrantedAt: ot0,
					ExpiresAt: d.ExpiresAt},
				{ClientID: "rp-e", Claims: []rp.Claim{rp.ClaimName}, FirstGrantedAt: ot0, LastGrantedAt: ot0,
					ExpiresAt: e1.ExpiresAt},
			}},
			{"everything expired", "r1", ot0.Add(24 * time.Hour), nil},
			{"another resident", "r2", ot0, []oidc.GrantSummary{
				{ClientID: "rp-a", Claims: []rp.Claim{rp.ClaimAgeOver18, rp.ClaimName}, FirstGrantedAt: ot0, LastGrantedAt: ot0,
					ExpiresAt: other.ExpiresAt, Refresh: true},
			}},
			{"no grants", "r-none", ot0, nil},
		}
		for _, tt := range tests {
			got, err := s.LiveGrantClientsOf(ctx, tt.resident, tt.now)
			if err != nil {
				t.Fatalf("%s: LiveGrantClientsOf() = %v", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, got, equateEmpty); diff != "" {
				t.Errorf("%s: LiveGrantClientsOf() mismatch (-want +got):\n%s", tt.name, diff)
			}
		}

		// Revoking rp-a's grants (a withdrawal) removes it.
		if _, err := s.RevokeGrantsOf(ctx, "r1", "rp-a", ot0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := s.LiveGrantClientsOf(ctx, "r1", ot0.Add(30*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ClientID != "rp-e" {
			t.Errorf("LiveGrantClientsOf() after revoking rp-a = %+v, want rp-e only", got)
		}
	})
}
