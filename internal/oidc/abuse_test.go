package oidc_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/storetest"
)

// Hostile input against the provider's own surface: password guessing at
// the login form (NIST SP 800-63B section 5.2.2: failed attempts limited
// per account), and fuzzed authorization parameters, forms and token
// requests, none of which may be answered with a 5xx.

// abuseRowCounts counts the rows of every table of e's SQLite store.
// newEnv opens it in its own t.TempDir(), a sibling of any later one.
func abuseRowCounts(t *testing.T) map[string]int {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(t.TempDir()), "*", "db", sqlite.FileName))
	if err != nil || len(matches) != 1 {
		t.Fatalf("the env's database: found %v (%v), want exactly one", matches, err)
	}
	return storetest.SQLiteRowCounts(t, matches[0])
}

// TestLoginGuessingThrottled guesses a resident's password at the login
// form: each wrong guess is the form again (400); once the account's limit
// (5 in 15 minutes in this env) is spent, every attempt, the right password
// included, is 429 with Retry-After, so that guessing learns nothing. No
// session is created and nothing but the attempt counters is written.
func TestLoginGuessingThrottled(t *testing.T) {
	e := newEnv(t, "sqlite")
	who := e.enrolResident("郭靖", 31)
	r := e.newRP(rp.Registration{Sector: "guess.example"})
	b := newBrowser(t)
	p := b.get(r.authorize(nil).url)
	loginURL, err := p.url.Parse(p.location)
	if err != nil || loginURL.Path != "/login" {
		t.Fatalf("authorize redirected to %q, want /login", p.location)
	}
	fields := parseForm(b.get(loginURL.String())).hidden
	before := abuseRowCounts(t)
	try := func(password string) page {
		return b.post(e.issuer+"/login", url.Values{"id": {fields.Get("id")}, "csrf": {fields.Get("csrf")},
			"username": {who.number}, "password": {password}})
	}
	for i := range 5 {
		if got := try(fmt.Sprintf("guess %d of a thief", i)); got.status != http.StatusBadRequest {
			t.Fatalf("wrong guess %d: status %d, want 400 (the form again)", i, got.status)
		}
	}
	for _, pw := range []string{"one guess too many", who.password} {
		checkThrottled(t, b, e.issuer+"/login", url.Values{"id": {fields.Get("id")}, "csrf": {fields.Get("csrf")},
			"username": {who.number}, "password": {pw}})
	}
	after := abuseRowCounts(t)
	for name, n := range after {
		if name != "throttle_counters" && before[name] != n {
			t.Errorf("table %s went from %d to %d rows during the guessing", name, before[name], n)
		}
	}
	// The window ends: the resident gets in (a new sign-in: the old one
	// has expired meanwhile).
	e.clock.Advance(16 * time.Minute)
	if f := newBrowser(t).run(r, r.authorize(nil).url, who, allowAll); f.callback.Get("code") == "" {
		t.Errorf("the right password after the window: the login ended at %d %s\n%.500s", f.last.status, f.last.url, f.last.body)
	}
}

// checkThrottled posts form to u with b's cookies and checks that the
// answer is a 429 page saying why, with a Retry-After within the 15-minute
// window.
func checkThrottled(t *testing.T, b *browser, u string, form url.Values) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("attempt after the limit: status %d, want 429\n%s", res.StatusCode, body)
	}
	ra, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || ra <= 0 || ra > 15*60 {
		t.Errorf("Retry-After = %q, want 1 to 900 seconds", res.Header.Get("Retry-After"))
	}
	if !strings.Contains(string(body), "Too many attempts") {
		t.Errorf("the 429 page does not say why:\n%s", body)
	}
}

// noServerError fails the test on a 5xx: hostile input is the client's
// fault, whatever it is.
func noServerError(t *testing.T, what string, res *http.Response) {
	t.Helper()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	res.Body.Close()
	if res.StatusCode >= 500 {
		t.Fatalf("%s: status %d\n%s", what, res.StatusCode, body)
	}
}

// FuzzAuthorizeParameters sends arbitrary query strings to the
// authorization endpoint, starting from valid requests of a registered
// platform (scopes, claims, acr_values, prompt, max_age, ui_locales,
// login_hint, PKCE): never a 5xx.
func FuzzAuthorizeParameters(f *testing.F) {
	e := newEnv(f, "sqlite")
	r := e.newRP(rp.Registration{Sector: "fuzz.example",
		ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: "age"}}})
	for _, extra := range []string{
		"", "&prompt=login", "&prompt=none", "&prompt=consent%20login", "&max_age=0", "&max_age=-1",
		"&acr_values=substantial", "&acr_values=high%20low", "&ui_locales=zh-CN", "&login_hint=ABCDE12345",
		"&claims=%7B%22id_token%22%3A%7B%22acr%22%3A%7B%22essential%22%3Atrue%7D%7D%7D", "&request=eyJ.eyJ.",
		"&response_mode=fragment", "&id_token_hint=a.b.c", "&nonce=" + strings.Repeat("n", 5000),
	} {
		f.Add(strings.TrimPrefix(r.authorize([]string{"age_over_18", "offline_access"}).url, e.issuer+"/oidc/authorize?") + extra)
	}
	f.Add("client_id=" + r.reg.ClientID)
	f.Add("response_type=token&client_id=x&redirect_uri=javascript:alert(1)&scope=openid")
	f.Add("%zz&&=&scope=" + strings.Repeat("openid%20", 1000))
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout: 10 * time.Second}
	f.Fuzz(func(t *testing.T, query string) {
		res, err := client.Get(e.issuer + "/oidc/authorize?" + query)
		if err != nil {
			// Go's client refuses some URLs (control characters): not the
			// server's concern.
			return
		}
		noServerError(t, "authorize?"+query, res)
	})
}

