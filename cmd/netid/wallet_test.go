package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The wallet commands that need no server: init, show, code, and the
// refusals of enrol that come before any request.
func TestWalletCommandsOffline(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w")
	stdout, stderr, code := runNetid(t, "wallet", "init", "--wallet", dir, "--suite", "sm")
	if code != 0 {
		t.Fatalf("wallet init: exit %d\n%s", code, stderr)
	}
	var sum struct {
		WalletDir, Suite, Status string
		DeviceKeySHA256          string `json:"device_key_sha256"`
		Secrets                  any
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("wallet init output %q: %v", stdout, err)
	}
	if sum.Suite != "sm" || sum.Status != "new" || len(sum.DeviceKeySHA256) != 64 {
		t.Errorf("wallet init summary = %+v, want suite sm, status new, a fingerprint", sum)
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "device.key"): 0o600, filepath.Join(dir, "wallet.json"): 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("mode of %s = %04o, want %04o", path, got, want)
		}
	}

	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		want     []string // in stderr
	}{
		{"init twice", []string{"wallet", "init", "--wallet", dir}, nil, exitRefused, []string{"already holds a wallet"}},
		{"code before enrolment", []string{"wallet", "code", "--wallet", dir}, nil, exitRefused, []string{"not enrolled"}},
		{"show a missing wallet", []string{"wallet", "show", "--wallet", filepath.Join(dir, "nope")}, nil, exitRefused, []string{"no wallet", "--wallet DIR"}},
		{"enrol without a document", []string{"wallet", "enrol", "--wallet", dir, "--password", "x"}, nil, exitNeedsInput,
			[]string{"a document is needed", "--chip FILE", "--demo-document NAME"}},
		{"enrol without a password", []string{"wallet", "enrol", "--wallet", dir, "--authority-number", "1", "--name", "N", "--birth-date", "2000-01-01"},
			map[string]string{walletPasswordEnv: ""}, exitNeedsInput, []string{"password is needed", walletPasswordEnv}},
		{"enrol with an empty password", []string{"wallet", "enrol", "--wallet", dir, "--password", ""}, nil, exitUsage, []string{"--password is empty"}},
		{"enrol with conflicting flags", []string{"wallet", "enrol", "--wallet", dir, "--chip", "c.json", "--demo-document", "adult",
			"--code", "1", "--code-file", "f", "--guardian-number", "X"}, nil, exitUsage,
			[]string{"one of --chip", "--code or --code-file", "go together"}},
		{"enrol with the other suite", []string{"wallet", "enrol", "--wallet", dir, "--suite", "intl", "--password", "x"}, nil, exitUsage,
			[]string{"has a sm device key"}},
		{"approve without the minor", []string{"wallet", "approve-minor", "--wallet", dir}, nil, exitUsage,
			[]string{"--minor", "--approval-code", "--evidence-reference"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, stderr, code := runNetid(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\n%s", code, tt.wantCode, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}

	// The password comes from NETID_PASSWORD when no flag gives
	// one: then only the document is missing.
	t.Setenv(walletPasswordEnv, "from the environment")
	_, stderr, code = runNetid(t, "wallet", "enrol", "--wallet", dir)
	if code != exitNeedsInput || !strings.Contains(stderr, "a document is needed") {
		t.Errorf("enrol with %s: exit %d, want %d asking for a document\n%s", walletPasswordEnv, code, exitNeedsInput, stderr)
	}
}

// netid wallet enrol --demo against netid serve --demo: an adult, then a
// minor who waits for the adult's approval, then a child the adult applies
// for, each to a verified certificate.
func TestWalletEnrolDemo(t *testing.T) {
	s := startServer(t, "--demo", "--data-dir", filepath.Join(t.TempDir(), "data"))
	s.waitReady(t)
	server := "http://" + s.addr
	tmp := t.TempDir()
	pwFile := filepath.Join(tmp, "password")
	if err := os.WriteFile(pwFile, []byte("correct horse battery staple 42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	enrol := func(t *testing.T, wallet string, args ...string) map[string]string {
		t.Helper()
		args = append([]string{"wallet", "enrol", "--wallet", wallet, "--server", server, "--password-file", pwFile, "--json"}, args...)
		stdout, stderr, code := runNetid(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s\nserver log:\n%s", args, code, stderr, s.logs)
		}
		var res map[string]string
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("enrol --json output %q: %v", stdout, err)
		}
		if res["wallet_dir"] != wallet || !strings.HasPrefix(res["certificate_pem"], "-----BEGIN CERTIFICATE-----") || res["internet_number"] == "" {
			t.Errorf("enrol --json = %v, want wallet_dir, certificate_pem, internet_number", res)
		}
		if !strings.Contains(stderr, "Internet certificate verified") {
			t.Errorf("progress lacks the verification:\n%s", stderr)
		}
		return res
	}

	adultDir := filepath.Join(tmp, "adult")
	adult := enrol(t, adultDir, "--demo-document", "adult", "--phone", "+8613800138000")
	if adult["status"] != "active" {
		t.Errorf("adult status = %q, want active", adult["status"])
	}
	stdout, stderr, code := runNetid(t, "wallet", "code", "--wallet", adultDir)
	if code != 0 || !regexp.MustCompile(`^\d{8}\n$`).MatchString(stdout) {
		t.Errorf("wallet code: exit %d, stdout %q, want 8 digits\n%s", code, stdout, stderr)
	}
	stdout, _, _ = runNetid(t, "wallet", "show", "--wallet", adultDir)
	if !strings.Contains(stdout, adult["internet_number"]) || strings.Contains(stdout, "dynamic_code_secret") {
		t.Errorf("wallet show = %s, want the internet number and no secrets", stdout)
	}

	youthDir := filepath.Join(tmp, "youth")
	youth := enrol(t, youthDir, "--demo-document", "youth", "--phone", "+8613800138001")
	if youth["status"] != "pending-guardian" {
		t.Fatalf("youth status = %q, want pending-guardian", youth["status"])
	}
	stdout, _, _ = runNetid(t, "wallet", "show", "--wallet", youthDir, "--show-secrets")
	var shown struct {
		Secrets struct {
			GuardianApprovalCode string `json:"guardian_approval_code"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &shown); err != nil || shown.Secrets.GuardianApprovalCode == "" {
		t.Fatalf("wallet show --show-secrets = %s (%v), want the approval code", stdout, err)
	}
	stdout, stderr, code = runNetid(t, "wallet", "approve-minor", "--wallet", adultDir, "--password-file", pwFile,
		"--minor", youth["internet_number"], "--approval-code", shown.Secrets.GuardianApprovalCode, "--evidence-reference", "HR-0001")
	if code != 0 || !strings.Contains(stdout, `"approved"`) {
		t.Errorf("approve-minor: exit %d, stdout %s\n%s", code, stdout, stderr)
	}

	child := enrol(t, filepath.Join(tmp, "child"), "--demo-document", "child", "--guardian-number", adult["internet_number"],
		"--guardian-password", "correct horse battery staple 42", "--guardian-evidence-reference", "BC-0002")
	if child["status"] != "active" {
		t.Errorf("child status = %q, want active", child["status"])
	}

	// The server's refusal reaches the resident as its detail: the adult's
	// document is enrolled already.
	_, stderr, code = runNetid(t, "wallet", "enrol", "--wallet", filepath.Join(tmp, "again"), "--server", server,
		"--password-file", pwFile, "--demo-document", "adult", "--phone", "+8613800138002")
	if code != exitRefused || !strings.Contains(stderr, "already has an internet number") {
		t.Errorf("second enrolment of adult: exit %d, want %d with the duplicate-identity detail\n%s", code, exitRefused, stderr)
	}
}
