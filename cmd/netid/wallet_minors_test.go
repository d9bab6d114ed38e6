package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// A guardian enrolled with serve --demo applies for a child; from the
// guardian's wallet, netid wallet minors lists the child, and --minor
// lists the child's consents and certificates and locks and unlocks a
// method of the child's account, which stops the child's own password
// login meanwhile. The child, who guards no one, lists no minor and gets
// "not found" for the same id.
func TestWalletMinors(t *testing.T) {
	s := startDemoServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	server := s.base()
	tmp := t.TempDir()
	const password = demoPassword
	pwFile := passwordFile(t, password)
	enrol := func(t *testing.T, dir string, args ...string) string {
		t.Helper()
		res, _ := enrolWallet(t, s, dir, pwFile, args...)
		if res["internet_number"] == "" {
			t.Fatalf("enrol --json = %v, want an internet number", res)
		}
		return res["internet_number"]
	}
	guardianDir, childDir := filepath.Join(tmp, "guardian"), filepath.Join(tmp, "child")
	guardian := enrol(t, guardianDir, demoAdult...)
	child := enrol(t, childDir, "--demo-document", "child", "--guardian-number", guardian,
		"--guardian-password", password, "--guardian-evidence-reference", "BC-0002")
	loginThroughDemoPlatform(t, server, child, password, true)

	wallet := func(t *testing.T, dir string, wantCode int, args ...string) (string, string) {
		t.Helper()
		return runWallet(t, s, dir, wantCode, args...)
	}

	out, _ := wallet(t, guardianDir, 0, "minors", "--json")
	var minors []struct {
		ID               string `json:"id"`
		InternetNumber   string `json:"internet_number"`
		Status           string `json:"status"`
		GuardianshipEnds string `json:"guardianship_ends"`
	}
	if err := json.Unmarshal([]byte(out), &minors); err != nil || len(minors) != 1 || minors[0].InternetNumber != child ||
		minors[0].ID == "" || minors[0].Status != "active" || minors[0].GuardianshipEnds == "" {
		t.Fatalf("wallet minors --json = %s (%v), want the child %s", out, err, child)
	}
	id := minors[0].ID
	out, _ = wallet(t, guardianDir, 0, "minors")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 || !strings.Contains(lines[0], "GUARDIANSHIP ENDS") ||
		!strings.Contains(lines[1], id) || !strings.Contains(lines[1], child) || !strings.Contains(lines[1], minors[0].GuardianshipEnds) {
		t.Errorf("wallet minors =\n%s", out)
	}

	out, _ = wallet(t, guardianDir, 0, "consents", "--minor", id)
	var consents []struct {
		ClientID   string `json:"client_id"`
		Remembered bool   `json:"remembered"`
	}
	if err := json.Unmarshal([]byte(out), &consents); err != nil || len(consents) != 1 || !consents[0].Remembered {
		t.Fatalf("wallet consents --minor = %s (%v), want the child's remembered consent", out, err)
	}
	out, _ = wallet(t, guardianDir, 0, "consents")
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("the guardian's own consents = %s, want none", out)
	}
	out, _ = wallet(t, guardianDir, 0, "certificates", "--minor", id)
	var certs []struct {
		Serial string `json:"serial"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &certs); err != nil || len(certs) != 1 || certs[0].Status != "valid" {
		t.Fatalf("wallet certificates --minor = %s (%v)", out, err)
	}
	out, _ = wallet(t, guardianDir, 0, "certificates")
	if strings.Contains(out, certs[0].Serial) {
		t.Errorf("the guardian's own certificates list the child's %s:\n%s", certs[0].Serial, out)
	}

	out, _ = wallet(t, guardianDir, 0, "lock", "--minor", id, "password")
	if !strings.Contains(out, `"method": "password"`) || !strings.Contains(out, `"locked": true`) {
		t.Errorf("wallet lock --minor = %s", out)
	}
	// The lock is the child's: their password sign-in stops, the
	// guardian's does not.
	for _, tt := range []struct {
		number string
		want   int
	}{{child, http.StatusForbidden}, {guardian, http.StatusCreated}} {
		body, _ := json.Marshal(map[string]string{"username": tt.number, "password": password})
		res, err := http.Post(server+"/v1/me/sessions", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.want || tt.want != http.StatusCreated && !strings.Contains(string(b), "method-locked") {
			t.Errorf("password sign-in of %s while the child's password is locked: %d %s, want %d", tt.number, res.StatusCode, b, tt.want)
		}
	}
	out, _ = wallet(t, guardianDir, 0, "unlock", "--minor", id, "password")
	if !strings.Contains(out, `"locked": false`) {
		t.Errorf("wallet unlock --minor = %s", out)
	}
	wallet(t, guardianDir, exitUsage, "lock", "--minor", id)
	wallet(t, guardianDir, exitRefused, "lock", "--minor", id, "fingerprint")

	// The child guards no one: no minors, and the same id is not found.
	_, stderr := wallet(t, childDir, 0, "minors")
	if !strings.Contains(stderr, "guardian of no minor") {
		t.Errorf("the child's wallet minors said %q", stderr)
	}
	for _, args := range [][]string{
		{"consents", "--minor", id},
		{"certificates", "--minor", id},
		{"lock", "--minor", id, "password"},
		{"unlock", "--minor", id, "account"},
		{"consents", "--minor", id, "--withdraw", consents[0].ClientID},
		{"certificates", "--minor", id, "--revoke", certs[0].Serial},
	} {
		_, stderr := wallet(t, childDir, exitRefused, args...)
		if !strings.Contains(stderr, "not found among your account's records") {
			t.Errorf("the child's wallet %v said %q, want not found", args, stderr)
		}
	}
	// Nothing the child tried changed the child's account.
	out, _ = wallet(t, guardianDir, 0, "certificates", "--minor", id)
	if !strings.Contains(out, `"status": "valid"`) {
		t.Errorf("the child's certificate after the refusals = %s", out)
	}
	out, _ = wallet(t, guardianDir, 0, "consents", "--minor", id, "--withdraw", consents[0].ClientID)
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("the child's consents after the guardian's withdrawal = %s", out)
	}
}
