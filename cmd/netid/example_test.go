package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
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
	s.stop(t)
}
