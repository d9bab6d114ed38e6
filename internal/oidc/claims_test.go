package oidc_test

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/rp"
)

// TestPairwiseSubjects: two RPs of one sector see the same subject for a
// resident, an RP of another sector a different one, and two residents
// never share one.
func TestPairwiseSubjects(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		alice, bob := e.enrolResident("李华", 40), e.enrolResident("张伟", 25)
		shopA := e.newRP(rp.Registration{Name: "Shop A", Sector: "shops.example"})
		shopB := e.newRP(rp.Registration{Name: "Shop B", Sector: "shops.example"})
		bank := e.newRP(rp.Registration{Name: "Bank", Sector: "bank.example"})

		subjects := map[string]string{}
		for _, who := range []resident{alice, bob} {
			b := newBrowser(t)
			for _, r := range []*relyingParty{shopA, shopB, bank} {
				_, id, _, _ := b.login(r, who, nil, allowAll)
				subjects[who.name+"@"+r.reg.Name] = id.Subject
			}
		}
		if a, b := subjects["李华@Shop A"], subjects["李华@Shop B"]; a != b {
			t.Errorf("subjects within one sector differ: %q and %q", a, b)
		}
		if a, b := subjects["李华@Shop A"], subjects["李华@Bank"]; a == b {
			t.Errorf("subjects across sectors are equal: %q", a)
		}
		if a, b := subjects["李华@Bank"], subjects["张伟@Bank"]; a == b {
			t.Errorf("two residents share the subject %q", a)
		}
		want, err := e.provider.PairwiseSubject(context.Background(), "bank.example", alice.number)
		if err != nil || want != subjects["李华@Bank"] {
			t.Errorf("PairwiseSubject() = %q, %v, want the ID token's %q", want, err, subjects["李华@Bank"])
		}
	})
}

// TestUnapprovedClaim: an RP asks for claims it was not approved for, and
// even a forged consent form ticking them releases nothing but what was
// approved.
func TestUnapprovedClaim(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("陈静", 21)
		r := e.newRP(rp.Registration{Sector: "games.example",
			ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: "age rating of games"}}})
		forged := func(f form) url.Values {
			v := allowAll(f)
			v["claim"] = append(v["claim"], "name", "internet_number", "birthdate", "document_number")
			v.Set("plaintext", "yes")
			return v
		}
		tok, _, claims, f := newBrowser(t).login(r, who,
			[]string{"age_over_18", "name", "internet_number", "birthdate", "document_number", "profile"}, forged)
		if f.consent == nil {
			t.Fatal("no consent page shown")
		}
		if diff := cmp.Diff([]string{"age_over_18"}, f.consent.claims); diff != "" {
			t.Errorf("consent page claims mismatch (-want +got):\n%s", diff)
		}
		ui, err := r.userinfo(tok)
		if err != nil {
			t.Fatal(err)
		}
		for name, got := range map[string]map[string]any{"ID token": claims, "userinfo": ui} {
			if got["age_over_18"] != true {
				t.Errorf("%s age_over_18 = %v, want true", name, got["age_over_18"])
			}
			for _, c := range []string{"name", "internet_number", "birthdate", "document_number", "gender"} {
				if v, ok := got[c]; ok {
					t.Errorf("%s released unapproved claim %s = %v", name, c, v)
				}
			}
		}
	})
}

