package main

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The platform of examples/rp, which uses only go-oidc and x/oauth2, logs
// an enrolled resident in against serve --demo as docs/relying-parties.md
// describes: registered with netid rp create, through the provider's login
// and consent forms, to a page showing a pairwise subject and level low;
// asking for high (no login reaches it) is refused with unmet_authentication_requirements;
// logging out ends the provider's session too.
func TestExampleRP(t *testing.T) {
	skipWithoutPython(t)
	rpBin := filepath.Join(t.TempDir(), "rp")
	if out, err := exec.Command("go", "build", "-o", rpBin, "github.com/netid/netid/examples/rp").CombinedOutput(); err != nil {
		t.Fatalf("building examples/rp: %v\n%s", err, out)
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	s := startDemoServer(t, "--data-dir", dataDir)
	issuer := s.base()
	enrolled := enrolWithScript(t, s)
	number, password := enrolled.InternetNumber, enrolled.Password

	// The operator registers the platform, in its own sector so that its
	// subject differs from the demo platform's.
	rpAddr := freeAddr(t)
	creds := createRP(t, "--data-dir", dataDir, "--name", "Example platform",
		"--redirect-uri", "http://"+rpAddr+"/callback", "--post-logout-redirect-uri", "http://"+rpAddr+"/",
		"--sector", "platform.example", "--claim", "age_over_18=to show age-restricted content")
	demoSub := subjectOf(t, loginThroughDemoPlatform(t, issuer, number, password, false))

	t.Run("low", func(t *testing.T) {
		base, logs := startExampleRP(t, rpBin, rpAddr, issuer, creds.ClientID, creds.ClientSecret, "")
		b := newBrowser(t)
		page, at, _ := b.get(base + "/login")
		page, at, _ = b.submit(page, at, url.Values{"username": {number}, "password": {password}})
		page, _, status := b.submit(page, at, url.Values{"claim": {"age_over_18"}, "action": {"allow"}})
		if status != http.StatusOK {
			t.Fatalf("callback: status %d, want 200\n%s\nrp:\n%s", status, page, logs)
		}
		sub := subjectOf(t, page)
		if sub == demoSub {
			t.Errorf("subject %q is the demo platform's too, want a pairwise subject per sector", sub)
		}
		for _, want := range []string{`<td id="acr">low</td>`, "pwd", "<th scope=\"row\">age_over_18</th><td>true</td>"} {
			if !strings.Contains(page, want) {
				t.Errorf("the result page lacks %q:\n%s", want, page)
			}
		}
		if strings.Contains(page, number) {
			t.Error("the platform learned the internet number, which it was not approved for")
		}
		if strings.Contains(logs.String(), creds.ClientSecret) {
			t.Error("the platform logged its client secret")
		}

		// Logging out ends the provider's session: the next login asks
		// for the password again instead of single sign-on.
		page, at, status = b.get(base + "/logout")
		if status != http.StatusOK || at != base+"/" || !strings.Contains(page, "Log in with netid") {
			t.Errorf("logout ended at %s with %d, want the platform's home page\n%s", at, status, page)
		}
		page, at, _ = b.get(base + "/login")
		if !strings.Contains(page, `name="password"`) {
			t.Errorf("after logout, /login reached %s without the provider's login form:\n%s", at, page)
		}
	})

	t.Run("high refused", func(t *testing.T) {
		base, logs := startExampleRP(t, rpBin, rpAddr, issuer, creds.ClientID, creds.ClientSecret, "high")
		b := newBrowser(t)
		page, at, status := b.get(base + "/login")
		if status != http.StatusForbidden || !strings.HasPrefix(at, base+"/callback") ||
			!strings.Contains(page, `<code id="error">unmet_authentication_requirements</code>`) {
			t.Errorf("acr high: %s answered %d, want the platform's 403 page naming unmet_authentication_requirements\n%s\nrp:\n%s",
				at, status, page, logs)
		}
	})
	s.stop(t)
}

// startExampleRP runs the example platform on addr (a redirect URL of
// http://addr/callback) and waits until it answers; the bound is generous
// for a loaded machine and is not an assertion on speed.
func startExampleRP(t *testing.T, bin, addr, issuer, clientID, secret, acr string) (string, *syncBuffer) {
	t.Helper()
	base := "http://" + addr
	logs := new(syncBuffer)
	cmd := exec.Command(bin, "--issuer", issuer, "--client-id", clientID, "--listen", addr,
		"--redirect-url", base+"/callback", "--scopes", "openid age_over_18", "--acr", acr)
	// The secret through the environment, as the example recommends.
	cmd.Env = append(os.Environ(), "RP_CLIENT_SECRET="+secret)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("examples/rp exited before listening: %v\n%s", err, logs)
		default:
		}
		if res, err := http.Get(base + "/"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base, logs
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("examples/rp not listening in time\n%s", logs)
	return "", nil
}

var subjectCode = regexp.MustCompile(`pairwise subject \(sub\)</th><td><code[^>]*>([^<]+)</code>`)

// subjectOf returns the subject a platform's result page shows.
func subjectOf(t *testing.T, page string) string {
	t.Helper()
	m := subjectCode.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no pairwise subject on the page:\n%s", page)
	}
	return html.UnescapeString(m[1])
}
