package oidc_test

import (
	"context"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
)

// toSecondFactor runs a login of who at r up to the second-factor page:
// the password was accepted, and nothing went to the RP.
func (b *browser) toSecondFactor(r *relyingParty, who resident, extra ...oauth2.AuthCodeOption) (request, page) {
	b.t.Helper()
	req := r.authorize([]string{"age_over_18"}, extra...)
	f := b.run(r, req.url, who, allowAll)
	if f.callback != nil || f.last.status != http.StatusOK || f.last.url.Path != "/login/second-factor" {
		b.t.Fatalf("login stopped at %d %s (callback %v), want the second-factor page", f.last.status, f.last.url, f.callback)
	}
	return req, f.last
}

// resume continues a login from URL u (a second-factor page or where a
// second-factor form redirected) to the RP, and redeems the code.
func (b *browser) resume(r *relyingParty, req request, u string, who resident) (*oauth2.Token, map[string]any) {
	b.t.Helper()
	f := b.run(r, u, who, allowAll)
	if f.callback == nil {
		b.t.Fatalf("login did not reach the RP: last response %d %s %s\n%s", f.last.status, f.last.url, f.last.location, f.last.body)
	}
	if e := f.callback.Get("error"); e != "" {
		b.t.Fatalf("login ended with error=%s (%s)", e, f.callback.Get("error_description"))
	}
	if f.callback.Get("state") != req.state {
		b.t.Fatalf("state = %q, want %q", f.callback.Get("state"), req.state)
	}
	tok, err := r.exchange(f.callback.Get("code"), req.verifier)
	if err != nil {
		b.t.Fatalf("code exchange: %v", err)
	}
	id, claims := r.idToken(tok)
	if id.Nonce != req.nonce {
		b.t.Fatalf("nonce = %q, want %q", id.Nonce, req.nonce)
	}
	return tok, claims
}

// postSecondFactor posts the second-factor form of page p with values.
func (b *browser) postSecondFactor(p page, values url.Values) page {
	b.t.Helper()
	form := parseForm(p).hidden
	for k, v := range values {
		form[k] = v
	}
	return b.post(p.url.ResolveReference(&url.URL{Path: "/login/second-factor"}).String(), form)
}

// substantialRP registers an RP whose minimum level is substantial.
func (e *env) substantialRP(sector string) *relyingParty {
	return e.newRP(rp.Registration{Sector: sector, MinAssurance: enrol.AssuranceSubstantial,
		ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: "to sell alcohol only to adults"}}})
}

// checkSubstantial checks an ID token's level and methods and the
// disclosure recorded for the login.
func checkSubstantial(t *testing.T, e *env, who resident, r *relyingParty, claims map[string]any, amr []any) {
	t.Helper()
	if claims["acr"] != "substantial" {
		t.Errorf("acr = %v, want substantial", claims["acr"])
	}
	if diff := cmp.Diff(amr, claims["amr"]); diff != "" {
		t.Errorf("amr mismatch (-want +got):\n%s", diff)
	}
	if claims["age_over_18"] != true {
		t.Errorf("age_over_18 = %v, want true (consented)", claims["age_over_18"])
	}
	ds, err := e.store.DisclosuresOf(context.Background(), who.id, time.Time{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) == 0 || ds[0].ClientID != r.reg.ClientID || ds[0].ACR != enrol.AssuranceSubstantial {
		t.Errorf("latest disclosure = %+v, want one to %s at substantial", ds, r.reg.ClientID)
	}
}

// TestStepUpDynamicCode: an RP of minimum level substantial; after the
// password the resident types the wallet's dynamic code. A wrong code is
// the page again, saying so; the right one logs in at substantial with
// amr pwd, otp, mfa; the same code a second time is refused.
func TestStepUpDynamicCode(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("欧阳修", 36)
		r := e.substantialRP("wine.example")
		b := newBrowser(t)
		req, p := b.toSecondFactor(r, who)
		for _, want := range []string{`<svg`, `name="otp"`, "Approval code: ", "netid wallet approve " + e.issuer + "/approve/"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("second-factor page lacks %q:\n%s", want, p.body)
			}
		}
		if strings.Contains(p.body, `http-equiv="refresh"`) {
			t.Errorf("the page with the dynamic-code form refreshes itself, which would wipe a code being typed")
		}

		gen := credential.NewDynamicCode(who.dynamic)
		right := gen.Code(e.clock.Now())
		wrong := gen.Code(e.clock.Now().Add(-time.Hour))
		if wrong == right {
			t.Fatal("two steps gave the same code")
		}
		bad := b.postSecondFactor(p, url.Values{"action": {"otp"}, "otp": {wrong}})
		if bad.status != http.StatusBadRequest || !strings.Contains(bad.body, "The dynamic code is not right") {
			t.Errorf("wrong code: status %d, want 400 and the page saying the code is not right:\n%s", bad.status, bad.body)
		}
		ok := b.postSecondFactor(bad, url.Values{"action": {"otp"}, "otp": {right[:4] + " " + right[4:]}})
		if ok.status != http.StatusSeeOther {
			t.Fatalf("right code: status %d, want 303\n%s", ok.status, ok.body)
		}
		next, err := ok.url.Parse(ok.location)
		if err != nil {
			t.Fatal(err)
		}
		_, claims := b.resume(r, req, next.String(), who)
		checkSubstantial(t, e, who, r, claims, []any{"pwd", "otp", "mfa"})

		// The same code in another browser, within its 30 seconds: refused.
		b2 := newBrowser(t)
		_, p2 := b2.toSecondFactor(r, who)
		again := b2.postSecondFactor(p2, url.Values{"action": {"otp"}, "otp": {right}})
		if again.status != http.StatusBadRequest || !strings.Contains(again.body, "used already") {
			t.Errorf("replayed code: status %d, want 400 and the page saying it was used:\n%s", again.status, again.body)
		}
	})
}

