package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A wallet enrolled against netid serve --demo presents its certificate;
// the platform verifies the presentation offline with netid verify (CA
// certificates and CRL fetched beforehand) and online with the
// verification API, which gives a pairwise subject instead of the
// internet number.
func TestWalletPresentAndVerify(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	creds := createRP(t, "--data-dir", dataDir,
		"--name", "Example Shop", "--redirect-uri", "https://shop.example/cb", "--min-acr", "substantial")
	s := startDemoServer(t, "--data-dir", dataDir)
	server := s.base()
	tmp := t.TempDir()
	walletDir := filepath.Join(tmp, "wallet")
	enrolled, _ := enrolWallet(t, s, walletDir, passwordFile(t, demoPassword), demoAdult...)
	number := enrolled["internet_number"]

	caFile, crlFile, certFile := filepath.Join(tmp, "ca.pem"), filepath.Join(tmp, "crl.der"), filepath.Join(tmp, "cert.pem")
	fetch(t, server+"/ca.pem", caFile)
	fetch(t, server+"/crl", crlFile)
	if err := os.WriteFile(certFile, []byte(enrolled["certificate_pem"]), 0o600); err != nil {
		t.Fatal(err)
	}

	const challenge = "a challenge from the shop 0042"
	present := func(t *testing.T, args ...string) string {
		t.Helper()
		out, stderr, code := runNetid(t, append([]string{"wallet", "present", "--wallet", walletDir,
			"--client-id", creds.ClientID, "--challenge", challenge}, args...)...)
		if code != 0 {
			t.Fatalf("wallet present %v: exit %d\n%s", args, code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		return lines[len(lines)-1]
	}
	text := present(t, "--disclose", "birth_date")
	if !strings.HasPrefix(text, "NETID1:") {
		t.Fatalf("wallet present printed %q, want NETID1:...", text)
	}
	if out, _, _ := runNetid(t, "wallet", "present", "--wallet", walletDir, "--client-id", creds.ClientID,
		"--challenge", challenge, "--qr"); !strings.Contains(out, "█") || !strings.Contains(out, "NETID1:") {
		t.Errorf("wallet present --qr printed no QR code:\n%s", out)
	}
	if _, stderr, code := runNetid(t, "wallet", "present", "--wallet", walletDir, "--client-id", creds.ClientID,
		"--challenge", challenge, "--disclose", "shoe_size"); code != exitRefused || !strings.Contains(stderr, "no such attribute") {
		t.Errorf("wallet present --disclose shoe_size: exit %d, %s; want %d, no such attribute", code, stderr, exitRefused)
	}

	// Offline.
	out, stderr, code := runNetid(t, "verify", "--presentation", text, "--ca", caFile, "--crl", crlFile,
		"--client-id", creds.ClientID, "--challenge", challenge)
	var res verifyResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("verify: exit %d, %s\n%s", code, out, stderr)
	}
	if !res.Valid || res.InternetNumber != number || !res.RevocationChecked || res.Disclosed["birth_date"] == "" || res.Serial == "" {
		t.Errorf("verify = %+v; want valid, %s, revocation checked, birth_date, a serial", res, number)
	}
	out, stderr, code = runNetid(t, "verify", "--presentation", text, "--ca", caFile, "--crl", crlFile,
		"--client-id", "rp-another", "--challenge", challenge)
	if code != exitRefused || !strings.Contains(out, "another client id") {
		t.Errorf("verify for another client id: exit %d, %s %s; want %d", code, out, stderr, exitRefused)
	}
	out, stderr, code = runNetid(t, "verify", "--cert", certFile, "--ca", caFile, "--crl", crlFile)
	var certRes verifyResult
	if code != 0 || json.Unmarshal([]byte(out), &certRes) != nil || !certRes.Valid || certRes.InternetNumber != number || certRes.Serial != res.Serial {
		t.Errorf("verify --cert: exit %d, %s %s; want valid, %s, serial %s", code, out, stderr, number, res.Serial)
	}

	// Online: the pairwise subject, not the internet number.
	body := `{"presentation":"` + text + `","challenge":"` + challenge + `"}`
	req, err := http.NewRequest(http.MethodPost, server+"/v1/presentations/verify", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(creds.ClientID, creds.ClientSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var online map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &online) != nil {
		t.Fatalf("POST /v1/presentations/verify: %d %s\nserver log:\n%s", resp.StatusCode, b, s.logs)
	}
	if online["valid"] != true || online["sub"] == "" || online["assurance_level"] != "substantial" || strings.Contains(string(b), number) {
		t.Errorf("online verification = %s; want valid, a sub, substantial, no internet number", b)
	}
}

// fetch saves url's body to file.
func fetch(t *testing.T, url, file string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v", url, res.StatusCode, err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
