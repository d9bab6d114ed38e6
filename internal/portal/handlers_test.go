package portal_test

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/translog"
)

// The handler tests drive the portal with a plain HTTP client (a cookie
// jar, no JavaScript, as the pages need none) on both storage engines.

// engines are the storage engines the handler tests run on.
var engines = []string{"sqlite", "postgres"}

func forEachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { fn(t, newEnv(t, engine)) })
	}
}

// client is a browser without JavaScript: a cookie jar, redirects
// followed.
type client struct {
	t    testing.TB
	e    *env
	http *http.Client
}

func (e *env) client() *client {
	jar, err := cookiejar.New(nil)
	must(e.t, err)
	return &client{t: e.t, e: e, http: &http.Client{Jar: jar}}
}

// page is a response as the client got it, after redirects.
type page struct {
	status int
	url    *url.URL
	header http.Header
	body   string
}

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	must(c.t, err)
	return page{status: resp.StatusCode, url: resp.Request.URL, header: resp.Header, body: string(b)}
}

func (c *client) get(path string, header ...string) page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.e.issuer+path, nil)
	must(c.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values) page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.e.issuer+path, strings.NewReader(form.Encode()))
	must(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of the page's main form: the first form that
// posts to the page's own path (the header's logout form has its own).
func (p page) csrf(t testing.TB) string {
	t.Helper()
	action := p.url.Path
	i := strings.Index(p.body, `<form method="post" action="`+action+`">`)
	if i < 0 {
		t.Fatalf("no form posting to %s on %s:\n%s", action, p.url, p.body)
	}
	m := csrfRE.FindStringSubmatch(p.body[i:])
	if m == nil {
		t.Fatalf("no CSRF token on %s:\n%s", p.url, p.body)
	}
	return html.UnescapeString(m[1])
}

// text is the page's text without tags, entities decoded, spaces folded.
func (p page) text() string {
	s := regexp.MustCompile(`(?s)<style>.*?</style>|<[^>]*>`).ReplaceAllString(p.body, " ")
	return strings.Join(strings.Fields(html.UnescapeString(s)), " ")
}

func (p page) mustShow(t testing.TB, want ...string) {
	t.Helper()
	text := p.text()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Fatalf("%s (%d) does not show %q; it shows: %s", p.url, p.status, w, text)
		}
	}
}

// login signs who in through the login form.
func (c *client) login(who person) page {
	c.t.Helper()
	p := c.get("/account/login")
	return c.post("/account/login", url.Values{"csrf": {p.csrf(c.t)}, "username": {who.number}, "password": {who.password}})
}

func TestLoginThrottled(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ana := e.enrolPerson("Ana Test", 30)
		c := e.client()
		token := c.get("/account/login").csrf(t)
		var p page
		for i := 0; i <= loginLimit; i++ {
			p = c.post("/account/login", url.Values{"csrf": {token}, "username": {ana.number}, "password": {"wrong-" + ana.password}})
		}
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
			t.Fatalf("after %d wrong passwords: status %d, Retry-After %q; want 429 with Retry-After", loginLimit+1, p.status, p.header.Get("Retry-After"))
		}
		p.mustShow(t, "Too many attempts. Try again in", "seconds.")
		// Throttled means throttled: the right password is refused too.
		p = c.post("/account/login", url.Values{"csrf": {token}, "username": {ana.number}, "password": {ana.password}})
		if p.status != http.StatusTooManyRequests {
			t.Errorf("the right password while throttled: status %d, want 429", p.status)
		}
		// In Chinese too.
		zh := c.get("/account/login?lang=zh-CN")
		p = c.post("/account/login", url.Values{"csrf": {zh.csrf(t)}, "username": {ana.number}, "password": {ana.password}})
		p.mustShow(t, "尝试次数过多")
	})
}

