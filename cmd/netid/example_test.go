package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netid/netid/internal/credential"
)

// examples/enrol.sh, as the README shows it, against serve --demo: it must
// leave a result.json whose certificate is for the internet number it names.
func TestExampleEnrolScript(t *testing.T) {
	skipWithoutPython(t)
	s := startDemoServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	res := enrolWithScript(t, s)
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
	page := loginThroughDemoPlatform(t, s.base(), res.InternetNumber, res.Password, false)
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

// skipWithoutPython skips a test of examples/enrol.sh where python3, which
// the script needs, is not installed.
func skipWithoutPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed; examples/enrol.sh needs it")
	}
}

// enrolScriptResult is the result.json examples/enrol.sh leaves.
type enrolScriptResult struct {
	InternetNumber string `json:"internet_number"`
	CertificatePEM string `json:"certificate_pem"`
	Password       string `json:"password"`
	WalletDir      string `json:"wallet_dir"`
}

// enrolWithScript enrols the demo adult with examples/enrol.sh, as the
// README shows it, against s and returns its result.json.
func enrolWithScript(t *testing.T, s *server) enrolScriptResult {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command("bash", filepath.Join("..", "..", "examples", "enrol.sh"), s.base(), out)
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(netidBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("enrol.sh: %v\n%s\nserver:\n%s", err, b, s.logs)
	}
	b, err := os.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res enrolScriptResult
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return res
}
