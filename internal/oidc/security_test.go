package oidc_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
)

// retrieveErrorCode returns the OAuth error code of a failed token
// request, or "" for another error.
func retrieveErrorCode(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// TestCodeReplay: a code works once; a second exchange is refused and
// revokes every token issued from the code.
func TestCodeReplay(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("周杰", 28)
		r := e.newRP(rp.Registration{Sector: "replay.example"})
		req := r.authorize([]string{"offline_access"})
		f := newBrowser(t).run(r, req.url, who, allowAll)
		code := f.callback.Get("code")
		tok, err := r.exchange(code, req.verifier)
		if err != nil {
			t.Fatalf("first exchange error = %v", err)
		}
		if _, err := r.userinfo(tok); err != nil {
			t.Fatalf("userinfo before the replay error = %v", err)
		}
		_, err = r.exchange(code, req.verifier)
		if got := retrieveErrorCode(err); got != "invalid_grant" {
			t.Fatalf("replayed exchange error = %v (code %q), want invalid_grant", err, got)
		}
		if _, err := r.userinfo(tok); err == nil {
			t.Error("userinfo with the access token of a replayed code succeeded, want refused")
		}
		if got := introspect(t, e, r, tok.AccessToken); got["active"] != false {
			t.Errorf("introspection of the access token after the replay = %v, want inactive", got)
		}
		_, err = r.oauth.TokenSource(t.Context(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if got := retrieveErrorCode(err); got != "invalid_grant" {
			t.Errorf("refresh with the refresh token of a replayed code error = %v, want invalid_grant", err)
		}
	})
}

// TestCodeExchangeRefusals: expired codes, other clients' codes and wrong
// redirect URIs are refused, and none of them burns the code.
func TestCodeExchangeRefusals(t *testing.T) {
	e := newEnv(t, "sqlite")
	who := e.enrolResident("吴磊", 33)
	r := e.newRP(rp.Registration{Sector: "one.example"})
	other := e.newRP(rp.Registration{Sector: "two.example"})
	req := r.authorize(nil)
	f := newBrowser(t).run(r, req.url, who, allowAll)
	code := f.callback.Get("code")

	thief := *other.oauth
	thief.RedirectURL = r.redirect
	_, err := thief.Exchange(t.Context(), code, oauth2.VerifierOption(req.verifier))
	if got := retrieveErrorCode(err); got != "invalid_grant" {
		t.Errorf("another client's exchange error = %v, want invalid_grant", err)
	}
	wrongRedirect := *r.oauth
	wrongRedirect.RedirectURL = r.redirect + "/other"
	_, err = wrongRedirect.Exchange(t.Context(), code, oauth2.VerifierOption(req.verifier))
	if got := retrieveErrorCode(err); got != "invalid_grant" {
		t.Errorf("exchange with another redirect_uri error = %v, want invalid_grant", err)
	}
	badSecret := *r.oauth
	badSecret.ClientSecret = "not-the-secret"
	_, err = badSecret.Exchange(t.Context(), code, oauth2.VerifierOption(req.verifier))
	if got := retrieveErrorCode(err); got != "invalid_client" {
		t.Errorf("exchange with a wrong secret error = %v, want invalid_client", err)
	}
	if _, err := r.exchange(code, req.verifier); err != nil {
		t.Fatalf("the legitimate exchange after refused attempts error = %v, want success", err)
	}

	req = r.authorize(nil)
	f = newBrowser(t).run(r, req.url, who, allowAll)
	e.clock.Advance(2 * time.Minute)
	_, err = r.exchange(f.callback.Get("code"), req.verifier)
	if got := retrieveErrorCode(err); got != "invalid_grant" {
		t.Errorf("exchange of an expired code error = %v, want invalid_grant", err)
	}
}

// TestUnregisteredRedirectURI: an authorization request with a redirect
// URI that is not registered exactly is refused without redirecting.
func TestUnregisteredRedirectURI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		r := e.newRP(rp.Registration{Sector: "redirect.example"})
		for _, bad := range []string{
			"https://evil.example/cb",
			r.redirect + "/",
			r.redirect + "x",
			r.redirect + "?next=https://evil.example",
			strings.ToUpper(r.redirect[:4]) + r.redirect[4:],
			"",
		} {
			cfg := *r.oauth
			cfg.RedirectURL = bad
			req := r.authorize(nil)
			u, _ := url.Parse(req.url)
			q := u.Query()
			if bad == "" {
				q.Del("redirect_uri")
			} else {
				q.Set("redirect_uri", bad)
			}
			u.RawQuery = q.Encode()
			p := newBrowser(t).get(u.String())
			if p.status != http.StatusBadRequest || p.location != "" {
				t.Errorf("redirect_uri %q: status %d, Location %q, want 400 and no redirect", bad, p.status, p.location)
			}
		}
		// An unknown client is refused the same way.
		req := r.authorize(nil)
		u, _ := url.Parse(req.url)
		q := u.Query()
		q.Set("client_id", "rp-00000000000000000000000000000000")
		u.RawQuery = q.Encode()
		if p := newBrowser(t).get(u.String()); p.status != http.StatusBadRequest || p.location != "" {
			t.Errorf("unknown client: status %d, Location %q, want 400 and no redirect", p.status, p.location)
		}
	})
}

