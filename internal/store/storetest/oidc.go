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
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// ot0 is a time as the OpenID provider hands them over: UTC, whole
// microseconds.
var ot0 = time.Date(2025, 7, 15, 10, 0, 0, 246810000, time.UTC)

// relyingParty returns an RP whose fields all depend on seed.
func relyingParty(id string, seed int) rp.RP {
	return rp.RP{
		ClientID:   id,
		SecretHash: bytes.Repeat([]byte{byte(seed), 0xa5}, 16),
		Name:       fmt.Sprintf("平台 %d \"quoted\"", seed),
		RedirectURIs: []string{fmt.Sprintf("https://rp%d.example/cb?x=1&y=%%20", seed),
			fmt.Sprintf("http://127.0.0.1:%d/cb", 8000+seed)},
		PostLogoutRedirectURIs: []string{fmt.Sprintf("https://rp%d.example/bye", seed)},
		Sector:                 fmt.Sprintf("rp%d.example", seed),
		ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: fmt.Sprintf("age check %d", seed)},
			{Claim: rp.ClaimInternetNumber, Purpose: "账户关联 = linking"}},
		MayReceiveInternetNumber: seed%2 == 0,
		SharesOnward:             seed%3 == 0,
		MinAssurance:             []enrol.Assurance{enrol.AssuranceLow, enrol.AssuranceSubstantial, enrol.AssuranceHigh}[seed%3],
		Status:                   []rp.Status{rp.StatusActive, rp.StatusSuspended}[seed%2],
		Created:                  ot0,
		Updated:                  ot0.Add(time.Duration(seed) * time.Second),
		Version:                  1,
	}
}

func testRPCRUD(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		empty := rp.RP{ClientID: "rp-empty", Status: rp.StatusActive, Created: ot0, Updated: ot0, Version: 1}
		for _, want := range []rp.RP{relyingParty("rp-b", 1), relyingParty("rp-a", 2), empty} {
			if err := s.CreateRP(ctx, want); err != nil {
				t.Fatalf("CreateRP(%s) = %v, want nil", want.ClientID, err)
			}
			got, err := s.RP(ctx, want.ClientID)
			if err != nil {
				t.Fatalf("RP(%s) error = %v", want.ClientID, err)
			}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Errorf("RP(%s) mismatch (-want +got):\n%s", want.ClientID, diff)
			}
		}
		if err := s.CreateRP(ctx, relyingParty("rp-a", 5)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second CreateRP(rp-a) = %v, want store.ErrConflict", err)
		}
		if _, err := s.RP(ctx, "rp-none"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RP(rp-none) error = %v, want store.ErrNotFound", err)
		}

		next := relyingParty("rp-a", 3)
		next.Version = 2
		if err := s.UpdateRP(ctx, 1, next); err != nil {
			t.Fatalf("UpdateRP(1 -> 2) = %v, want nil", err)
		}
		if got, _ := s.RP(ctx, "rp-a"); !cmp.Equal(next, got, equateEmpty) {
			t.Errorf("RP after update mismatch (-want +got):\n%s", cmp.Diff(next, got, equateEmpty))
		}
		stale := relyingParty("rp-a", 4)
		stale.Version = 2
		if err := s.UpdateRP(ctx, 1, stale); !errors.Is(err, store.ErrConflict) {
			t.Errorf("UpdateRP(stale version) = %v, want store.ErrConflict", err)
		}
		moved := next
		moved.Created, moved.Version = ot0.Add(time.Hour), 3
		if err := s.UpdateRP(ctx, 2, moved); !errors.Is(err, store.ErrConflict) {
			t.Errorf("UpdateRP(changed Created) = %v, want store.ErrConflict", err)
		}
		ghost := relyingParty("rp-ghost", 1)
		ghost.Version = 2
		if err := s.UpdateRP(ctx, 1, ghost); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateRP(missing) = %v, want store.ErrNotFound", err)
		}
		if err := s.UpdateRP(ctx, 2, next); err == nil {
			t.Error("UpdateRP(version not increased) = nil, want an error")
		}

		var ids []string
		for after := ""; ; {
			page, err := s.ListRPs(ctx, after, 2)
			if err != nil {
				t.Fatalf("ListRPs(%q) error = %v", after, err)
			}
			if len(page) == 0 {
				break
			}
			for _, r := range page {
				ids = append(ids, r.ClientID)
			}
			after = page[len(page)-1].ClientID
		}
		if diff := cmp.Diff([]string{"rp-a", "rp-b", "rp-empty"}, ids); diff != "" {
			t.Errorf("ListRPs pages mismatch (-want +got):\n%s", diff)
		}
	})
}

