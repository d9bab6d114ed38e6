package oidc

import (
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/netid/netid/internal/rp"
)

func testPagesProvider(t *testing.T) *Provider {
	t.Helper()
	ps, err := newPages()
	if err != nil {
		t.Fatal(err)
	}
	return &Provider{log: slog.New(slog.DiscardHandler), pages: ps, cookies: newCookieNames(true)}
}

const (
	testRPName     = "Example Shop"
	testPurpose    = "age check"
	testCode       = "K7QM-3XWD"
	testApproveURL = "https://id.example/approve/K7QM3XWD"
)

// testViews are the pages as the handlers fill them: in English.
func testViews(p *Provider) []struct {
	name   string
	status int
	page   string
	data   any
} {
	var items []consentItemView
	for c, label := range claimLabels {
		items = append(items, consentItemView{Claim: string(c), Label: label, Purpose: testPurpose})
	}
	return []struct {
		name   string
		status int
		page   string
		data   any
	}{
		{"login", 200, "login", loginView{Title: "Log in with netid", RPName: testRPName, Action: pathLogin, ID: "ID1", CSRF: "C1", Username: "u"}},
		{"login error", 400, "login", loginView{Title: "Log in with netid", RPName: testRPName, Action: pathLogin, ID: "ID1", CSRF: "C1",
			Error: "The internet number, phone number or password is not right."}},
		{"login throttled", 429, "login", loginView{Title: "Log in with netid", RPName: testRPName, Action: pathLogin, ID: "ID1", CSRF: "C1",
			Error: "Too many attempts. Try again in 30 seconds."}},
		{"consent", 200, "consent", consentView{Title: "Share information with " + testRPName, RPName: testRPName, Action: pathConsent,
			ID: "ID1", CSRF: "C1", Items: items, Plaintext: true, Onward: true}},
		{"consent nothing", 200, "consent", consentView{RPName: testRPName, Action: pathConsent, ID: "ID1", CSRF: "C1"}},
		{"logout", 200, "logout", logoutView{Title: "Log out", RPName: testRPName, Action: pathLogout, CSRF: "C1", ClientID: "c"}},
		{"logout no rp", 200, "logout", logoutView{Title: "Log out", Action: pathLogout, CSRF: "C1"}},
		{"logged out", 200, "logout", logoutView{Title: "Logged out", Done: true}},
		{"error", 403, "error", errorView{Title: catalogueEN[errorTitleKey(403)], RequestID: "req-7",
			Message: "This sign-in was started in another browser. Go back to the site you came from and start again here."}},
		{"second factor", 200, "stepup", stepUpView{Title: "Confirm with your netid wallet", RPName: testRPName, Action: pathStepUp,
			ID: "ID1", CSRF: "C1", Code: testCode, ApproveURL: testApproveURL, QR: "<svg></svg>", WalletHref: "/w", OTPHref: "/o"}},
		{"second factor error", 400, "stepup", stepUpView{Title: "Confirm with your netid wallet", RPName: testRPName, Action: pathStepUp,
			ID: "ID1", CSRF: "C1", Code: testCode, ApproveURL: testApproveURL, QR: "<svg></svg>", WalletHref: "/w", OTPHref: "/o",
			Error: "The dynamic code is not right or has expired. Enter the code your wallet shows now."}},
		{"second factor waiting", 200, "stepup", refreshing{seconds: 5, view: stepUpView{Title: "Confirm with your netid wallet",
			RPName: testRPName, Action: pathStepUp, ID: "ID1", CSRF: "C1", Code: testCode, ApproveURL: testApproveURL,
			QR: "<svg></svg>", Wallet: true, WalletHref: "/w", OTPHref: "/o",
			Error: "Your wallet has not approved this sign-in yet. Approve it in the wallet, then continue."}}},
		{"device", 200, "device", deviceView{Title: "Sign in with your netid wallet", Action: pathDevice, Code: testCode,
			URL: testApproveURL, QR: "<svg></svg>"}},
		{"device form", 200, "device", deviceView{Title: "Sign in with your netid wallet", Action: pathDevice}},
		{"device bad code", 400, "device", deviceView{Title: "Sign in with your netid wallet", Action: pathDevice,
			Error: "This code is not valid. Check it and try again."}},
		{"approve", 200, "approve", approvePageView{Title: "Approve in your netid wallet", URL: testApproveURL}},
		{"error internal", 500, "error", errorView{Title: catalogueEN[errorTitleKey(500)], RequestID: "req-7",
			Message: "Something went wrong on our side. Please try again; if it keeps happening, quote the reference below to the operator."}},
	}
}