// TestPKCE: the code flow needs PKCE with S256; a missing or wrong
// verifier fails the exchange.
func TestPKCE(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("郑爽", 26)
		r := e.newRP(rp.Registration{Sector: "pkce.example"})
		b := newBrowser(t)

		for name, verifier := range map[string]string{"missing": "", "wrong": oauth2.GenerateVerifier()} {
			req := r.authorize(nil)
			f := b.run(r, req.url, who, allowAll)
			_, err := r.exchange(f.callback.Get("code"), verifier)
			if got := retrieveErrorCode(err); got != "invalid_grant" {
				t.Errorf("%s verifier: exchange error = %v, want invalid_grant", name, err)
			}
		}

		for name, change := range map[string]func(url.Values){
			"no code_challenge": func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") },
			"plain method":      func(q url.Values) { q.Set("code_challenge_method", "plain") },
			"no method":         func(q url.Values) { q.Del("code_challenge_method") },
			"short challenge":   func(q url.Values) { q.Set("code_challenge", "abc") },
		} {
			req := r.authorize(nil)
			u, _ := url.Parse(req.url)
			q := u.Query()
			change(q)
			u.RawQuery = q.Encode()
			f := b.run(r, u.String(), who, allowAll)
			if got := f.callback.Get("error"); got != "invalid_request" {
				t.Errorf("%s: callback error = %q, want invalid_request", name, got)
			}
			if got := f.callback.Get("iss"); got != e.issuer {
				t.Errorf("%s: error response iss = %q, want %q", name, got, e.issuer)
			}
			if got := f.callback.Get("state"); got != req.state {
				t.Errorf("%s: error response state = %q, want %q", name, got, req.state)
			}
		}
	})
}

// TestAssurance: a level that no login here reaches is an error to the
// RP before any page; a level above the password's (substantial) is never
// given by the password alone: the login stops at the second factor, and
// the low session of an earlier login does not stand in for it.
func TestAssurance(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("冯巩", 45)
		low := e.newRP(rp.Registration{Sector: "low.example"})
		high := e.newRP(rp.Registration{Sector: "gov.example", MinAssurance: enrol.AssuranceSubstantial})
		b := newBrowser(t)
		b.login(low, who, nil, allowAll) // a low session exists

		const stepUp = "second factor"
		cases := []struct {
			name string
			r    *relyingParty
			acr  string
			want string
		}{
			{"acr_values substantial", low, "substantial", stepUp},
			{"acr_values high", low, "high", "unmet_authentication_requirements"},
			{"RP minimum substantial", high, "", stepUp},
			{"RP minimum above acr_values low", high, "low", stepUp},
			{"RP minimum substantial, acr_values high", high, "high", "unmet_authentication_requirements"},
			{"unknown level", low, "urn:example:loa:3", "invalid_request"},
			{"low is served", low, "low substantial", ""},
		}
		for _, tc := range cases {
			var extra []oauth2.AuthCodeOption
			if tc.acr != "" {
				extra = append(extra, oauth2.SetAuthURLParam("acr_values", tc.acr))
			}
			req := tc.r.authorize(nil, extra...)
			f := b.run(tc.r, req.url, who, allowAll)
			switch tc.want {
			case stepUp:
				if f.callback != nil || f.last.url.Path != "/login/second-factor" || f.last.status != http.StatusOK {
					t.Errorf("%s: stopped at %d %s (callback %v), want the second-factor page and nothing for the RP",
						tc.name, f.last.status, f.last.url.Path, f.callback)
				}
				if diff := cmp.Diff([]string{"/login"}, f.paths); diff != "" {
					t.Errorf("%s: pages mismatch (-want +got):\n%s", tc.name, diff)
				}
				continue
			case "":
				tok, err := tc.r.exchange(f.callback.Get("code"), req.verifier)
				if err != nil {
					t.Fatal(err)
				}
				if _, claims := tc.r.idToken(tok); claims["acr"] != "low" {
					t.Errorf("%s: acr = %v, want low", tc.name, claims["acr"])
				}
				continue
			}
			if got := f.callback.Get("error"); got != tc.want {
				t.Errorf("%s: callback error = %q (%s), want %q", tc.name, got, f.callback.Get("error_description"), tc.want)
			}
			if len(f.paths) != 0 {
				t.Errorf("%s: pages %v before the error, want none", tc.name, f.paths)
			}
		}
	})
}