// loginSession returns a session whose fields depend on seed.
func loginSession(hash string, resident string, seed int) oidc.LoginSession {
	return oidc.LoginSession{
		IDHash: []byte(hash), ResidentID: resident, InternetNumber: fmt.Sprintf("NUMBER%04d", seed),
		ACR: enrol.AssuranceLow, AMR: []string{"pwd", fmt.Sprintf("m%d", seed)},
		AuthTime: ot0.Add(time.Duration(seed) * time.Second), CreatedAt: ot0,
		ExpiresAt: ot0.Add(time.Duration(seed) * time.Hour),
	}
}

func testLoginSessions(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		sessions := []oidc.LoginSession{loginSession("h1", "r1", 1), loginSession("h2", "r1", 2),
			loginSession("h3", "r2", 3), {IDHash: []byte{0, 0xff}, ResidentID: "r3", ACR: enrol.AssuranceHigh,
				AuthTime: ot0, CreatedAt: ot0, ExpiresAt: ot0}}
		for _, want := range sessions {
			if err := s.CreateLoginSession(ctx, want); err != nil {
				t.Fatalf("CreateLoginSession(%q) = %v, want nil", want.IDHash, err)
			}
			got, err := s.LoginSession(ctx, want.IDHash)
			if err != nil {
				t.Fatalf("LoginSession(%q) error = %v", want.IDHash, err)
			}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Errorf("LoginSession(%q) mismatch (-want +got):\n%s", want.IDHash, diff)
			}
		}
		if err := s.CreateLoginSession(ctx, loginSession("h1", "r9", 9)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second CreateLoginSession(h1) = %v, want store.ErrConflict", err)
		}
		if err := s.DeleteLoginSession(ctx, []byte("h3")); err != nil {
			t.Errorf("DeleteLoginSession(h3) = %v, want nil", err)
		}
		if err := s.DeleteLoginSession(ctx, []byte("h3")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteLoginSession(h3) = %v, want store.ErrNotFound", err)
		}
		if _, err := s.LoginSession(ctx, []byte("h3")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LoginSession(deleted) error = %v, want store.ErrNotFound", err)
		}
		n, err := s.DeleteLoginSessionsOf(ctx, "r1")
		if err != nil || n != 2 {
			t.Errorf("DeleteLoginSessionsOf(r1) = %d, %v, want 2, nil", n, err)
		}
		if _, err := s.LoginSession(ctx, []byte{0, 0xff}); err != nil {
			t.Errorf("LoginSession(other resident's) error = %v, want nil", err)
		}
	})
}

func testInteractions(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		want := oidc.Interaction{ID: "i1", ClientID: "rp-a", Request: []byte(`{"redirect_uri":"https://x/cb"}`),
			CreatedAt: ot0, ExpiresAt: ot0.Add(15 * time.Minute), Version: 1}
		if err := s.CreateInteraction(ctx, want); err != nil {
			t.Fatalf("CreateInteraction() = %v, want nil", err)
		}
		if err := s.CreateInteraction(ctx, want); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second CreateInteraction() = %v, want store.ErrConflict", err)
		}
		got, err := s.Interaction(ctx, "i1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
			t.Errorf("Interaction() mismatch (-want +got):\n%s", diff)
		}

		next := want
		next.SessionHash, next.ExpiresAt, next.Version = []byte("session"), ot0.Add(20*time.Minute), 2
		if err := s.UpdateInteraction(ctx, 1, next); err != nil {
			t.Fatalf("UpdateInteraction(1 -> 2) = %v, want nil", err)
		}
		if got, _ := s.Interaction(ctx, "i1"); !cmp.Equal(next, got, equateEmpty) {
			t.Errorf("Interaction after update mismatch (-want +got):\n%s", cmp.Diff(next, got, equateEmpty))
		}
		for name, bad := range map[string]func(*oidc.Interaction){
			"stale version":    func(in *oidc.Interaction) { in.Version = 2 },
			"changed client":   func(in *oidc.Interaction) { in.ClientID = "rp-b" },
			"changed request":  func(in *oidc.Interaction) { in.Request = []byte(`{}`) },
			"changed creation": func(in *oidc.Interaction) { in.CreatedAt = ot0.Add(time.Second) },
		} {
			in, prev := next, int64(2)
			in.Version = 3
			bad(&in)
			if name == "stale version" {
				prev = 1
			}
			if err := s.UpdateInteraction(ctx, prev, in); !errors.Is(err, store.ErrConflict) {
				t.Errorf("UpdateInteraction(%s) = %v, want store.ErrConflict", name, err)
			}
		}
		ghost := next
		ghost.ID, ghost.Version = "i-ghost", 3
		if err := s.UpdateInteraction(ctx, 2, ghost); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateInteraction(missing) = %v, want store.ErrNotFound", err)
		}
		if err := s.DeleteInteraction(ctx, "i1"); err != nil {
			t.Errorf("DeleteInteraction() = %v, want nil", err)
		}
		if err := s.DeleteInteraction(ctx, "i1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteInteraction() = %v, want store.ErrNotFound", err)
		}
	})
}

