package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/wallet"
)

// The wallet commands that need no server: init, show, code, and the
// refusals of enrol that come before any request.
func TestWalletCommandsOffline(t *testing.T) {
	// No server: port 1 on loopback refuses connections, whatever else
	// runs on this machine (a netid serve on the default 127.0.0.1:8080
	// would answer the commands that reach the network).
	t.Setenv(env("server"), "http://127.0.0.1:1")
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
		{"upgrade before enrolment", []string{"wallet", "upgrade", "--wallet", dir, "--password", "x", "--authority-number", "1",
			"--name", "N", "--birth-date", "2000-01-01"}, nil, exitRefused, []string{"not enrolled"}},
		{"upgrade with conflicting flags", []string{"wallet", "upgrade", "--wallet", dir, "--chip", "c.json", "--demo-document", "adult",
			"--authority-number", "1"}, nil, exitUsage, []string{"one of --chip, --authority-number and --demo-document", "needs --name and --birth-date"}},
		{"upgrade with an MRZ alone", []string{"wallet", "upgrade", "--wallet", dir, "--mrz", "P<CHN"}, nil, exitUsage, []string{"--mrz goes with --chip"}},
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
	s := startDemoServer(t, "--data-dir", filepath.Join(t.TempDir(), "data"))
	server := s.base()
	tmp := t.TempDir()
	pwFile := passwordFile(t, demoPassword)
	enrol := func(t *testing.T, wallet string, args ...string) map[string]string {
		t.Helper()
		res, stderr := enrolWallet(t, s, wallet, pwFile, args...)
		if res["wallet_dir"] != wallet || !strings.HasPrefix(res["certificate_pem"], "-----BEGIN CERTIFICATE-----") || res["internet_number"] == "" {
			t.Errorf("enrol --json = %v, want wallet_dir, certificate_pem, internet_number", res)
		}
		if !strings.Contains(stderr, "Internet certificate verified") {
			t.Errorf("progress lacks the verification:\n%s", stderr)
		}
		return res
	}

	adultDir := filepath.Join(tmp, "adult")
	adult := enrol(t, adultDir, demoAdult...)
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
		"--guardian-password", demoPassword, "--guardian-evidence-reference", "BC-0002")
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