// FuzzInteractionForms posts arbitrary forms to /login and /consent with
// the cookies of the browser that started a real interaction (so that
// mutations keeping the id and CSRF token reach the password check and
// the consent logic): never a 5xx.
func FuzzInteractionForms(f *testing.F) {
	e := newEnv(f, "sqlite")
	who := e.enrolResident("黄蓉", 27)
	r := e.newRP(rp.Registration{Sector: "forms.example",
		ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: "age"}}})
	b := newBrowser(f)
	p := b.get(r.authorize([]string{"age_over_18"}).url)
	loginURL, err := p.url.Parse(p.location)
	if err != nil {
		f.Fatal(err)
	}
	fields := parseForm(b.get(loginURL.String())).hidden
	login := url.Values{"id": {fields.Get("id")}, "csrf": {fields.Get("csrf")}, "username": {who.number}, "password": {"not the password"}}
	f.Add(false, login.Encode())
	f.Add(false, login.Encode()+"&username=ABCDE-12345&password=")
	f.Add(true, url.Values{"id": {fields.Get("id")}, "csrf": {fields.Get("csrf")}, "action": {"allow"},
		"claim": {"age_over_18", "name", "internet_number"}, "remember": {"yes"}, "plaintext": {"yes"}}.Encode())
	f.Add(true, "id=&csrf=&action=deny")
	f.Add(false, "%zz=%zz&"+strings.Repeat("a=b&", 2000))
	f.Add(true, "id="+strings.Repeat("x", 10000))
	client := *b.client
	client.Timeout = 10 * time.Second
	f.Fuzz(func(t *testing.T, consent bool, form string) {
		path := "/login"
		if consent {
			path = "/consent"
		}
		req, err := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		noServerError(t, path+" "+form, res)
	})
}

// FuzzTokenRequests posts arbitrary token requests, authenticated as a
// registered platform: every refusal is an OAuth error, never a 5xx.
func FuzzTokenRequests(f *testing.F) {
	e := newEnv(f, "sqlite")
	r := e.newRP(rp.Registration{Sector: "token.example"})
	f.Add("grant_type=authorization_code&code=abc&redirect_uri=" + url.QueryEscape(r.redirect) + "&code_verifier=" + strings.Repeat("v", 43))
	f.Add("grant_type=refresh_token&refresh_token=" + strings.Repeat("r", 43))
	f.Add("grant_type=refresh_token&refresh_token=&scope=openid%20offline_access")
	f.Add("grant_type=client_credentials&scope=openid")
	f.Add("grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=a.b.c")
	f.Add("grant_type=authorization_code&code=" + strings.Repeat("%00", 100))
	f.Add("client_id=" + r.reg.ClientID + "&client_secret=x&grant_type=authorization_code")
	client := &http.Client{Timeout: 10 * time.Second}
	f.Fuzz(func(t *testing.T, form string) {
		req, err := http.NewRequest(http.MethodPost, e.issuer+"/oidc/token", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(r.reg.ClientID, r.secret)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		noServerError(t, "token "+form, res)
	})
}

// TestDynamicCodeGuessingThrottled guesses the wallet's dynamic code at
// the second-factor page of a substantial login, after a right password:
// wrong codes are the page again (400); once the account's limit for
// codes is spent (5 in 15 minutes here, counted apart from passwords)
// every attempt, the right code included, is 429 with Retry-After. Eight
// digits against a limited number of tries per window is what NIST SP
// 800-63B section 5.2.2 asks of an OTP. Only the attempt counters are
// written.
func TestDynamicCodeGuessingThrottled(t *testing.T) {
	e := newEnv(t, "sqlite")
	who := e.enrolResident("李清照", 34)
	r := e.substantialRP("otp-guess.example")
	b := newBrowser(t)
	_, p := b.toSecondFactor(r, who)
	gen := credential.NewDynamicCode(who.dynamic)
	now := e.clock.Now()
	right := gen.Code(now)
	near := map[string]bool{gen.Code(now.Add(-30 * time.Second)): true, right: true, gen.Code(now.Add(30 * time.Second)): true}
	before := abuseRowCounts(t)
	for i := 0; i < 5; i++ {
		guess := gen.Code(now.Add(-time.Duration(i+2) * time.Hour))
		if near[guess] {
			continue
		}
		if got := b.postSecondFactor(p, url.Values{"action": {"otp"}, "otp": {guess}}); got.status != http.StatusBadRequest {
			t.Fatalf("wrong code %d: status %d, want 400 (the page again)\n%s", i, got.status, got.body)
		}
	}
	for _, code := range []string{"00000000", right} {
		form := parseForm(p).hidden
		form.Set("action", "otp")
		form.Set("otp", code)
		checkThrottled(t, b, e.issuer+"/login/second-factor", form)
	}
	after := abuseRowCounts(t)
	for name, n := range after {
		if name != "throttle_counters" && before[name] != n {
			t.Errorf("table %s went from %d to %d rows during the guessing", name, before[name], n)
		}
	}
}