// TestStepUpWalletApproval: the resident approves the login in the wallet.
// Another resident's wallet, a presentation for another RP, a revoked
// certificate and a locked wallet are refused; the right wallet approves
// once; the page (as its refresh would) then continues at substantial with
// amr pwd, swk, mfa.
func TestStepUpWalletApproval(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		who := e.enrolResident("苏轼", 40)
		other := e.enrolResident("苏辙", 38)
		revoked := e.enrolResident("王安石", 50)
		r := e.substantialRP("tax.example")
		b := newBrowser(t)
		req, p := b.toSecondFactor(r, who)
		code := approvalCodeOf(t, p)

		view := e.approvalView(code)
		want := oidc.ApprovalView{Kind: oidc.ApprovalLogin, Status: oidc.ApprovalPending, ClientID: r.reg.ClientID,
			RPName: r.reg.Name, Level: enrol.AssuranceSubstantial,
			Claims: []oidc.ApprovalClaim{{Claim: rp.ClaimAgeOver18, Purpose: "to sell alcohol only to adults"}}}
		if diff := cmp.Diff(want, view, cmpopts.IgnoreFields(oidc.ApprovalView{}, "Challenge", "ExpiresAt")); diff != "" {
			t.Errorf("approval view mismatch (-want +got):\n%s", diff)
		}

		// The wallet page waits for the wallet, refreshing itself.
		waiting := b.get(e.issuer + "/login/second-factor?" + url.Values{"id": {parseForm(p).hidden.Get("id")},
			"code": {code}, "mode": {"wallet"}}.Encode())
		if waiting.status != http.StatusOK || !strings.Contains(waiting.body, `<meta http-equiv="refresh" content="5">`) ||
			!strings.Contains(waiting.body, `value="check"`) {
			t.Errorf("wallet page: status %d, want 200 with a refresh and an \"I have approved\" button:\n%s", waiting.status, waiting.body)
		}
		if got := b.postSecondFactor(waiting, url.Values{"action": {"check"}}); got.status != http.StatusOK ||
			!strings.Contains(got.body, "has not approved this sign-in yet") {
			t.Errorf("\"I have approved\" before approving: status %d, want 200 saying not yet:\n%s", got.status, got.body)
		}

		serial, ok := new(big.Int).SetString(revoked.serial, 16)
		if !ok {
			t.Fatalf("serial %q", revoked.serial)
		}
		if err := e.ca.Revoke(ctx, serial, credential.ReasonKeyCompromise); err != nil {
			t.Fatal(err)
		}
		approve := oidc.ApprovalAnswer{Decision: "approve"}
		challenge := mustChallenge(t, view)
		refusals := []struct {
			name   string
			status int
			slug   string
			answer func() apiResult
		}{
			{"another resident's wallet", http.StatusForbidden, "approval-wrong-resident",
				func() apiResult { return e.answer(other, code, approve) }},
			{"another resident denies", http.StatusForbidden, "approval-wrong-resident",
				func() apiResult { return e.answer(other, code, oidc.ApprovalAnswer{Decision: "deny"}) }},
			{"a revoked certificate", http.StatusUnprocessableEntity, "presentation-certificate-revoked",
				func() apiResult { return e.answer(revoked, code, approve) }},
			{"a presentation for another RP", http.StatusUnprocessableEntity, "presentation-audience",
				func() apiResult {
					return e.approvalCall(http.MethodPost, code, oidc.ApprovalAnswer{Decision: "approve",
						Presentation: e.present(who, "rp-someone-else", challenge)})
				}},
			{"another challenge", http.StatusUnprocessableEntity, "presentation-challenge",
				func() apiResult {
					return e.approvalCall(http.MethodPost, code, oidc.ApprovalAnswer{Decision: "approve",
						Presentation: e.present(who, r.reg.ClientID, []byte("a challenge of another approval"))})
				}},
			{"no presentation", http.StatusBadRequest, "bad-request",
				func() apiResult {
					return e.approvalCall(http.MethodPost, code, oidc.ApprovalAnswer{Decision: "approve"})
				}},
		}
		for _, tc := range refusals {
			if got := tc.answer(); got.status != tc.status || got.slug() != tc.slug {
				t.Errorf("%s: status %d %q, want %d %q (%s)", tc.name, got.status, got.slug(), tc.status, tc.slug, got.body)
			}
		}

		if err := e.enrol.LockMethod(ctx, who.id, enrol.MethodWallet); err != nil {
			t.Fatal(err)
		}
		if got := e.answer(who, code, approve); got.status != http.StatusForbidden || got.slug() != "approval-locked" {
			t.Errorf("locked wallet: status %d %q, want 403 approval-locked (%s)", got.status, got.slug(), got.body)
		}
		// The lock ends this sign-in at once: the RP hears access_denied
		// with the reason instead of waiting for the approval to expire.
		if v := e.approvalView(code); v.Status != oidc.ApprovalDenied {
			t.Errorf("approval after a locked answer: status %q, want denied", v.Status)
		}
		if f := b.run(r, waiting.url.String(), who, allowAll); f.callback.Get("error") != "access_denied" ||
			!strings.Contains(f.callback.Get("error_description"), "locked sign-in with the netid wallet") {
			t.Errorf("RP callback after the lock = %v, want access_denied saying the wallet is locked", f.callback)
		}
		if err := e.enrol.UnlockMethod(ctx, who.id, enrol.MethodWallet); err != nil {
			t.Fatal(err)
		}

		// A new sign-in, approved by the unlocked wallet.
		req, p = b.toSecondFactor(r, who)
		code = approvalCodeOf(t, p)
		waiting = b.get(e.issuer + "/login/second-factor?" + url.Values{"id": {parseForm(p).hidden.Get("id")},
			"code": {code}, "mode": {"wallet"}}.Encode())
		if res := e.answer(who, code, approve).result(t); res.Status != oidc.ApprovalApproved {
			t.Errorf("approval status = %q, want approved", res.Status)
		}
		if got := e.answer(who, code, approve); got.status != http.StatusConflict || got.slug() != "approval-decided" {
			t.Errorf("second approval: status %d %q, want 409 approval-decided", got.status, got.slug())
		}
		_, claims := b.resume(r, req, waiting.url.String(), who)
		checkSubstantial(t, e, who, r, claims, []any{"pwd", "swk", "mfa"})

		// The approval yields one login: the page again is finished.
		if again := b.get(waiting.url.String()); again.status != http.StatusBadRequest {
			t.Errorf("the second-factor page after the login: status %d, want 400", again.status)
		}
	})
}