func TestCSRF(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ana := e.enrolPerson("Ana Test", 30)
		bob := e.enrolPerson("Bob Test", 40)
		a, b := e.client(), e.client()
		if p := a.login(ana); p.url.Path != "/account" {
			t.Fatalf("login: at %s (%d)", p.url, p.status)
		}
		b.login(bob)
		anaLocks := a.get("/account/locks").csrf(t)
		bobLocks := b.get("/account/locks").csrf(t)
		anaLogout := a.get("/account/logout").csrf(t)
		tests := []struct {
			name string
			form url.Values
		}{
			{"no token", url.Values{"method": {"wallet"}, "action": {"lock"}}},
			{"malformed token", url.Values{"csrf": {"%%%"}, "method": {"wallet"}, "action": {"lock"}}},
			{"another session's token", url.Values{"csrf": {bobLocks}, "method": {"wallet"}, "action": {"lock"}}},
			{"another form's token", url.Values{"csrf": {anaLogout}, "method": {"wallet"}, "action": {"lock"}}},
		}
		for _, tt := range tests {
			p := a.post("/account/locks", tt.form)
			if p.status != http.StatusForbidden {
				t.Errorf("%s: status %d, want 403", tt.name, p.status)
			}
			p.mustShow(t, "This form has expired.")
		}
		locks, err := e.enrol.Locks(context.Background(), ana.id)
		must(t, err)
		if len(locks) != 0 {
			t.Fatalf("a forged form locked %+v", locks)
		}
		// The right token works, once logged in again it is stale.
		if p := a.post("/account/locks", url.Values{"csrf": {anaLocks}, "method": {"wallet"}, "action": {"lock"}}); p.status != 200 {
			t.Fatalf("lock with the right token: %d", p.status)
		}
		a.post("/account/logout", url.Values{"csrf": {anaLogout}})
		if p := a.login(ana); p.url.Path != "/account" {
			t.Fatalf("second login: at %s", p.url)
		}
		if p := a.post("/account/locks", url.Values{"csrf": {anaLocks}, "method": {"wallet"}, "action": {"unlock"}}); p.status != http.StatusForbidden {
			t.Errorf("a token of the previous session: status %d, want 403", p.status)
		}

		// The login form needs its browser cookie: a login posted from
		// elsewhere (login CSRF) is refused.
		stolen := e.client().get("/account/login").csrf(t)
		other := e.client()
		p := other.post("/account/login", url.Values{"csrf": {stolen}, "username": {ana.number}, "password": {ana.password}})
		if p.status != http.StatusForbidden || p.url.Path != "/account/login" {
			t.Errorf("login with another browser's token: status %d at %s, want 403 on the login page", p.status, p.url.Path)
		}
	})
}

func TestSignedOutPost(t *testing.T) {
	e := newEnv(t, "sqlite")
	c := e.client()
	p := c.post("/account/consents", url.Values{"client_id": {"rp-x"}})
	if p.status != http.StatusUnauthorized {
		t.Errorf("POST without a session: %d, want 401", p.status)
	}
	p.mustShow(t, "You are not signed in")
	p = c.get("/account/certificates?x=1")
	if p.url.Path != "/account/login" || p.url.Query().Get("next") != "/account/certificates?x=1" {
		t.Errorf("GET without a session led to %s, want the login page with next", p.url)
	}
}

func TestPagesBothLanguages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ana := e.enrolPerson("Ana Test", 30)
		c := e.client()
		c.login(ana)
		paths := []string{"/account", "/account/disclosures", "/account/history", "/account/consents",
			"/account/certificates", "/account/certificates/revoke?serial=" + ana.serial, "/account/locks",
			"/account/minors", "/account/export", "/account/delete", "/account/logout"}
		for _, lang := range []string{"en", "zh-CN"} {
			for _, path := range paths {
				p := c.get(path, "Accept-Language", lang)
				if p.status != http.StatusOK {
					t.Errorf("%s %s: status %d", lang, path, p.status)
					continue
				}
				if !strings.Contains(p.body, `<html lang="`+lang+`">`) {
					t.Errorf("%s %s: not a page in %s", lang, path, lang)
				}
				if m := regexp.MustCompile(`\[[a-z_]+\.[a-z_.-]+\]`).FindString(p.text()); m != "" {
					t.Errorf("%s %s: missing message %s", lang, path, m)
				}
				if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'sha256-") || strings.Contains(csp, "script") {
					t.Errorf("%s %s: CSP %q", lang, path, csp)
				}
				if p.header.Get("Cache-Control") != "no-store" || p.header.Get("X-Frame-Options") != "DENY" {
					t.Errorf("%s %s: Cache-Control %q, X-Frame-Options %q", lang, path, p.header.Get("Cache-Control"), p.header.Get("X-Frame-Options"))
				}
			}
		}
	})
}

func TestBadInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ana := e.enrolPerson("Ana Test", 30)
		bob := e.enrolPerson("Bob Test", 40)
		// A consent of a platform since removed from the registry, so
		// that the consents page has a form.
		now := time.Now().UTC().Truncate(time.Microsecond)
		must(t, e.store.PutRememberedConsent(context.Background(), oidc.Consent{ResidentID: ana.id, ClientID: "rp-gone",
			Claims: []oidc.ConsentClaim{{Claim: rp.ClaimAgeOver18, Purpose: "age", Granted: true}}, CreatedAt: now, UpdatedAt: now}))
		c := e.client()
		c.login(ana)
		lock := c.get("/account/locks").csrf(t)
		revoke := c.get("/account/certificates/revoke?serial=" + ana.serial).csrf(t)
		withdraw := c.get("/account/consents").csrf(t)
		tests := []struct {
			name   string
			do     func() page
			status int
			shows  string
		}{
			{"bad date", func() page { return c.get("/account/disclosures?from=2025-13-01") }, 400, "A date is not valid"},
			{"reversed dates", func() page { return c.get("/account/disclosures?from=2025-02-01&to=2025-01-01") }, 400, "must not be after"},
			{"unknown claim", func() page { return c.get("/account/disclosures?claim=shoe_size") }, 400, "information filter is not valid"},
			{"bad cursor", func() page { return c.get("/account/disclosures?before=yesterday") }, 400, "page link is not valid"},
			{"bad after_seq", func() page { return c.get("/account/history?after_seq=-1") }, 400, "not valid"},
			{"someone else's certificate", func() page { return c.get("/account/certificates/revoke?serial=" + bob.serial) }, 404, "does not exist, or it is not yours"},
			{"revoke someone else's", func() page {
				return c.post("/account/certificates/revoke", url.Values{"csrf": {revoke}, "serial": {bob.serial}, "reason": {"0"}})
			}, 404, "not yours"},
			{"revoke malformed serial", func() page {
				return c.post("/account/certificates/revoke", url.Values{"csrf": {revoke}, "serial": {"zz"}, "reason": {"0"}})
			}, 400, "not valid"},
			{"revoke bad reason", func() page {
				return c.post("/account/certificates/revoke", url.Values{"csrf": {revoke}, "serial": {ana.serial}, "reason": {"9"}})
			}, 400, "Choose one of the reasons"},
			{"unknown method", func() page {
				return c.post("/account/locks", url.Values{"csrf": {lock}, "method": {"telepathy"}, "action": {"lock"}})
			}, 400, "does not exist"},
			{"unknown action", func() page {
				return c.post("/account/locks", url.Values{"csrf": {lock}, "method": {"wallet"}, "action": {"toggle"}})
			}, 400, "Choose lock or unlock"},
			{"withdraw what is not there", func() page {
				return c.post("/account/consents", url.Values{"csrf": {withdraw}, "client_id": {"rp-nothing"}})
			}, 404, "not yours"},
			{"someone who is not my minor", func() page { return c.get("/account?minor=" + bob.id) }, 404, "not the guardian"},
		}
		for _, tt := range tests {
			p := tt.do()
			if p.status != tt.status {
				t.Errorf("%s: status %d, want %d; page: %s", tt.name, p.status, tt.status, p.text())
				continue
			}
			if !strings.Contains(p.text(), tt.shows) {
				t.Errorf("%s: the page does not say %q: %s", tt.name, tt.shows, p.text())
			}
		}
		// Nothing changed.
		certs, err := e.store.CertificatesFor(context.Background(), bob.number)
		must(t, err)
		if len(certs) != 1 || certs[0].Revoked() {
			t.Errorf("Bob's certificates after Ana's attempts: %+v", certs)
		}
	})
}