var (
	tagRE      = regexp.MustCompile(`(?s)<[^>]*>`)
	htmlLangRE = regexp.MustCompile(`<html lang="([^"]+)">`)
)

// visibleText is the text of a page outside its tags, one piece per
// text node.
func visibleText(page string) []string {
	var out []string
	for _, s := range tagRE.Split(page, -1) {
		if s = strings.TrimSpace(html.UnescapeString(s)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func renderTest(t *testing.T, p *Provider, target, accept string, status int, page string, data any) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	if accept != "" {
		r.Header.Set("Accept-Language", accept)
	}
	w := httptest.NewRecorder()
	switch page {
	case "login":
		p.render(w, r, status, p.pages.login, data)
	case "consent":
		p.render(w, r, status, p.pages.consent, data)
	case "logout":
		p.render(w, r, status, p.pages.logout, data)
	case "stepup":
		p.render(w, r, status, p.pages.stepUp, data)
	case "device":
		p.render(w, r, status, p.pages.device, data)
	case "approve":
		p.render(w, r, status, p.pages.approve, data)
	default:
		p.render(w, r, status, p.pages.errorPage, data)
	}
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	return w
}

// TestPagesChinese checks that every visible string of the pages is
// Chinese under zh-CN: once the values the page carries (RP name, purpose,
// reference, the brand, the switch link) are taken out, no Latin letter
// is left; and that no English phrase of the catalogue survives.
func TestPagesChinese(t *testing.T) {
	p := testPagesProvider(t)
	allowed := []string{"netid wallet approve", "netid wallet code", testApproveURL, testCode, testRPName, testPurpose, "netid",
		"English", "req-7", "14", "16", "18", "60", "30"}
	for _, tt := range testViews(p) {
		t.Run(tt.name, func(t *testing.T) {
			w := renderTest(t, p, "/"+tt.page+"?id=ID1", "zh-CN,zh;q=0.9,en;q=0.5", tt.status, tt.page, tt.data)
			body := w.Body.String()
			if m := htmlLangRE.FindStringSubmatch(body); m == nil || m[1] != "zh-CN" {
				t.Errorf("html lang = %v, want zh-CN", m)
			}
			if got := w.Header().Get("Content-Language"); got != "zh-CN" {
				t.Errorf("Content-Language = %q, want zh-CN", got)
			}
			for _, s := range visibleText(body) {
				rest := s
				for _, a := range allowed {
					rest = strings.ReplaceAll(rest, a, "")
				}
				if strings.IndexFunc(rest, func(r rune) bool { return r < unicode.MaxASCII && unicode.IsLetter(r) }) >= 0 {
					t.Errorf("English left in %q", s)
				}
			}
			for key, en := range catalogueEN {
				for _, frag := range regexp.MustCompile(`%(\[\d+\])?[a-z]|<[^>]+>`).Split(en, -1) {
					if frag = strings.TrimSpace(frag); len(frag) >= 6 && strings.Contains(body, html.EscapeString(frag)) {
						t.Errorf("English phrase %q of %q in the page", frag, key)
					}
				}
			}
			if strings.Contains(body, "[") {
				t.Errorf("a message key is missing: %s", body)
			}
		})
	}
}

// TestPagesEnglish checks the English pages carry no Chinese but the
// switch link's own name.
func TestPagesEnglish(t *testing.T) {
	p := testPagesProvider(t)
	for _, tt := range testViews(p) {
		t.Run(tt.name, func(t *testing.T) {
			w := renderTest(t, p, "/"+tt.page+"?id=ID1", "", tt.status, tt.page, tt.data)
			body := w.Body.String()
			if m := htmlLangRE.FindStringSubmatch(body); m == nil || m[1] != "en" {
				t.Errorf("html lang = %v, want en", m)
			}
			for _, s := range visibleText(body) {
				if s == "中文" {
					continue
				}
				if strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0 {
					t.Errorf("Chinese in the English page: %q", s)
				}
			}
			if !strings.Contains(body, `lang="zh-CN">中文</a>`) {
				t.Errorf("no switch link to Chinese in %s", body)
			}
		})
	}
}

// TestConsentPageChinese spot-checks the consent page: claim labels and the
// RP's purpose in Chinese, form shape unchanged.
func TestConsentPageChinese(t *testing.T) {
	p := testPagesProvider(t)
	v := consentView{RPName: testRPName, Action: pathConsent, ID: "ID1", CSRF: "C1",
		Items: []consentItemView{{Claim: string(rp.ClaimAgeOver18), Label: claimLabels[rp.ClaimAgeOver18], Purpose: testPurpose}}}
	body := renderTest(t, p, "/consent?id=ID1&lang=zh-CN", "", 200, "consent", v).Body.String()
	for _, want := range []string{
		"<title>与 Example Shop 共享信息 · netid</title>",
		`<input type="checkbox" name="claim" value="age_over_18"> 您是否已满 18 周岁`,
		"Example Shop 声明的用途：age check",
		`<form method="post" action="/consent">`,
		`<input type="hidden" name="id" value="ID1">`,
		`<input type="hidden" name="csrf" value="C1">`,
		`<button type="submit" name="action" value="allow">继续</button>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("consent page lacks %q:\n%s", want, body)
		}
	}
}

func TestLanguageSwitch(t *testing.T) {
	p := testPagesProvider(t)
	login := loginView{RPName: "<b>RP</b>", Action: pathLogin, ID: "ID1", CSRF: "C1"}
	tests := []struct {
		name, target, accept string
		wantHref             string
		wantCookie           string
	}{
		{"english page links to chinese", "/login?id=ID1", "", "?id=ID1&amp;lang=zh-CN", ""},
		{"chinese page links to english", "/login?id=ID1", "zh-CN", "?id=ID1&amp;lang=en", ""},
		{"explicit switch is remembered", "/login?id=ID1&lang=zh-CN", "", "?id=ID1&amp;lang=en", "zh-CN"},
		{"absolute-looking query stays a query", "/login?id=%2F%2Fevil.example&lang=en", "zh-CN", "?id=%2F%2Fevil.example&amp;lang=zh-CN", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := renderTest(t, p, tt.target, tt.accept, 200, "login", login)
			body := w.Body.String()
			if !strings.Contains(body, `<a href="`+tt.wantHref+`"`) {
				t.Errorf("switch link: want href %q in\n%s", tt.wantHref, body)
			}
			if strings.Contains(body, "<b>RP</b>") {
				t.Errorf("RP name not escaped:\n%s", body)
			}
			var got string
			for _, c := range w.Result().Cookies() {
				if c.Name == "__Host-netid-lang" {
					got = c.Value
					if !c.Secure || !c.HttpOnly || c.Path != "/" || c.MaxAge <= 0 {
						t.Errorf("lang cookie %v: want Secure, HttpOnly, Path=/ and a Max-Age", c)
					}
				}
			}
			if got != tt.wantCookie {
				t.Errorf("lang cookie = %q, want %q", got, tt.wantCookie)
			}
		})
	}

	// A page rendered for a POST keeps only the interaction id.
	r := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"id": {"ID9"}, "password": {"secret"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	if got, want := switchHref(r, langZH), "?id=ID9&lang=zh-CN"; got != want {
		t.Errorf("switchHref after POST = %q, want %q", got, want)
	}
}
