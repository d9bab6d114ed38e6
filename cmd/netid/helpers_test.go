package main

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"
)

// The pieces the end-to-end tests of the commands share: a demo server,
// a resident enrolled with netid wallet enrol, a platform registered with
// netid rp create, and a browser without JavaScript that logs in through
// the provider's forms.

// demoPassword is the password the tests enrol residents with.
const demoPassword = "correct horse battery staple 42"

// demoAdult are the wallet enrol flags of the demo adult.
var demoAdult = []string{"--demo-document", "adult", "--phone", "+8613800138000"}

// startDemoServer starts netid serve --demo with args and waits until it
// is ready.
func startDemoServer(t *testing.T, args ...string) *server {
	t.Helper()
	if !slices.Contains(args, "--data-dir") {
		// Never the default ./netid-data, which would be the package's
		// directory, shared between runs and left behind.
		args = append(args, "--data-dir", filepath.Join(t.TempDir(), "data"))
	}
	s := startServer(t, append([]string{"--demo"}, args...)...)
	s.waitReady(t)
	return s
}

// passwordFile writes password to a file for --password-file.
func passwordFile(t *testing.T, password string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(f, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// enrolWallet runs netid wallet enrol --json against s into walletDir, with
// the password in pwFile and the flags in args, and returns the summary it
// prints and its progress (stderr).
func enrolWallet(t *testing.T, s *server, walletDir, pwFile string, args ...string) (map[string]string, string) {
	t.Helper()
	args = append([]string{"wallet", "enrol", "--wallet", walletDir, "--server", s.base(), "--password-file", pwFile, "--json"}, args...)
	out, stderr, code := runNetid(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s\nserver log:\n%s", args, code, stderr, s.logs)
	}
	var res map[string]string
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("enrol --json output %q: %v", out, err)
	}
	return res, stderr
}

// runWallet runs netid wallet args[0] --wallet dir args[1:]..., fails the
// test unless it exits with wantCode, and returns its stdout and stderr.
func runWallet(t *testing.T, s *server, dir string, wantCode int, args ...string) (string, string) {
	t.Helper()
	out, stderr, code := runNetid(t, append([]string{"wallet", args[0], "--wallet", dir}, args[1:]...)...)
	if code != wantCode {
		t.Fatalf("wallet %v: exit %d, want %d\n%s\n%s\nserver log:\n%s", args, code, wantCode, out, stderr, s.logs)
	}
	return out, stderr
}

// rpCredentials are what netid rp create --json prints.
type rpCredentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// createRP registers a platform with netid rp create --json and the flags
// in args.
func createRP(t *testing.T, args ...string) rpCredentials {
	t.Helper()
	out, stderr, code := runNetid(t, append(append([]string{"rp", "create"}, args...), "--json")...)
	if code != 0 {
		t.Fatalf("rp create: exit %d\n%s", code, stderr)
	}
	var creds rpCredentials
	if err := json.Unmarshal([]byte(out), &creds); err != nil {
		t.Fatalf("rp create --json = %q: %v", out, err)
	}
	return creds
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenIn   = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)"`)
)

// formTarget fills in the form of page as a browser without JavaScript
// does: it adds the page's hidden inputs to fields and returns the URL the
// form posts to, resolved against pageURL.
func formTarget(page, pageURL string, fields url.Values) (string, error) {
	m := formAction.FindStringSubmatch(page)
	if m == nil {
		return "", fmt.Errorf("no form on %s", pageURL)
	}
	for _, h := range hiddenIn.FindAllStringSubmatch(page, -1) {
		fields.Set(h[1], html.UnescapeString(h[2]))
	}
	base, err := url.Parse(pageURL)
	if err != nil {
		return "", err
	}
	target, err := base.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return "", err
	}
	return target.String(), nil
}

// browser is a client with a cookie jar that fills in forms like a browser
// without JavaScript.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
}

// read returns the body, final URL and status of a response.
func (b *browser) read(res *http.Response, err error) (string, string, int) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body), res.Request.URL.String(), res.StatusCode
}

// page returns the body and final URL of a response that must be 200.
func (b *browser) page(res *http.Response, err error) (string, string) {
	b.t.Helper()
	body, at, status := b.read(res, err)
	if status != http.StatusOK {
		b.t.Fatalf("%s: %d\n%s", at, status, body)
	}
	return body, at
}

func (b *browser) get(u string) (string, string, int) {
	b.t.Helper()
	return b.read(b.c.Get(u))
}

// post posts the page's form with fields and its hidden inputs.
func (b *browser) post(page, pageURL string, fields url.Values) (*http.Response, error) {
	b.t.Helper()
	target, err := formTarget(page, pageURL, fields)
	if err != nil {
		b.t.Fatalf("%v:\n%s", err, page)
	}
	return b.c.PostForm(target, fields)
}

// submit posts the page's form and returns the body, final URL and status
// of the answer.
func (b *browser) submit(page, pageURL string, fields url.Values) (string, string, int) {
	b.t.Helper()
	return b.read(b.post(page, pageURL, fields))
}

// loginThroughDemoPlatform follows /demo/rp through the provider's login
// and consent forms like a browser without JavaScript, allowing
// age_over_18 (and remembering the consent when remember is set), and
// returns the platform's result page.
func loginThroughDemoPlatform(t *testing.T, base, number, password string, remember bool) string {
	t.Helper()
	b := newBrowser(t)
	page, at := b.page(b.c.Get(base + "/demo/rp"))
	page, at = b.page(b.post(page, at, url.Values{"username": {number}, "password": {password}}))
	consent := url.Values{"claim": {"age_over_18"}, "action": {"allow"}}
	if remember {
		consent.Set("remember", "yes")
	}
	page, _ = b.page(b.post(page, at, consent))
	return page
}
