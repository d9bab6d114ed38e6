package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestWalletApprove runs netid wallet approve against netid serve --demo:
// the second factor of a browser sign-in at a platform whose minimum level
// is substantial (the wallet approves the URL the page shows, and the
// browser continues to the platform with a code), and a QR login (RFC
// 8628) started with x/oauth2, released claims as --allow says, tokens at
// the platform's first poll. A code given twice, a URL of another server
// and a malformed code are refused.
func TestWalletApprove(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	creds := createRP(t, "--data-dir", dataDir, "--name", "Example Shop",
		"--redirect-uri", "https://shop.example/cb", "--min-acr", "substantial",
		"--claim", "age_over_18=to sell wine to adults only", "--claim", "name=to address the parcel")
	s := startDemoServer(t, "--data-dir", dataDir)
	server := s.base()
	walletDir := filepath.Join(t.TempDir(), "wallet")
	enrolled, _ := enrolWallet(t, s, walletDir, passwordFile(t, demoPassword), demoAdult...)
	approve := func(args ...string) (string, string, int) {
		t.Helper()
		return runNetid(t, append([]string{"wallet", "approve", "--wallet", walletDir}, args...)...)
	}

	t.Run("second factor of a browser sign-in", func(t *testing.T) {
		jar, err := cookiejar.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		cfg := oauth2.Config{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, RedirectURL: "https://shop.example/cb",
			Endpoint: oauth2.Endpoint{AuthURL: server + "/oidc/authorize", TokenURL: server + "/oidc/token"},
			Scopes:   []string{"openid", "age_over_18"}}
		verifier := oauth2.GenerateVerifier()
		loc := approvalRedirect(t, browser, cfg.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)), nil)
		abs := func(loc string) string {
			if strings.HasPrefix(loc, "/") {
				return server + loc
			}
			return loc
		}
		loginPage := approvalPage(t, browser, abs(loc))
		form := approvalHidden(loginPage)
		form.Set("username", enrolled["internet_number"])
		form.Set("password", demoPassword)
		loc = approvalRedirect(t, browser, server+"/login", form)
		if !strings.HasPrefix(loc, "/login/second-factor?") {
			t.Fatalf("after the password: Location %q, want the second-factor page", loc)
		}
		page := approvalPage(t, browser, abs(loc))
		m := regexp.MustCompile(`netid wallet approve (http://[^<\s]+)`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("the second-factor page shows no approval URL:\n%s", page)
		}
		if out, stderr, code := approve("--allow", "age_over_18", html.UnescapeString(m[1])); code != exitRefused ||
			!strings.Contains(stderr, "consent is given") {
			t.Errorf("approve --allow of a browser sign-in: exit %d %s %s; want %d, consent in the browser", code, out, stderr, exitRefused)
		}
		out, stderr, code := approve(html.UnescapeString(m[1]))
		if code != 0 || !strings.Contains(out, "Example Shop") || !strings.Contains(out, "approved: continue in the browser") ||
			!strings.Contains(out, "age_over_18") {
			t.Fatalf("wallet approve: exit %d\n%s\n%s\nserver log:\n%s", code, out, stderr, s.logs)
		}
		// The page's refresh: on to the consent page, then to the shop.
		loc = approvalRedirect(t, browser, abs(loc), nil)
		if !strings.HasPrefix(loc, "/consent?") {
			t.Fatalf("after the approval: Location %q, want the consent page", loc)
		}
		consent := approvalHidden(approvalPage(t, browser, abs(loc)))
		consent.Set("action", "allow")
		consent.Set("claim", "age_over_18")
		loc = approvalRedirect(t, browser, server+"/consent", consent)
		cb, err := url.Parse(loc)
		if err != nil || !strings.HasPrefix(loc, "https://shop.example/cb?") || cb.Query().Get("code") == "" {
			t.Fatalf("after consent: Location %q, want the shop with a code", loc)
		}
		tok, err := cfg.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("code exchange: %v", err)
		}
		claims := approvalIDClaims(t, tok.Extra("id_token"))
		if claims["acr"] != "substantial" || strings.Join(approvalStrings(claims["amr"]), " ") != "pwd swk mfa" {
			t.Errorf("ID token acr %v amr %v, want substantial [pwd swk mfa]", claims["acr"], claims["amr"])
		}
	})

	t.Run("QR login", func(t *testing.T) {
		ctx := context.Background()
		cfg := oauth2.Config{ClientID: creds.ClientID, ClientSecret: creds.ClientSecret,
			Endpoint: oauth2.Endpoint{DeviceAuthURL: server + "/oidc/device_authorization", TokenURL: server + "/oidc/token"},
			Scopes:   []string{"openid", "age_over_18", "name"}}
		da, err := cfg.DeviceAuth(ctx, oauth2.SetAuthURLParam("client_secret", creds.ClientSecret))
		if err != nil {
			t.Fatalf("DeviceAuth: %v", err)
		}
		out, stderr, code := approve("--show", da.VerificationURIComplete)
		if code != 0 || !strings.Contains(out, "QR login") || !strings.Contains(out, "to sell wine to adults only") ||
			!strings.Contains(out, "name (identity data in plain text") {
			t.Errorf("approve --show: exit %d\n%s\n%s", code, out, stderr)
		}
		out, stderr, code = approve("--allow", "age_over_18", "--json", da.VerificationURIComplete)
		var got struct {
			Result struct {
				Status   string   `json:"status"`
				Released []string `json:"released"`
			} `json:"result"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got.Result.Status != "approved" ||
			strings.Join(got.Result.Released, ",") != "age_over_18" {
			t.Fatalf("wallet approve --allow age_over_18: exit %d\n%s\n%s", code, out, stderr)
		}
		if _, stderr, code := approve(da.UserCode); code != exitRefused || !strings.Contains(stderr, "approved or denied already") {
			t.Errorf("approving twice: exit %d %s, want %d, decided already", code, stderr, exitRefused)
		}
		// The platform's first poll (a single request: x/oauth2's loop
		// would wait the 5-second interval first).
		form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {da.DeviceCode},
			"client_id": {creds.ClientID}, "client_secret": {creds.ClientSecret}}
		res, err := http.PostForm(server+"/oidc/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var tok map[string]any
		if err := json.NewDecoder(res.Body).Decode(&tok); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("token poll: %d %v %v", res.StatusCode, tok, err)
		}
		claims := approvalIDClaims(t, tok["id_token"])
		if claims["acr"] != "substantial" || claims["age_over_18"] != true || claims["name"] != nil {
			t.Errorf("ID token %v, want substantial with age_over_18 and no name", claims)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		if _, stderr, code := approve("https://elsewhere.example/approve/K7QM-3XWD"); code != exitRefused ||
			!strings.Contains(stderr, "another server") {
			t.Errorf("another server's URL: exit %d %s, want %d", code, stderr, exitRefused)
		}
		if _, stderr, code := approve("K7QM-3XW"); code != exitUsage {
			t.Errorf("a malformed code: exit %d %s, want %d", code, stderr, exitUsage)
		}
		if _, stderr, code := approve("K7QM-3XWD", "--deny"); code != exitUsage || !strings.Contains(stderr, "after the flags") {
			t.Errorf("flags after the code: exit %d %s, want %d", code, stderr, exitUsage)
		}
		if _, stderr, code := approve("K7QM-3XWD"); code != exitRefused || !strings.Contains(stderr, "no sign-in waits") {
			t.Errorf("an unknown code: exit %d %s, want %d, no sign-in waits", code, stderr, exitRefused)
		}
	})
}

// approvalRedirect requests u (a POST of form when not nil) and returns the
// redirect's Location.
func approvalRedirect(t *testing.T, c *http.Client, u string, form url.Values) string {
	t.Helper()
	var res *http.Response
	var err error
	if form != nil {
		res, err = c.PostForm(u, form)
	} else {
		res, err = c.Get(u)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
		t.Fatalf("%s: status %d, want a redirect\n%s", u, res.StatusCode, b)
	}
	return res.Header.Get("Location")
}

// approvalPage returns the body of a page that must answer 200.
func approvalPage(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	page, _ := (&browser{t: t, c: c}).page(c.Get(u))
	return page
}

var approvalHiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// approvalHidden are a page's hidden form fields.
func approvalHidden(page string) url.Values {
	v := url.Values{}
	for _, m := range approvalHiddenInput.FindAllStringSubmatch(page, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// approvalIDClaims decodes an ID token's payload (its signature is checked
// by the go-oidc tests of internal/oidc).
func approvalIDClaims(t *testing.T, raw any) map[string]any {
	t.Helper()
	s, _ := raw.(string)
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		t.Fatalf("id_token %q is not a JWS", s)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{}
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func approvalStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