func testRememberedConsents(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		first := oidc.Consent{ResidentID: "r1", ClientID: "rp-b",
			Claims: []oidc.ConsentClaim{{Claim: rp.ClaimName, Purpose: "greeting", Granted: true},
				{Claim: rp.ClaimAgeOver18, Purpose: "年龄", Granted: false}},
			Plaintext: true, CreatedAt: ot0, UpdatedAt: ot0}
		if err := s.PutRememberedConsent(ctx, first); err != nil {
			t.Fatalf("PutRememberedConsent() = %v, want nil", err)
		}
		second := oidc.Consent{ResidentID: "r1", ClientID: "rp-b", Onward: true,
			CreatedAt: ot0.Add(time.Hour), UpdatedAt: ot0.Add(time.Hour)}
		if err := s.PutRememberedConsent(ctx, second); err != nil {
			t.Fatalf("PutRememberedConsent(replace) = %v, want nil", err)
		}
		other := oidc.Consent{ResidentID: "r1", ClientID: "rp-a", CreatedAt: ot0, UpdatedAt: ot0}
		if err := s.PutRememberedConsent(ctx, other); err != nil {
			t.Fatal(err)
		}
		got, err := s.RememberedConsent(ctx, "r1", "rp-b")
		if err != nil {
			t.Fatal(err)
		}
		want := second
		want.CreatedAt = ot0 // a replacement keeps the creation time
		if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
			t.Errorf("RememberedConsent() mismatch (-want +got):\n%s", diff)
		}
		all, err := s.RememberedConsentsOf(ctx, "r1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]oidc.Consent{other, want}, all, equateEmpty); diff != "" {
			t.Errorf("RememberedConsentsOf() mismatch (-want +got):\n%s", diff)
		}
		if err := s.DeleteRememberedConsent(ctx, "r1", "rp-b"); err != nil {
			t.Errorf("DeleteRememberedConsent() = %v, want nil", err)
		}
		if _, err := s.RememberedConsent(ctx, "r1", "rp-b"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RememberedConsent(deleted) error = %v, want store.ErrNotFound", err)
		}
		if err := s.DeleteRememberedConsent(ctx, "r1", "rp-b"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteRememberedConsent() = %v, want store.ErrNotFound", err)
		}
	})
}

// grant returns a grant whose fields depend on seed, with an unused code.
func grant(id, resident, client string, seed int) oidc.Grant {
	return oidc.Grant{
		ID: id, ClientID: client, ResidentID: resident, Subject: fmt.Sprintf("subject-%d", seed),
		Scopes: []string{"openid", fmt.Sprintf("s%d", seed)}, Claims: []rp.Claim{rp.ClaimName, rp.ClaimAgeOver18},
		ACR: enrol.AssuranceLow, AMR: []string{"pwd"}, AuthTime: ot0.Add(-time.Minute), Nonce: fmt.Sprintf("n-%d", seed),
		RedirectURI: "https://rp.example/cb", CodeHash: []byte("code-" + id), CodeChallenge: fmt.Sprintf("ch-%d", seed),
		CodeExpiresAt: ot0.Add(time.Minute), CreatedAt: ot0, ExpiresAt: ot0.Add(time.Duration(seed+1) * time.Hour),
	}
}