// TestPrompt: prompt=none answers login_required without a session and
// consent_required when consent is missing; prompt=login logs in again.
func TestPrompt(t *testing.T) {
	e := newEnv(t, "sqlite")
	who := e.enrolResident("韩梅", 31)
	r := e.newRP(rp.Registration{Sector: "prompt.example",
		ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: "age"}}})
	b := newBrowser(t)
	none := oauth2.SetAuthURLParam("prompt", "none")

	f := b.run(r, r.authorize(nil, none).url, who, allowAll)
	if got := f.callback.Get("error"); got != "login_required" {
		t.Errorf("prompt=none without a session: error = %q, want login_required", got)
	}
	b.login(r, who, nil, allowAll)
	f = b.run(r, r.authorize([]string{"age_over_18"}, none).url, who, allowAll)
	if got := f.callback.Get("error"); got != "consent_required" {
		t.Errorf("prompt=none without consent: error = %q, want consent_required", got)
	}
	f = b.run(r, r.authorize(nil, none).url, who, allowAll)
	if got := f.callback.Get("code"); got == "" || len(f.paths) != 0 {
		t.Errorf("prompt=none with a session: code %q, pages %v, want a code and no page", got, f.paths)
	}
	f = b.run(r, r.authorize(nil, oauth2.SetAuthURLParam("prompt", "login")).url, who, allowAll)
	if len(f.paths) == 0 || f.paths[0] != "/login" {
		t.Errorf("prompt=login: pages %v, want the login page", f.paths)
	}
}

// TestLoginRefusals: a wrong password re-renders the form, a forged CSRF
// token and another browser are refused, and the interaction survives
// none of them being finished twice.
func TestLoginRefusals(t *testing.T) {
	e := newEnv(t, "sqlite")
	who := e.enrolResident("林峰", 29)
	r := e.newRP(rp.Registration{Sector: "refuse.example"})
	b := newBrowser(t)
	req := r.authorize(nil)
	p := b.get(req.url)
	loginURL, err := p.url.Parse(p.location)
	if err != nil || loginURL.Path != "/login" {
		t.Fatalf("authorize redirected to %q, want /login", p.location)
	}
	fields := parseForm(b.get(loginURL.String())).hidden

	post := func(b *browser, vals url.Values) page {
		return b.post(e.issuer+"/login", vals)
	}
	wrong := url.Values{"id": {fields.Get("id")}, "csrf": {fields.Get("csrf")}, "username": {who.number}, "password": {"wrong password 123"}}
	if got := post(b, wrong); got.status != http.StatusBadRequest || !strings.Contains(got.body, "not right") {
		t.Errorf("wrong password: status %d, want 400 with the form again", got.status)
	}
	forged := url.Values{"id": {fields.Get("id")}, "csrf": {"AAAA"}, "username": {who.number}, "password": {who.password}}
	if got := post(b, forged); got.status != http.StatusForbidden {
		t.Errorf("forged CSRF token: status %d, want 403", got.status)
	}
	good := url.Values{"id": {fields.Get("id")}, "csrf": {fields.Get("csrf")}, "username": {who.number}, "password": {who.password}}
	if got := post(newBrowser(t), good); got.status != http.StatusForbidden {
		t.Errorf("another browser: status %d, want 403", got.status)
	}
	if got := newBrowser(t).get(loginURL.String()); got.status != http.StatusForbidden {
		t.Errorf("login page in another browser: status %d, want 403", got.status)
	}
	done := post(b, good)
	if !strings.HasPrefix(done.location, r.redirect) {
		t.Fatalf("correct login: Location %q, want the RP", done.location)
	}
	if again := post(b, good); again.status != http.StatusBadRequest {
		t.Errorf("second post of a finished interaction: status %d, want 400", again.status)
	}
}