// netid wallet upgrade against netid serve --demo: a registrar (netid
// registrar create) starts an assisted enrolment of the demo adult, born on
// the day of the adult's passport; the wallet finishes it; then the
// resident upgrades the account with the passport (--demo-document adult)
// and keeps the internet number.
func TestWalletUpgradeDemo(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	s := startDemoServer(t, "--data-dir", dataDir)
	server := s.base()
	tmp := t.TempDir()
	pwFile := passwordFile(t, demoPassword)
	stdout, stderr, code := runNetid(t, "registrar", "create", "--data-dir", dataDir, "--name", "Desk 1", "--json")
	if code != 0 {
		t.Fatalf("registrar create: exit %d\n%s", code, stderr)
	}
	var reg struct{ ID, Token string }
	if err := json.Unmarshal([]byte(stdout), &reg); err != nil || reg.Token == "" {
		t.Fatalf("registrar create output %q: %v", stdout, err)
	}

	c, err := wallet.NewClient(server)
	if err != nil {
		t.Fatal(err)
	}
	demo, err := wallet.NewDemoSource(ctx, c, "adult")
	if err != nil {
		t.Fatal(err)
	}
	mrz, err := document.ParseMRZ(demo.Document().PrintedMRZ)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.StartAssisted(ctx, reg.Token, wallet.AssistedStartRequest{Evidence: wallet.AssistedEvidence{
		Kind: "refugee-registration", Reference: "UNHCR-DEMO-1", Issuer: "UNHCR", Name: "Ceshi Daren",
		BirthDate: mrz.BirthDate.String(), Sex: "F",
	}})
	if err != nil {
		t.Fatalf("StartAssisted() error = %v", err)
	}
	dir := filepath.Join(tmp, "w")
	w, err := wallet.Create(dir, suite.Intl, "", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	acct, err := wallet.Enrol(ctx, w, c, wallet.EnrolOptions{Started: st, Face: demo.Face, Liveness: demo.Liveness, Password: demoPassword})
	if err != nil {
		t.Fatalf("Enrol(assisted) error = %v\nserver log:\n%s", err, s.logs)
	}
	if acct.Pathway != "assisted" {
		t.Fatalf("enrolled pathway %q, want assisted", acct.Pathway)
	}

	stdout, stderr, code = runNetid(t, "wallet", "upgrade", "--wallet", dir, "--demo-document", "adult", "--password-file", pwFile)
	if code != 0 {
		t.Fatalf("wallet upgrade: exit %d\n%s\nserver log:\n%s", code, stderr, s.logs)
	}
	var sum wallet.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("wallet upgrade output %q: %v", stdout, err)
	}
	if sum.InternetNumber != acct.InternetNumber || sum.Pathway != "document-chip" || sum.AssuranceCeiling != "substantial" || sum.Secrets != nil {
		t.Errorf("wallet upgrade summary: number %s pathway %q ceiling %q secrets %v; want %s, document-chip, substantial, none",
			sum.InternetNumber, sum.Pathway, sum.AssuranceCeiling, sum.Secrets, acct.InternetNumber)
	}
	if !strings.Contains(stderr, "upgraded: evidence pathway document-chip") {
		t.Errorf("wallet upgrade stderr lacks the outcome:\n%s", stderr)
	}
	stdout, _, _ = runNetid(t, "wallet", "show", "--wallet", dir)
	if !strings.Contains(stdout, `"pathway": "document-chip"`) {
		t.Errorf("wallet show after the upgrade = %s, want pathway document-chip", stdout)
	}

	// Without a document the command stops for one, saying which flags
	// give it.
	_, stderr, code = runNetid(t, "wallet", "upgrade", "--wallet", dir, "--password-file", pwFile)
	if code != exitNeedsInput || !strings.Contains(stderr, "a document is needed for the upgrade") || !strings.Contains(stderr, "--chip FILE") {
		t.Errorf("wallet upgrade without a document: exit %d, want %d asking for one\n%s", code, exitNeedsInput, stderr)
	}
	// A wrong password is the server's refusal, and changes nothing.
	badFile := passwordFile(t, "not the password at all")
	_, stderr, code = runNetid(t, "wallet", "upgrade", "--wallet", dir, "--demo-document", "adult", "--password-file", badFile)
	if code != exitRefused || !strings.Contains(stderr, "internet number or password incorrect") {
		t.Errorf("wallet upgrade with a wrong password: exit %d, want %d with bad-credentials\n%s", code, exitRefused, stderr)
	}
	if after, err := wallet.Open(dir); err != nil || after.State().Account.Pathway != "document-chip" {
		t.Errorf("wallet after the refused upgrade: %v; want pathway document-chip kept", err)
	}
	// Another person's face (--face beats the demo's camera) does not
	// match the passport's portrait.
	otherFace, err := c.DemoFace(ctx, "adult", 424242)
	if err != nil {
		t.Fatal(err)
	}
	otherFile := filepath.Join(tmp, "other.jpg")
	if err := os.WriteFile(otherFile, otherFace, 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = runNetid(t, "wallet", "upgrade", "--wallet", dir, "--demo-document", "adult", "--face", otherFile, "--password-file", pwFile)
	if code != exitRefused || !strings.Contains(stderr, "did not match the photo in your document") {
		t.Errorf("wallet upgrade with another face: exit %d, want %d with face-mismatch\n%s", code, exitRefused, stderr)
	}

	// From files, as without the demo: the chip and MRZ, then the face,
	// then (after exit 3 with the challenge) the liveness attestation.
	ev, err := demo.Evidence(ctx)
	if err != nil {
		t.Fatal(err)
	}
	chipFile, faceFile, attFile := filepath.Join(tmp, "chip.json"), filepath.Join(tmp, "face.jpg"), filepath.Join(tmp, "liveness.jws")
	img, err := demo.Face(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(chipFile, ev.Chip, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(faceFile, img, 0o600); err != nil {
		t.Fatal(err)
	}
	files := []string{"wallet", "upgrade", "--wallet", dir, "--chip", chipFile, "--mrz", ev.PrintedMRZ, "--password-file", pwFile}
	_, stderr, code = runNetid(t, files...)
	if code != exitNeedsInput || !strings.Contains(stderr, "a photo of your face is needed for the upgrade") || !strings.Contains(stderr, "--face FILE") {
		t.Errorf("wallet upgrade without a face: exit %d, want %d asking for one\n%s", code, exitNeedsInput, stderr)
	}
	files = append(files, "--face", faceFile)
	_, stderr, code = runNetid(t, files...)
	saved, err := wallet.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	pending := saved.State().UpgradeChallenge
	if code != exitNeedsInput || pending == nil || !strings.Contains(stderr, pending.Challenge) ||
		!strings.Contains(stderr, "run netid wallet upgrade again with --liveness FILE") {
		t.Fatalf("wallet upgrade without an attestation: exit %d, saved challenge %+v; want %d naming the saved challenge\n%s",
			code, pending, exitNeedsInput, stderr)
	}
	att, err := c.DemoLiveness(ctx, pending.Challenge, img)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(attFile, []byte(att), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = runNetid(t, append(files, "--liveness", attFile)...)
	if code != 0 || !strings.Contains(stdout, `"pathway": "document-chip"`) {
		t.Errorf("wallet upgrade with the attestation: exit %d, stdout %s\n%s", code, stdout, stderr)
	}
	if after, err := wallet.Open(dir); err != nil || after.State().UpgradeChallenge != nil {
		t.Errorf("wallet after the upgrade: %v; want the saved challenge forgotten", err)
	}
}