func testGrantsAndTokens(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		g1, g2, g3 := grant("g1", "r1", "rp-a", 1), grant("g2", "r1", "rp-b", 2), grant("g3", "r2", "rp-a", 3)
		for _, g := range []oidc.Grant{g1, g2, g3} {
			if err := s.CreateGrant(ctx, g); err != nil {
				t.Fatalf("CreateGrant(%s) = %v, want nil", g.ID, err)
			}
		}
		sameCode := grant("g4", "r1", "rp-a", 4)
		sameCode.CodeHash = g1.CodeHash
		if err := s.CreateGrant(ctx, sameCode); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateGrant(same code hash) = %v, want store.ErrConflict", err)
		}
		got, err := s.GrantByCode(ctx, g1.CodeHash)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(g1, got, equateEmpty); diff != "" {
			t.Errorf("GrantByCode() mismatch (-want +got):\n%s", diff)
		}
		if _, err := s.GrantByCode(ctx, []byte("nope")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GrantByCode(unknown) error = %v, want store.ErrNotFound", err)
		}

		used := ot0.Add(10 * time.Second)
		if err := s.UseGrantCode(ctx, "g1", used); err != nil {
			t.Errorf("UseGrantCode() = %v, want nil", err)
		}
		if err := s.UseGrantCode(ctx, "g1", used.Add(time.Second)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second UseGrantCode() = %v, want store.ErrConflict", err)
		}
		if err := s.UseGrantCode(ctx, "g-none", used); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UseGrantCode(missing) = %v, want store.ErrNotFound", err)
		}
		if got, _ := s.GrantByCode(ctx, g1.CodeHash); !got.CodeUsedAt.Equal(used) {
			t.Errorf("CodeUsedAt = %v, want %v", got.CodeUsedAt, used)
		}

		access := oidc.Token{Hash: []byte("at-1"), Kind: oidc.TokenAccess, GrantID: "g1", ClientID: "rp-a",
			CreatedAt: ot0, ExpiresAt: ot0.Add(10 * time.Minute)}
		refresh := oidc.Token{Hash: []byte("rt-1"), Kind: oidc.TokenRefresh, GrantID: "g1", ClientID: "rp-a",
			CreatedAt: ot0, ExpiresAt: ot0.Add(time.Hour)}
		for _, tok := range []oidc.Token{access, refresh} {
			if err := s.CreateToken(ctx, tok); err != nil {
				t.Fatalf("CreateToken(%s) = %v, want nil", tok.Hash, err)
			}
		}
		if err := s.CreateToken(ctx, access); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second CreateToken() = %v, want store.ErrConflict", err)
		}
		gotTok, gotGrant, err := s.Token(ctx, refresh.Hash)
		if err != nil {
			t.Fatal(err)
		}
		wantGrant := g1
		wantGrant.CodeUsedAt = used
		if diff := cmp.Diff(refresh, gotTok, equateEmpty); diff != "" {
			t.Errorf("Token() token mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantGrant, gotGrant, equateEmpty); diff != "" {
			t.Errorf("Token() grant mismatch (-want +got):\n%s", diff)
		}
		if _, _, err := s.Token(ctx, []byte("none")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Token(unknown) error = %v, want store.ErrNotFound", err)
		}

		if err := s.UseToken(ctx, refresh.Hash, used); err != nil {
			t.Errorf("UseToken() = %v, want nil", err)
		}
		if err := s.UseToken(ctx, refresh.Hash, used); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second UseToken() = %v, want store.ErrConflict", err)
		}
		if err := s.UseToken(ctx, []byte("none"), used); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UseToken(missing) = %v, want store.ErrNotFound", err)
		}
		revoked := ot0.Add(time.Minute)
		for i, at := range []time.Time{revoked, revoked.Add(time.Hour)} {
			if err := s.RevokeToken(ctx, access.Hash, at); err != nil {
				t.Errorf("RevokeToken() #%d = %v, want nil", i, err)
			}
		}
		if err := s.RevokeToken(ctx, []byte("none"), revoked); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RevokeToken(missing) = %v, want store.ErrNotFound", err)
		}
		tok, _, _ := s.Token(ctx, access.Hash)
		if !tok.RevokedAt.Equal(revoked) || !tok.UsedAt.IsZero() {
			t.Errorf("access token RevokedAt, UsedAt = %v, %v, want %v (the first revocation), zero", tok.RevokedAt, tok.UsedAt, revoked)
		}
		tok, _, _ = s.Token(ctx, refresh.Hash)
		if !tok.UsedAt.Equal(used) || !tok.RevokedAt.IsZero() {
			t.Errorf("refresh token UsedAt, RevokedAt = %v, %v, want %v, zero", tok.UsedAt, tok.RevokedAt, used)
		}

		for i, at := range []time.Time{revoked, revoked.Add(time.Hour)} {
			if err := s.RevokeGrant(ctx, "g1", at); err != nil {
				t.Errorf("RevokeGrant() #%d = %v, want nil", i, err)
			}
		}
		if err := s.RevokeGrant(ctx, "g-none", revoked); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RevokeGrant(missing) = %v, want store.ErrNotFound", err)
		}
		if _, g, _ := s.Token(ctx, refresh.Hash); !g.RevokedAt.Equal(revoked) {
			t.Errorf("grant RevokedAt through its token = %v, want %v", g.RevokedAt, revoked)
		}
		n, err := s.RevokeGrantsOf(ctx, "r1", "rp-b", revoked)
		if err != nil || n != 1 {
			t.Errorf("RevokeGrantsOf(r1, rp-b) = %d, %v, want 1, nil", n, err)
		}
		n, err = s.RevokeGrantsOf(ctx, "r1", "", revoked)
		if err != nil || n != 0 {
			t.Errorf("RevokeGrantsOf(r1, all) after revoking both = %d, %v, want 0, nil", n, err)
		}
		n, err = s.RevokeGrantsOf(ctx, "r2", "", revoked)
		if err != nil || n != 1 {
			t.Errorf("RevokeGrantsOf(r2, all) = %d, %v, want 1, nil", n, err)
		}
	})
}