// TestConsentRules: identity claims need the separate plaintext consent,
// an RP that shares onward gets nothing without the onward consent, a
// remembered consent skips the page, and withdrawing it revokes the RP's
// tokens and asks again.
func TestConsentRules(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("赵敏", 35)
		approvals := []rp.ClaimApproval{
			{Claim: rp.ClaimName, Purpose: "address you by name"},
			{Claim: rp.ClaimAgeOver18, Purpose: "legal age check"},
			{Claim: rp.ClaimInternetNumber, Purpose: "link your existing account"},
		}
		scopes := []string{"name", "age_over_18", "internet_number"}
		r := e.newRP(rp.Registration{Sector: "news.example", ApprovedClaims: approvals, MayReceiveInternetNumber: true})
		b := newBrowser(t)

		noPlaintext := func(f form) url.Values {
			if !f.plaintext {
				t.Error("consent page has no separate plaintext consent for an identity claim")
			}
			v := allowAll(f)
			v.Del("plaintext")
			return v
		}
		tok, _, claims, _ := b.login(r, who, scopes, noPlaintext)
		if _, ok := claims["name"]; ok {
			t.Error("name released without the plaintext consent")
		}
		if claims["age_over_18"] != true || claims["internet_number"] != who.number {
			t.Errorf("claims = %v, want age_over_18 true and internet_number %s", claims, who.number)
		}

		// Declining the plaintext consent is asked again; with it, the
		// name is released and the decision remembered. (The clock moves
		// between logins so that disclosures sort by time.)
		e.clock.Advance(time.Second)
		_, _, claims, f := b.login(r, who, scopes, allowAll)
		if f.consent == nil {
			t.Error("consent page not shown again after the plaintext consent was declined")
		}
		if claims["name"] != who.name {
			t.Errorf("name = %v, want %q with the plaintext consent", claims["name"], who.name)
		}
		e.clock.Advance(time.Second)
		_, _, claims, f = b.login(r, who, scopes, allowAll)
		if len(f.paths) != 0 {
			t.Errorf("remembered consent: pages %v, want none", f.paths)
		}
		if claims["name"] != who.name {
			t.Errorf("name on the remembered consent = %v, want %q", claims["name"], who.name)
		}
		ds, err := e.store.DisclosuresOf(context.Background(), who.id, time.Time{}, 10)
		if err != nil || len(ds) != 3 {
			t.Fatalf("DisclosuresOf() = %d disclosures, %v, want 3", len(ds), err)
		}
		if diff := cmp.Diff([]rp.Claim{rp.ClaimInternetNumber, rp.ClaimName, rp.ClaimAgeOver18}, ds[0].Claims); diff != "" {
			t.Errorf("newest disclosure claims mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]rp.Claim{rp.ClaimInternetNumber, rp.ClaimAgeOver18}, ds[2].Claims); diff != "" {
			t.Errorf("first disclosure claims mismatch (-want +got):\n%s", diff)
		}

		// Withdrawal revokes what the RP holds and asks again.
		if err := e.provider.WithdrawConsent(context.Background(), who.id, r.reg.ClientID); err != nil {
			t.Fatal(err)
		}
		if _, err := r.userinfo(tok); err == nil {
			t.Error("userinfo with a token of a withdrawn consent succeeded, want refused")
		}
		_, _, _, f = b.login(r, who, scopes, allowAll)
		if !slices.Equal(f.paths, []string{"/consent"}) {
			t.Errorf("after withdrawal pages = %v, want [/consent]", f.paths)
		}

		// A changed purpose is asked again.
		approvals[1].Purpose = "a new purpose"
		if _, err := e.rps.Update(context.Background(), r.reg.ClientID, rp.Registration{Name: r.reg.Name,
			RedirectURIs: r.reg.RedirectURIs, PostLogoutRedirectURIs: r.reg.PostLogoutRedirectURIs, Sector: r.reg.Sector,
			ApprovedClaims: approvals, MayReceiveInternetNumber: true}); err != nil {
			t.Fatal(err)
		}
		_, _, _, f = b.login(r, who, scopes, allowAll)
		if !slices.Equal(f.paths, []string{"/consent"}) {
			t.Errorf("after a purpose change pages = %v, want [/consent]", f.paths)
		}
	})
}

// TestSharesOnward: an RP that shares data onward receives no claim unless
// the resident also gave the separate onward consent.
func TestSharesOnward(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("孙丽", 50)
		r := e.newRP(rp.Registration{Sector: "ads.example", SharesOnward: true,
			ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: "age-appropriate ads"}}})
		b := newBrowser(t)
		withoutOnward := func(f form) url.Values {
			if !f.onward {
				t.Error("consent page has no onward-sharing consent")
			}
			v := allowAll(f)
			v.Del("onward")
			return v
		}
		_, _, claims, _ := b.login(r, who, []string{"age_over_18"}, withoutOnward)
		if _, ok := claims["age_over_18"]; ok {
			t.Error("age_over_18 released to an RP that shares onward without the onward consent")
		}
		_, _, claims, _ = b.login(r, who, []string{"age_over_18"}, allowAll)
		if claims["age_over_18"] != true {
			t.Errorf("age_over_18 = %v with the onward consent, want true", claims["age_over_18"])
		}
	})
}
