package portal_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// The browser tests drive Debian's Chromium, headless, through chromedp
// against the whole service (newEnv): each one checks what the page
// shows and then what the store holds.

// portalLogin logs who in to the portal through the login form and
// checks that it lands on the account page.
func (e *env) portalLogin(c *chrome, who person) {
	c.t.Helper()
	c.open(e.issuer + "/account/login")
	c.fill("#username", who.number)
	c.fill("#password", who.password)
	if status := c.click("#login-submit"); status != 200 {
		c.t.Fatalf("login: status %d; page:\n%s", status, c.body())
	}
	if got := c.location(); got != e.issuer+"/account" {
		c.t.Fatalf("after login the browser is at %s, want %s/account; page:\n%s", got, e.issuer, c.body())
	}
}

// platformLogin logs who in to platform p through netid in the browser:
// the platform's /login, netid's login page, the consent page (sharing
// the age check, remembered), back to the platform.
func (e *env) platformLogin(c *chrome, p *platform, who person) {
	c.t.Helper()
	c.open(p.server.URL + "/login")
	if !strings.HasPrefix(c.location(), e.issuer+"/login?") {
		c.t.Fatalf("the platform's login led to %s, want netid's login page", c.location())
	}
	c.fill("#username", who.number)
	c.fill("#password", who.password)
	c.click("button[type=submit]")
	if !strings.HasPrefix(c.location(), e.issuer+"/consent?") {
		c.t.Fatalf("after netid's login the browser is at %s, want the consent page; page:\n%s", c.location(), c.body())
	}
	c.mustSee(p.reg.Name)
	c.do("tick age_over_18", chromedp.Click(chromedp.CSS(`input[name=claim][value=age_over_18]`)))
	c.click(`button[name=action][value=allow]`)
	c.mustSee("Welcome to "+p.reg.Name, "Adult: yes")
}

// logEntries decodes the transparency log of resident id, as the store
// holds it.
func (e *env) logEntries(id string) []translog.Entry {
	e.t.Helper()
	ctx := context.Background()
	lid, err := e.log.LogID(ctx, id)
	must(e.t, err)
	recs, err := e.log.Entries(ctx, lid, 0, translog.MaxListing)
	must(e.t, err)
	var out []translog.Entry
	for _, r := range recs {
		leaf, err := translog.DecodeLeaf(r.Leaf)
		must(e.t, err)
		out = append(out, leaf.Entry)
	}
	return out
}

// hasEntry reports whether entries hold one of kind (and event, if not
// empty).
func hasEntry(entries []translog.Entry, kind translog.Kind, event translog.Event) bool {
	return slices.ContainsFunc(entries, func(e translog.Entry) bool {
		return e.Kind == kind && (event == "" || e.Event == event)
	})
}

func TestBrowserLogin(t *testing.T) {
	e := newEnv(t, "sqlite")
	ana := e.enrolPerson("Ana Test", 30)
	c := newChrome(t)

	c.open(e.issuer + "/account")
	if !strings.HasPrefix(c.location(), e.issuer+"/account/login?") {
		t.Fatalf("/account without a session led to %s, want the login page", c.location())
	}
	c.fill("#username", ana.number)
	c.fill("#password", "not-her-password-at-all")
	if status := c.click("#login-submit"); status != 400 {
		t.Errorf("wrong password: status %d, want 400", status)
	}
	if got := c.text("#login-error"); got != "The internet number, phone number or password is not right." {
		t.Errorf("wrong password: the page says %q", got)
	}
	if got := c.eval(`document.getElementById("username").value`); got != ana.number {
		t.Errorf("the username field holds %q after the error, want %q kept", got, ana.number)
	}

	c.fill("#password", ana.password)
	c.click("#login-submit")
	if got := c.location(); got != e.issuer+"/account" {
		t.Fatalf("after login the browser is at %s, want /account", got)
	}
	c.mustSee(ana.number, strings.ToUpper(ana.name), "My data")

	// The cookie: HttpOnly, SameSite=Lax, not Secure over http, and its
	// token is a live session of the resident service for Ana.
	cookies, err := chromedp.Call(c.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{e.issuer + "/account"}})
	must(t, err)
	var token string
	for _, ck := range cookies.Cookies {
		if ck.Name != "netid-account" {
			continue
		}
		if !ck.HTTPOnly || ck.SameSite != network.CookieSameSiteLax || ck.Secure || ck.Path != "/" {
			t.Errorf("session cookie: HttpOnly %v, SameSite %q, Secure %v, Path %q; want true, Lax, false, /",
				ck.HTTPOnly, ck.SameSite, ck.Secure, ck.Path)
		}
		token = ck.Value[:strings.LastIndexByte(ck.Value, '.')]
	}
	if token == "" {
		t.Fatalf("no session cookie among %d cookies", len(cookies.Cookies))
	}
	sess, err := e.resident.SessionFor(context.Background(), token)
	if err != nil || sess.ResidentID != ana.id {
		t.Fatalf("the cookie's session: %+v, %v; want a session of %s", sess, err, ana.id)
	}

	// Logging out ends the session in the store, not only the cookie.
	c.click("header form button[type=submit]")
	c.mustSee("You are logged out.")
	if _, err := e.resident.SessionFor(context.Background(), token); err == nil {
		t.Error("the session still works after logging out")
	}
	c.open(e.issuer + "/account")
	if !strings.HasPrefix(c.location(), e.issuer+"/account/login?") {
		t.Errorf("after logout /account led to %s, want the login page", c.location())
	}
}