func testPinPairwiseKey(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	for _, try := range []string{"blind-index-first", "blind-index-second"} {
		got, err := s.PinPairwiseKey(ctx, try)
		if err != nil {
			t.Fatalf("PinPairwiseKey(%s) error = %v", try, err)
		}
		if got != "blind-index-first" {
			t.Errorf("PinPairwiseKey(%s) = %q, want the first key pinned", try, got)
		}
	}
	if _, err := s.PinPairwiseKey(ctx, ""); err == nil {
		t.Error("PinPairwiseKey(\"\") = nil error, want one")
	}
}

func testDisclosures(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		var all []oidc.Disclosure
		for i := range 5 {
			d := oidc.Disclosure{ID: fmt.Sprintf("d%d", i), ResidentID: "r1", ClientID: "rp-a", GrantID: "g1",
				At: ot0.Add(time.Duration(i/2) * time.Minute), ACR: enrol.AssuranceLow,
				Claims: []rp.Claim{rp.ClaimName}, Kind: oidc.DisclosureCode}
			if i == 4 {
				d.Claims, d.Kind = nil, oidc.DisclosureRefresh
			}
			if err := s.RecordDisclosure(ctx, d); err != nil {
				t.Fatalf("RecordDisclosure(%s) = %v, want nil", d.ID, err)
			}
			all = append(all, d)
		}
		other := oidc.Disclosure{ID: "x", ResidentID: "r2", ClientID: "rp-a", At: ot0, ACR: enrol.AssuranceLow}
		if err := s.RecordDisclosure(ctx, other); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordDisclosure(ctx, all[0]); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second RecordDisclosure(d0) = %v, want store.ErrConflict", err)
		}
		// Newest first; equal times by id, descending.
		newest := []oidc.Disclosure{all[4], all[3], all[2], all[1], all[0]}
		got, err := s.DisclosuresOf(ctx, "r1", time.Time{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(newest, got, equateEmpty); diff != "" {
			t.Errorf("DisclosuresOf(all) mismatch (-want +got):\n%s", diff)
		}
		got, err = s.DisclosuresOf(ctx, "r1", ot0.Add(time.Minute), 1)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(newest[3:4], got, equateEmpty); diff != "" {
			t.Errorf("DisclosuresOf(before 1 min, limit 1) mismatch (-want +got):\n%s", diff)
		}
	})
}