// TestStepUpWalletDenied: the resident denies in the wallet; the RP gets
// access_denied.
func TestStepUpWalletDenied(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("李清照", 29)
		r := e.substantialRP("deny.example")
		b := newBrowser(t)
		req, p := b.toSecondFactor(r, who)
		if res := e.answer(who, approvalCodeOf(t, p), oidc.ApprovalAnswer{Decision: "deny"}).result(t); res.Status != oidc.ApprovalDenied {
			t.Fatalf("deny: status %q, want denied", res.Status)
		}
		f := b.run(r, p.url.String(), who, allowAll)
		if f.callback.Get("error") != "access_denied" || f.callback.Get("state") != req.state || f.callback.Get("iss") != e.issuer {
			t.Errorf("after a denial the RP got %v, want error=access_denied with state and iss", f.callback)
		}
	})
}

// TestStepUpExpired: once the approval's time is over, the wallet's
// answer is refused as expired and the page says the time ran out; the
// dynamic code is no longer taken either.
func TestStepUpExpired(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("辛弃疾", 33)
		r := e.substantialRP("late.example")
		b := newBrowser(t)
		_, p := b.toSecondFactor(r, who)
		code := approvalCodeOf(t, p)
		view := e.approvalView(code)
		e.clock.Advance(5*time.Minute + time.Second)
		got := e.approvalCall(http.MethodPost, code, oidc.ApprovalAnswer{Decision: "approve",
			Presentation: e.present(who, r.reg.ClientID, mustChallenge(t, view))})
		if got.status != http.StatusGone || got.slug() != "approval-expired" {
			t.Errorf("late approval: status %d %q, want 410 approval-expired", got.status, got.slug())
		}
		if page := b.get(p.url.String()); page.status != http.StatusBadRequest || !strings.Contains(page.body, "has run out") {
			t.Errorf("page after expiry: status %d, want 400 saying the time ran out:\n%s", page.status, page.body)
		}
		otp := credential.NewDynamicCode(who.dynamic).Code(e.clock.Now())
		if late := b.postSecondFactor(p, url.Values{"action": {"otp"}, "otp": {otp}}); late.status != http.StatusBadRequest {
			t.Errorf("dynamic code after expiry: status %d, want 400", late.status)
		}
	})
}