func TestBrowserConsentWithdrawal(t *testing.T) {
	e := newEnv(t, "sqlite")
	ana := e.enrolPerson("Ana Test", 30)
	shop := e.newPlatform("Test Shop")
	c := newChrome(t)
	ctx := context.Background()

	// The grant, through a real OpenID login at the platform.
	e.platformLogin(c, shop, ana)
	tok := shop.lastToken()
	if tok.RefreshToken == "" {
		t.Fatal("the platform got no refresh token")
	}
	if _, err := e.store.RememberedConsent(ctx, ana.id, shop.reg.ClientID); err != nil {
		t.Fatalf("no remembered consent after the login: %v", err)
	}

	e.portalLogin(c, ana)
	c.open(e.issuer + "/account/disclosures")
	c.mustSee("Test Shop", "Aged 18 or over (yes or no)")
	// The filters, through the form.
	c.do("filter by claim", chromedp.SetValue(chromedp.CSS("#claim"), "name"))
	c.click("#filters button[type=submit]")
	c.mustSee("No disclosures match.")
	today := time.Now().UTC().Format("2006-01-02")
	c.open(e.issuer + "/account/disclosures?claim=age_over_18&platform=" + shop.reg.ClientID + "&from=" + today + "&to=" + today)
	c.mustSee("Disclosures (1 on this page)", "Test Shop")
	c.open(e.issuer + "/account/disclosures?to=2001-01-01")
	c.mustSee("No disclosures match.")
	c.open(e.issuer + "/account/consents")
	c.mustSee("Test Shop", "Aged 18 or over (yes or no)")
	c.click(`#consents button[type=submit]`)
	c.mustSee("Consent withdrawn. The platform's tokens no longer work.", "netid remembers no consent of yours.")

	if _, err := e.store.RememberedConsent(ctx, ana.id, shop.reg.ClientID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RememberedConsent after withdrawal: %v, want ErrNotFound", err)
	}
	if err := shop.refresh(tok); err == nil {
		t.Error("the platform's refresh token still works after the withdrawal")
	}
	if !hasEntry(e.logEntries(ana.id), translog.KindConsentWithdrawn, "") {
		t.Error("no consent-withdrawn entry in Ana's log")
	}
}