func testPruneOIDC(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	cut := ot0.Add(time.Hour)
	old, live := grant("g-old", "r1", "rp-a", 0), grant("g-live", "r1", "rp-a", 5)
	old.ExpiresAt, live.ExpiresAt = cut.Add(-time.Second), cut.Add(time.Second)
	for _, g := range []oidc.Grant{old, live} {
		if err := s.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	for i, exp := range []time.Time{cut.Add(-time.Second), cut.Add(time.Second)} {
		tok := oidc.Token{Hash: []byte{byte(i)}, Kind: oidc.TokenAccess, GrantID: "g-live", ClientID: "rp-a",
			CreatedAt: ot0, ExpiresAt: exp}
		sess := loginSession(fmt.Sprint("s", i), "r1", i)
		sess.ExpiresAt = exp
		in := oidc.Interaction{ID: fmt.Sprint("i", i), ClientID: "rp-a", CreatedAt: ot0, ExpiresAt: exp, Version: 1}
		if err := errors.Join(s.CreateToken(ctx, tok), s.CreateLoginSession(ctx, sess), s.CreateInteraction(ctx, in)); err != nil {
			t.Fatal(err)
		}
	}
	d := oidc.Disclosure{ID: "d", ResidentID: "r1", ClientID: "rp-a", GrantID: "g-old", At: ot0, ACR: enrol.AssuranceLow}
	c := oidc.Consent{ResidentID: "r1", ClientID: "rp-a", CreatedAt: ot0, UpdatedAt: ot0}
	if err := errors.Join(s.RecordDisclosure(ctx, d), s.PutRememberedConsent(ctx, c)); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneOIDC(ctx, cut)
	if err != nil || n != 4 {
		t.Fatalf("PruneOIDC() = %d, %v, want 4 (a grant, a token, a session, an interaction), nil", n, err)
	}
	checks := []struct {
		name string
		err  error
		want error
	}{
		{"expired grant", func() error { _, err := s.GrantByCode(ctx, old.CodeHash); return err }(), store.ErrNotFound},
		{"live grant", func() error { _, err := s.GrantByCode(ctx, live.CodeHash); return err }(), nil},
		{"expired token", func() error { _, _, err := s.Token(ctx, []byte{0}); return err }(), store.ErrNotFound},
		{"live token", func() error { _, _, err := s.Token(ctx, []byte{1}); return err }(), nil},
		{"expired session", func() error { _, err := s.LoginSession(ctx, []byte("s0")); return err }(), store.ErrNotFound},
		{"live session", func() error { _, err := s.LoginSession(ctx, []byte("s1")); return err }(), nil},
		{"expired interaction", func() error { _, err := s.Interaction(ctx, "i0"); return err }(), store.ErrNotFound},
		{"live interaction", func() error { _, err := s.Interaction(ctx, "i1"); return err }(), nil},
		{"consent", func() error { _, err := s.RememberedConsent(ctx, "r1", "rp-a"); return err }(), nil},
		{"disclosure", func() error {
			ds, err := s.DisclosuresOf(ctx, "r1", time.Time{}, 5)
			if err == nil && len(ds) != 1 {
				err = fmt.Errorf("%d disclosures, want 1", len(ds))
			}
			return err
		}(), nil},
	}
	for _, c := range checks {
		if !errors.Is(c.err, c.want) || (c.want == nil && c.err != nil) {
			t.Errorf("after PruneOIDC, %s: error = %v, want %v", c.name, c.err, c.want)
		}
	}
}

// testConcurrentUseGrantCode checks the single use of an authorization
// code: of many exchanges of one code at once, exactly one wins.
func testConcurrentUseGrantCode(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	if err := s.CreateGrant(ctx, grant("g", "r", "rp", 1)); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, goroutines)
	together(goroutines, func(i int) {
		errs[i] = s.InTx(ctx, func(ctx context.Context) error {
			return s.UseGrantCode(ctx, "g", ot0.Add(time.Duration(i+1)*time.Second))
		})
	})
	checkOneWinner(t, "UseGrantCode", errs)
}

// testConcurrentUseToken checks the single use of a refresh token.
func testConcurrentUseToken(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	tok := oidc.Token{Hash: []byte("rt"), Kind: oidc.TokenRefresh, GrantID: "g", ClientID: "rp", CreatedAt: ot0,
		ExpiresAt: ot0.Add(time.Hour)}
	if err := errors.Join(s.CreateGrant(ctx, grant("g", "r", "rp", 1)), s.CreateToken(ctx, tok)); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, goroutines)
	together(goroutines, func(i int) {
		errs[i] = s.UseToken(ctx, tok.Hash, ot0.Add(time.Duration(i+1)*time.Second))
	})
	checkOneWinner(t, "UseToken", errs)
}