// TestApprovalLookupsThrottled: approval codes are short, so lookups of
// codes that name no approval are limited per address: beyond the limit,
// 429 with Retry-After, even for a code that exists.
func TestApprovalLookupsThrottled(t *testing.T) {
	e := newEnv(t, "sqlite", func(c *oidc.Config) { c.ApprovalLookups.Max, c.ApprovalLookups.Window = 3, time.Minute })
	who := e.enrolResident("柳永", 41)
	r := e.substantialRP("throttle.example")
	_, p := newBrowser(t).toSecondFactor(r, who)
	code := approvalCodeOf(t, p)
	for i, c := range []string{"AAAA-AAAA", "BBBB-BBBB", "not a code"} {
		if got := e.approvalCall(http.MethodGet, c, nil); got.status != http.StatusNotFound || got.slug() != "approval-not-found" {
			t.Errorf("guess %d: status %d %q, want 404 approval-not-found", i, got.status, got.slug())
		}
	}
	got := e.approvalCall(http.MethodGet, code, nil)
	if got.status != http.StatusTooManyRequests || got.slug() != "throttled" || got.header.Get("Retry-After") == "" {
		t.Errorf("lookup over the limit: status %d %q, Retry-After %q; want 429 throttled with Retry-After",
			got.status, got.slug(), got.header.Get("Retry-After"))
	}
	e.clock.Advance(time.Minute)
	// Only guesses count: the wallet's own lookups of a code that exists
	// never use up the limit.
	for i := range 5 {
		if got := e.approvalCall(http.MethodGet, code, nil); got.status != http.StatusOK {
			t.Errorf("lookup %d of the right code after the window: status %d, want 200", i, got.status)
		}
	}
	for i := range 3 {
		if got := e.approvalCall(http.MethodGet, "CCCC-CCCC", nil); got.status != http.StatusNotFound {
			t.Errorf("guess %d in the new window: status %d, want 404", i, got.status)
		}
	}
	if got := e.approvalCall(http.MethodGet, code, nil); got.status != http.StatusTooManyRequests {
		t.Errorf("lookup after three more guesses: status %d, want 429", got.status)
	}
}

// TestSubstantialSSO: a substantial session serves a later substantial
// request without a new login, and an ID token from it says substantial;
// a low session does not serve it (TestAssurance).
func TestSubstantialSSO(t *testing.T) {
	e := newEnv(t, "sqlite")
	who := e.enrolResident("晏殊", 52)
	r := e.substantialRP("sso.example")
	b := newBrowser(t)
	b.secondFactor = func(p page) page {
		otp := credential.NewDynamicCode(who.dynamic).Code(e.clock.Now())
		return b.postSecondFactor(p, url.Values{"action": {"otp"}, "otp": {otp}})
	}
	_, _, first, f := b.login(r, who, []string{"age_over_18"}, allowAll)
	if diff := cmp.Diff([]string{"/login", "/login/second-factor", "/consent"}, f.paths); diff != "" {
		t.Errorf("first login pages mismatch (-want +got):\n%s", diff)
	}
	_, _, second, f2 := b.login(r, who, []string{"age_over_18"}, allowAll)
	if len(f2.paths) != 0 || second["acr"] != "substantial" || first["acr"] != "substantial" {
		t.Errorf("single sign-on: pages %v, acr %v then %v; want no page and substantial twice", f2.paths, first["acr"], second["acr"])
	}
}

// mustChallenge decodes an approval view's challenge.
func mustChallenge(t *testing.T, v oidc.ApprovalView) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(v.Challenge)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
