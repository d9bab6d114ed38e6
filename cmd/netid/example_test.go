package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/netid/netid/internal/credential"
)

// examples/enrol.sh, as the README shows it, against serve --demo: it must
// leave a result.json whose certificate is for the internet number it names.
func TestExampleEnrolScript(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed; examples/enrol.sh needs it")
	}
	s := startServer(t, "--demo", "--data-dir", filepath.Join(t.TempDir(), "data"))
	s.waitReady(t)
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command("bash", filepath.Join("..", "..", "examples", "enrol.sh"), "http://"+s.addr, out)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(netidBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("enrol.sh: %v\n%s\nserver:\n%s", err, b, s.logs)
	}
	b, err := os.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		InternetNumber string `json:"internet_number"`
		CertificatePEM string `json:"certificate_pem"`
		Password       string `json:"password"`
		WalletDir      string `json:"wallet_dir"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if _, err := credential.ParseInternetNumber(res.InternetNumber); err != nil {
		t.Errorf("internet_number %q: %v", res.InternetNumber, err)
	}
	blk, _ := pem.Decode([]byte(res.CertificatePEM))
	if blk == nil {
		t.Fatalf("certificate_pem is not PEM: %q", res.CertificatePEM)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != res.InternetNumber {
		t.Errorf("certificate subject %q, want the internet number %q", cert.Subject.CommonName, res.InternetNumber)
	}
	if res.Password == "" {
		t.Error("password is empty")
	}
	if fi, err := os.Stat(filepath.Join(res.WalletDir, "device.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("wallet device key: %v, %v", fi, err)
	}

	// The enrolled resident logs in to the demo platform that --demo
	// registered: a browser's walk through login and consent.
	page := loginThroughDemoPlatform(t, "http://"+s.addr, res.InternetNumber, res.Password)
	for _, want := range []string{"You were verified by netid", "pairwise subject", "low", "age_over_18", "true"} {
		if !strings.Contains(page, want) {
			t.Errorf("the demo platform's page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, res.InternetNumber) {
		t.Error("the demo platform learned the internet number, which it was not approved for")
	}

	// The wallet moves its certificate to a new device key.
	t.Setenv("NETID_PASSWORD", res.Password)
	out2, stderr, code := runNetid(t, "wallet", "renew", "--wallet", res.WalletDir, "--server", "http://"+s.addr)
	if code != 0 {
		t.Fatalf("wallet renew: exit %d: %s", code, stderr)
	}
	var summary struct {
		Certificate struct {
			Serial   string `json:"serial"`
			Verified bool   `json:"verified"`
		} `json:"certificate"`
	}
	if err := json.Unmarshal([]byte(out2), &summary); err != nil {
		t.Fatal(err)
	}
	if summary.Certificate.Serial == cert.SerialNumber.Text(16) || !summary.Certificate.Verified {
		t.Errorf("after renew: certificate %+v; want a new, verified serial (old %x)", summary.Certificate, cert.SerialNumber)
	}
	s.stop(t)
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenIn   = regexp.MustCompile(`<input type="hidden" name="([a-z]+)" value="([^"]*)"`)
)

// loginThroughDemoPlatform follows /demo/rp through the provider's login
// and consent forms like a browser without JavaScript, and returns the
// platform's result page.
func loginThroughDemoPlatform(t *testing.T, base, number, password string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	read := func(res *http.Response, err error) (string, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d\n%s", res.Request.URL, res.StatusCode, b)
		}
		return string(b), res.Request.URL.String()
	}
	submit := func(page, pageURL string, fields url.Values) (string, string) {
		t.Helper()
		m := formAction.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no form on %s:\n%s", pageURL, page)
		}
		for _, h := range hiddenIn.FindAllStringSubmatch(page, -1) {
			fields.Set(h[1], html.UnescapeString(h[2]))
		}
		action, err := url.Parse(pageURL)
		if err != nil {
			t.Fatal(err)
		}
		target, err := action.Parse(html.UnescapeString(m[1]))
		if err != nil {
			t.Fatal(err)
		}
		return read(c.PostForm(target.String(), fields))
	}
	page, at := read(c.Get(base + "/demo/rp"))
	page, at = submit(page, at, url.Values{"username": {number}, "password": {password}})
	page, _ = submit(page, at, url.Values{"claim": {"age_over_18"}, "action": {"allow"}})
	return page
}
