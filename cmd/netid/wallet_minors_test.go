package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
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
	s := startServer(t, "--demo", "--data-dir", filepath.Join(t.TempDir(), "data"))
	s.waitReady(t)
	server := "http://" + s.addr
	tmp := t.TempDir()
	pwFile := filepath.Join(tmp, "password")
	const password = "correct horse battery staple 42"
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	enrol := func(t *testing.T, dir string, args ...string) string {
		t.Helper()
		args = append([]string{"wallet", "enrol", "--wallet", dir, "--server", server, "--password-file", pwFile, "--json"}, args...)
		out, stderr, code := runNetid(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s\nserver log:\n%s", args, code, stderr, s.logs)
		}
		var res map[string]string
		if err := json.Unmarshal([]byte(out), &res); err != nil || res["internet_number"] == "" {
			t.Fatalf("enrol --json = %q (%v)", out, err)
		}
		return res["internet_number"]
	}
	guardianDir, childDir := filepath.Join(tmp, "guardian"), filepath.Join(tmp, "child")
	guardian := enrol(t, guardianDir, "--demo-document", "adult", "--phone", "+8613800138000")
	child := enrol(t, childDir, "--demo-document", "child", "--guardian-number", guardian,
		"--guardian-password", password, "--guardian-evidence-reference", "BC-0002")
	loginRemembering(t, server, child, password)

	wallet := func(t *testing.T, dir string, wantCode int, args ...string) (string, string) {
		t.Helper()
		out, stderr, code := runNetid(t, append([]string{"wallet", args[0], "--wallet", dir}, args[1:]...)...)
		if code != wantCode {
			t.Fatalf("wallet %v: exit %d, want %d\n%s\n%s\nserver log:\n%s", args, code, wantCode, out, stderr, s.logs)
		}
		return out, stderr
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