func TestGuardian(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		mum := e.enrolPerson("Mum Test", 45)
		kid := e.enrolPerson("Kid Test", 16)
		err := e.enrol.ApproveMinor(ctx, mum.id, enrol.MinorApproval{InternetNumber: kid.number, ApprovalCode: kid.approval,
			Relationship: enrol.RelationshipParent, Evidence: enrol.GuardianEvidence{Kind: enrol.GuardianEvidenceHouseholdRegister, Reference: "HR-1"}})
		must(t, err)
		c := e.client()
		c.login(mum)
		p := c.get("/account/minors")
		p.mustShow(t, "KID TEST", kid.number, "Parent")
		p = c.get("/account?minor=" + kid.id)
		p.mustShow(t, "You are acting as guardian for KID TEST ("+kid.number+")", kid.number)
		if !strings.Contains(p.body, `href="/account/locks?minor=`+kid.id+`"`) {
			t.Error("the navigation does not stay on the minor's account")
		}
		p = c.get("/account/locks?minor=" + kid.id)
		p = c.post("/account/locks", url.Values{"csrf": {p.csrf(t)}, "minor": {kid.id}, "method": {"wallet"}, "action": {"lock"}})
		if p.status != 200 || p.url.Query().Get("minor") != kid.id {
			t.Fatalf("lock for the minor: %d at %s", p.status, p.url)
		}
		p.mustShow(t, "Locked.", "Locked since")
		kidLocks, err := e.enrol.Locks(ctx, kid.id)
		must(t, err)
		mumLocks, err := e.enrol.Locks(ctx, mum.id)
		must(t, err)
		if _, ok := kidLocks.Since(enrol.MethodWallet); !ok || len(mumLocks) != 0 {
			t.Errorf("locks: the minor's %+v, the guardian's %+v; want the minor's wallet locked only", kidLocks, mumLocks)
		}
		if !hasEntry(e.logEntries(kid.id), translog.KindAccountEvent, translog.EventGuardianActed) ||
			!hasEntry(e.logEntries(kid.id), translog.KindAccountEvent, translog.EventGuardianViewed) {
			t.Error("the minor's log does not show the guardian's view and action")
		}
		// History, export and deletion stay the minor's own.
		c.get("/account/history?minor="+kid.id).mustShow(t, "A minor's history is theirs alone to read.")
		c.get("/account/delete?minor="+kid.id).mustShow(t, "A guardian cannot delete a minor's account here.")

		// The minor sees what the guardian did, in their own history.
		k := e.client()
		k.login(kid)
		k.get("/account/history").mustShow(t, "A guardian acted on the account", "Guardian: "+mum.number)
		if err := e.enrol.CheckMethod(ctx, kid.id, enrol.MethodWallet); !errors.Is(err, enrol.ErrMethodLocked) {
			t.Errorf("the minor's wallet after the guardian locked it: %v", err)
		}
	})
}

func TestRevokeCertificate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ana := e.enrolPerson("Ana Test", 30)
		c := e.client()
		c.login(ana)
		p := c.get("/account/certificates")
		p.mustShow(t, "Valid", "Revoke…")
		p = c.get("/account/certificates/revoke?serial=" + ana.serial)
		p.mustShow(t, "Revoking cannot be undone.", "The device or its key was lost or stolen")
		p = c.post("/account/certificates/revoke", url.Values{"csrf": {p.csrf(t)}, "serial": {ana.serial}, "reason": {"1"}})
		if p.status != 200 || p.url.Path != "/account/certificates" {
			t.Fatalf("revoke: %d at %s", p.status, p.url)
		}
		p.mustShow(t, "Certificate revoked.", "Revoked", "The device or its key was lost or stolen")
		certs, err := e.store.CertificatesFor(ctx, ana.number)
		must(t, err)
		if len(certs) != 1 || !certs[0].Revoked() || certs[0].Reason != 1 {
			t.Errorf("certificates after revocation: %+v", certs)
		}
		if !hasEntry(e.logEntries(ana.id), translog.KindCertificateRevoked, translog.EventRevokedKeyCompromise) {
			t.Error("no certificate-revoked entry (keyCompromise) in the log")
		}
		// Once revoked, there is nothing to confirm.
		if p := c.get("/account/certificates/revoke?serial=" + ana.serial); p.status != http.StatusConflict {
			t.Errorf("the confirmation of a revoked certificate: %d, want 409", p.status)
		}
	})
}