func TestBrowserHistoryVerified(t *testing.T) {
	e := newEnv(t, "sqlite")
	ana := e.enrolPerson("Ana Test", 30)
	shop := e.newPlatform("Test Shop")
	c := newChrome(t)
	ctx := context.Background()
	e.platformLogin(c, shop, ana)
	e.portalLogin(c, ana)

	c.open(e.issuer + "/account/history")
	c.mustSee("verified with the log's key", "netid wallet history --verify", "Your entries follow one another without a gap")
	entries := e.logEntries(ana.id)
	if len(entries) < 3 { // enrolled, certificate issued, consent granted, disclosure
		t.Fatalf("Ana's log holds %d entries, want at least 3", len(entries))
	}
	rows := c.eval(`String(document.querySelectorAll("#history tbody tr").length)`)
	verified := c.eval(`String(document.querySelectorAll("#history tbody .ok").length)`)
	if rows != verified || rows != itoa(len(entries)) {
		t.Errorf("history: %s rows, %s verified; the store holds %d entries", rows, verified, len(entries))
	}
	c.mustSee("Information given to a platform", "Test Shop", "Consent given", "Certificate issued")

	// The checkpoint shown is the latest the store holds.
	cp, err := e.log.LatestCheckpoint(ctx)
	must(t, err)
	if got := c.text("#checkpoint-size"); got != itoa(int(cp.Size)) {
		t.Errorf("checkpoint size shown %s, stored %d", got, cp.Size)
	}
	if got := c.text("#checkpoint-root"); got != base64.StdEncoding.EncodeToString(cp.Root) {
		t.Errorf("checkpoint root shown %s, stored %x", got, cp.Root)
	}

	// The proofs download verifies on its own, with the log's published
	// keys only.
	var h struct {
		Checkpoint string `json:"checkpoint"`
		Entries    []struct {
			Index          uint64   `json:"index"`
			Seq            uint64   `json:"seq"`
			Leaf           []byte   `json:"leaf"`
			InclusionProof [][]byte `json:"inclusion_proof"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(c.download("#proofs-json"), &h); err != nil {
		t.Fatalf("proofs download: %v", err)
	}
	auditor, err := e.log.Auditor()
	must(t, err)
	got, err := auditor.VerifyCheckpoint([]byte(h.Checkpoint))
	if err != nil {
		t.Fatalf("downloaded checkpoint: %v", err)
	}
	if len(h.Entries) != len(entries) {
		t.Errorf("download holds %d entries, the store %d", len(h.Entries), len(entries))
	}
	for _, en := range h.Entries {
		rec := translog.Record{Index: en.Index, Seq: en.Seq, Leaf: en.Leaf}
		if err := auditor.VerifyEntryInclusion(rec, en.InclusionProof, got); err != nil {
			t.Errorf("downloaded entry %d: %v", en.Seq, err)
		}
	}
}

func TestBrowserExport(t *testing.T) {
	e := newEnv(t, "sqlite")
	ana := e.enrolPerson("Ana Test", 30)
	shop := e.newPlatform("Test Shop")
	c := newChrome(t)
	e.platformLogin(c, shop, ana)
	e.portalLogin(c, ana)
	before := len(e.logEntries(ana.id))

	c.open(e.issuer + "/account/export")
	c.mustSee("Download everything netid holds about you")
	raw := c.download("#export-download")
	var x struct {
		Format string `json:"format"`
		Data   struct {
			Account struct {
				InternetNumber string `json:"internet_number"`
			} `json:"account"`
			Identity struct {
				Name string `json:"name"`
			} `json:"identity"`
		} `json:"data"`
		Disclosures []struct {
			ClientID string   `json:"client_id"`
			Claims   []string `json:"claims"`
		} `json:"disclosures"`
		Consents []struct {
			ClientID string `json:"client_id"`
		} `json:"consents"`
		Certificates []struct {
			Serial string `json:"serial"`
		} `json:"certificates"`
		History struct {
			Entries []json.RawMessage `json:"entries"`
		} `json:"history"`
	}
	if err := json.Unmarshal(raw, &x); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, raw)
	}
	switch {
	case x.Format != "netid-export/1":
		t.Errorf("export format %q", x.Format)
	case x.Data.Account.InternetNumber != ana.number || x.Data.Identity.Name != strings.ToUpper(ana.name):
		t.Errorf("export data: number %q name %q, want %q %q", x.Data.Account.InternetNumber, x.Data.Identity.Name, ana.number, ana.name)
	case len(x.Disclosures) != 1 || x.Disclosures[0].ClientID != shop.reg.ClientID || !slices.Contains(x.Disclosures[0].Claims, "age_over_18"):
		t.Errorf("export disclosures: %+v", x.Disclosures)
	case len(x.Consents) != 1 || x.Consents[0].ClientID != shop.reg.ClientID:
		t.Errorf("export consents: %+v", x.Consents)
	case len(x.Certificates) != 1 || x.Certificates[0].Serial != ana.serial:
		t.Errorf("export certificates: %+v, want serial %s", x.Certificates, ana.serial)
	case len(x.History.Entries) != before:
		t.Errorf("export history: %d entries, the store held %d", len(x.History.Entries), before)
	}
	after := e.logEntries(ana.id)
	if len(after) != before+1 || after[len(after)-1].Event != translog.EventDataExported {
		t.Errorf("after the export the log holds %d entries (was %d), last %+v; want a data-exported entry", len(after), before, after[len(after)-1])
	}
}

func TestBrowserLockUnlock(t *testing.T) {
	e := newEnv(t, "sqlite")
	ana := e.enrolPerson("Ana Test", 30)
	c := newChrome(t)
	ctx := context.Background()
	e.portalLogin(c, ana)

	c.open(e.issuer + "/account/locks")
	c.mustSee("Dynamic code", "Not locked")
	c.click(`#lock-dynamic-code button[type=submit]`)
	c.mustSee("Locked.")
	if !strings.HasPrefix(c.text("#lock-dynamic-code td"), "Locked since") {
		t.Errorf("after locking the row says %q", c.text("#lock-dynamic-code td"))
	}
	locks, err := e.enrol.Locks(ctx, ana.id)
	must(t, err)
	if _, locked := locks.Since(enrol.MethodDynamicCode); !locked || len(locks) != 1 {
		t.Fatalf("store locks after locking: %+v", locks)
	}
	if err := e.enrol.CheckMethod(ctx, ana.id, enrol.MethodDynamicCode); !errors.Is(err, enrol.ErrMethodLocked) {
		t.Errorf("CheckMethod(dynamic-code) = %v, want ErrMethodLocked", err)
	}

	c.click(`#lock-dynamic-code button[type=submit]`)
	c.mustSee("Unlocked.")
	if got := c.text("#lock-dynamic-code td"); got != "Not locked" {
		t.Errorf("after unlocking the row says %q", got)
	}
	locks, err = e.enrol.Locks(ctx, ana.id)
	must(t, err)
	if len(locks) != 0 {
		t.Errorf("store locks after unlocking: %+v", locks)
	}
	entries := e.logEntries(ana.id)
	if !hasEntry(entries, translog.KindAccountEvent, translog.EventMethodLocked) ||
		!hasEntry(entries, translog.KindAccountEvent, translog.EventMethodUnlocked) {
		t.Error("the log lacks the method-locked and method-unlocked entries")
	}
}

func TestBrowserDelete(t *testing.T) {
	e := newEnv(t, "sqlite")
	ana := e.enrolPerson("Ana Test", 30)
	shop := e.newPlatform("Test Shop")
	c := newChrome(t)
	ctx := context.Background()
	e.platformLogin(c, shop, ana)
	tok := shop.lastToken()
	e.portalLogin(c, ana)

	c.open(e.issuer + "/account/delete")
	c.fill("#confirm", ana.number)
	c.fill("#password", "not-her-password-at-all")
	if status := c.click("#delete-confirm"); status != 400 {
		t.Errorf("deletion with a wrong password: status %d, want 400", status)
	}
	c.mustSee("Nothing was deleted.")
	if r, err := e.store.ResidentByNumber(ctx, ana.number); err != nil || r.Status != enrol.StatusActive {
		t.Fatalf("after a refused deletion: %+v, %v; want the account active", r, err)
	}

	c.fill("#confirm", strings.ToLower(ana.number))
	c.fill("#password", ana.password)
	c.click("#delete-confirm")
	c.mustSee("The account "+ana.number+" is deleted.", "You are logged out.")

	// Signed out: the account pages ask for a login, which fails.
	c.open(e.issuer + "/account")
	if !strings.HasPrefix(c.location(), e.issuer+"/account/login?") {
		t.Errorf("after deletion /account led to %s, want the login page", c.location())
	}
	c.fill("#username", ana.number)
	c.fill("#password", ana.password)
	c.click("#login-submit")
	c.mustSee("The internet number, phone number or password is not right.")

	// The store: number retired, data key gone, certificates revoked,
	// the platform's tokens dead, no consent left.
	r, err := e.store.ResidentByNumber(ctx, ana.number)
	if err != nil || r.Status != enrol.StatusDeleted {
		t.Errorf("resident after deletion: %+v, %v; want status deleted", r, err)
	}
	n, err := e.store.InternetNumber(ctx, ana.number)
	if err != nil || n.RetiredAt.IsZero() {
		t.Errorf("internet number after deletion: %+v, %v; want retired", n, err)
	}
	if _, err := e.store.DataKey(ctx, ana.id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DataKey after deletion: %v, want ErrNotFound (shredded)", err)
	}
	certs, err := e.store.CertificatesFor(ctx, ana.number)
	must(t, err)
	if len(certs) == 0 {
		t.Error("no certificate record left to show revoked")
	}
	for _, cr := range certs {
		if !cr.Revoked() {
			t.Errorf("certificate %s is not revoked after deletion", cr.Serial)
		}
	}
	if err := shop.refresh(tok); err == nil {
		t.Error("the platform's refresh token still works after deletion")
	}
	if cs, err := e.store.RememberedConsentsOf(ctx, ana.id); err != nil || len(cs) != 0 {
		t.Errorf("consents after deletion: %+v, %v", cs, err)
	}
	if !hasEntry(e.logEntries(ana.id), translog.KindAccountEvent, translog.EventDeleted) {
		t.Error("no deleted entry in the log")
	}
}

func TestBrowserKeyboard(t *testing.T) {
	e := newEnv(t, "sqlite")
	ana := e.enrolPerson("Ana Test", 30)
	c := newChrome(t)
	c.open(e.issuer + "/account/login")
	if bad := c.contrastFailures(); len(bad) > 0 {
		t.Errorf("text below 4.5:1 contrast on the login page:\n%s", strings.Join(bad, "\n"))
	}

	// Tab order: the skip link, the language switch, the two fields, the
	// button; each visibly focused.
	want := []string{"a:Skip to main content", "#lang-switch", "#username", "#password", "#login-submit"}
	for i, w := range want {
		c.key(keyTab)
		if got := c.focused(); got != w {
			t.Fatalf("Tab %d focuses %q, want %q", i+1, got, w)
		}
		if style := c.eval(`getComputedStyle(document.activeElement).outlineStyle`); style == "none" {
			t.Errorf("%s has no visible focus outline", w)
		}
		if w == "#username" {
			c.do("type the number", chromedp.KeyEvent(ana.number))
		}
		if w == "#password" {
			c.do("type the password", chromedp.KeyEvent(ana.password))
			// Enter in the form submits it.
			c.submit("Enter", chromedp.KeyEvent(keyEnter))
			break
		}
	}
	if got := c.location(); got != e.issuer+"/account" {
		t.Fatalf("Enter in the login form led to %s, want /account; page:\n%s", got, c.body())
	}
	c.mustSee(ana.number)
	if bad := c.contrastFailures(); len(bad) > 0 {
		t.Errorf("text below 4.5:1 contrast on /account:\n%s", strings.Join(bad, "\n"))
	}
	// Every form control on every page has a label.
	for _, path := range []string{"/account", "/account/disclosures", "/account/history", "/account/consents",
		"/account/certificates", "/account/locks", "/account/minors", "/account/export", "/account/delete"} {
		c.open(e.issuer + path)
		unlabelled := c.eval(`Array.from(document.querySelectorAll("input:not([type=hidden]),select,textarea")).filter(function(e){return !(e.labels&&e.labels.length)}).map(function(e){return e.name}).join(",")`)
		if unlabelled != "" {
			t.Errorf("%s: controls without a label: %s", path, unlabelled)
		}
		if got := c.eval(`document.documentElement.lang`); got != "en" {
			t.Errorf("%s: lang %q", path, got)
		}
		if n := c.eval(`String(document.querySelectorAll("h1").length)`); n != "1" {
			t.Errorf("%s: %s h1 elements, want 1", path, n)
		}
		if bad := c.contrastFailures(); len(bad) > 0 {
			t.Errorf("%s: text below 4.5:1 contrast:\n%s", path, strings.Join(bad, "\n"))
		}
	}
}

func TestBrowserLanguage(t *testing.T) {
	e := newEnv(t, "sqlite")
	ana := e.enrolPerson("Ana Test", 30)
	c := newChrome(t)
	c.acceptLanguage("zh-CN,zh;q=0.9,en;q=0.5")

	c.open(e.issuer + "/account/login")
	if got := c.eval(`document.documentElement.lang`); got != "zh-CN" {
		t.Errorf("Accept-Language zh-CN: <html lang=%q>", got)
	}
	if got := c.text("h1"); got != "登录您的 netid 账户" {
		t.Errorf("Accept-Language zh-CN: h1 %q", got)
	}
	if got := c.text("label[for=username]"); got != "网号或手机号" {
		t.Errorf("Accept-Language zh-CN: username label %q", got)
	}

	// The switch link changes the language and remembers it.
	c.click("#lang-switch")
	if got := c.text("h1"); got != "Log in to your netid account" {
		t.Errorf("after the switch: h1 %q", got)
	}
	u, err := url.Parse(c.location())
	must(t, err)
	if u.Query().Get("lang") != "en" {
		t.Errorf("the switch led to %s, want lang=en", u)
	}
	e.portalLogin(c, ana)
	if got := c.eval(`document.documentElement.lang`); got != "en" {
		t.Errorf("after the switch and a login: lang %q, want en remembered", got)
	}
	c.click("#lang-switch")
	c.mustSee("我的数据", ana.number)
}

func itoa(n int) string { return strconv.Itoa(n) }
