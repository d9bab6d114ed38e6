package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netid/netid/internal/admin"
)

func TestRPCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	out, stderr, code := runNetid(t, "rp", "create", "--data-dir", dir, "--json",
		"--name", "Example Shop", "--redirect-uri", "https://shop.example/cb",
		"--claim", "age_over_18=to sell age-restricted goods", "--min-acr", "substantial")
	if code != 0 {
		t.Fatalf("rp create: exit %d: %s", code, stderr)
	}
	var creds struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(out), &creds); err != nil || creds.ClientID == "" || len(creds.ClientSecret) < 32 {
		t.Fatalf("rp create --json = %q (%v); want a client id and a long secret", out, err)
	}

	// Every problem of a bad registration is reported at once, exit 2.
	_, stderr, code = runNetid(t, "rp", "create", "--data-dir", dir,
		"--name", "Bad", "--redirect-uri", "http://shop.example/cb", "--claim", "shoe_size=why not", "--min-acr", "extreme")
	if code != exitUsage {
		t.Errorf("bad registration: exit %d, want %d", code, exitUsage)
	}
	for _, want := range []string{"redirect", "shoe_size", "extreme"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestRPCommands manages a relying party offline with every rp command
// and checks what each leaves in the registry and the audit trail.
func TestRPCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	run := func(wantCode int, args ...string) string {
		t.Helper()
		out, stderr, code := runNetid(t, append(args, "--data-dir", dir)...)
		if code != wantCode {
			t.Fatalf("netid %v: exit %d, want %d\nstdout %s\nstderr %s", args, code, wantCode, out, stderr)
		}
		if wantCode != 0 {
			return stderr
		}
		return out
	}
	var creds struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(run(0, "rp", "create", "--json", "--name", "Shop", "--redirect-uri", "https://shop.example/cb",
		"--claim", "age_over_18=to sell age-restricted goods")), &creds); err != nil {
		t.Fatal(err)
	}
	id := creds.ClientID
	show := func() admin.RPView {
		t.Helper()
		var views []admin.RPView
		if err := json.Unmarshal([]byte(run(0, "rp", "list", "--json")), &views); err != nil || len(views) != 1 {
			t.Fatalf("rp list --json = %+v, %v; want one RP", views, err)
		}
		return views[0]
	}
	if out := run(0, "rp", "list"); !strings.Contains(out, id) || !strings.Contains(out, "age_over_18") || !strings.Contains(out, "active") {
		t.Errorf("rp list = %q", out)
	}

	// Only the flags given change; a list flag replaces the list.
	run(0, "rp", "update", id, "--name", "Shop Two")
	if v := show(); v.Name != "Shop Two" || len(v.ApprovedClaims) != 1 || v.Version != 2 {
		t.Errorf("after --name: %+v, want the name changed and the claim kept", v)
	}
	run(0, "rp", "update", id, "--claim", "name=to address parcels", "--claim", "age_over_16=to sell games", "--min-acr", "substantial")
	if v := show(); len(v.ApprovedClaims) != 2 || v.ApprovedClaims[0].Claim != "name" || v.MinACR != "substantial" {
		t.Errorf("after --claim: %+v", v)
	}
	run(0, "rp", "update", "--clear-claims", id)
	if v := show(); len(v.ApprovedClaims) != 0 {
		t.Errorf("after --clear-claims: %+v", v)
	}
	// Refusals: nothing to change, contradictory flags, a broken rule
	// (exit 1, nothing written), an unknown id, a missing id.
	if out := run(exitUsage, "rp", "update", id); !strings.Contains(out, "nothing to change") {
		t.Errorf("update without flags: %q", out)
	}
	if out := run(exitUsage, "rp", "update", id, "--clear-claims", "--claim", "name=x"); !strings.Contains(out, "exclude each other") {
		t.Errorf("contradictory flags: %q", out)
	}
	if out := run(1, "rp", "update", id, "--redirect-uri", "http://shop.example/cb"); !strings.Contains(out, "only https") {
		t.Errorf("http redirect URI: %q", out)
	}
	if out := run(1, "rp", "update", id, "--internet-number"); !strings.Contains(out, "internet_number") {
		t.Errorf("internet number without its claim: %q", out)
	}
	if v := show(); v.Version != 4 || v.RedirectURIs[0] != "https://shop.example/cb" {
		t.Errorf("after refused updates: %+v, want version 4 unchanged", v)
	}
	if out := run(1, "rp", "suspend", "rp-none"); !strings.Contains(out, "no relying party") {
		t.Errorf("suspend unknown: %q", out)
	}
	run(exitUsage, "rp", "suspend")

	if out := run(0, "rp", "suspend", id); !strings.Contains(out, "is suspended") || show().Status != "suspended" {
		t.Errorf("rp suspend = %q", out)
	}
	var v admin.RPView
	if err := json.Unmarshal([]byte(run(0, "rp", "activate", id, "--json")), &v); err != nil || v.Status != "active" {
		t.Errorf("rp activate --json = %+v, %v", v, err)
	}
	out := run(0, "rp", "rotate-secret", id)
	if !strings.Contains(out, "client_secret (shown once): ") || strings.Contains(out, creds.ClientSecret) {
		t.Errorf("rp rotate-secret = %q, want a new secret", out)
	}

	// The audit trail has every action, refusals included, by the local
	// user.
	var trail []admin.AuditView
	if err := json.Unmarshal([]byte(run(0, "admin", "audit", "--json", "--since", "0")), &trail); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, r := range trail {
		if !strings.HasPrefix(r.Admin, admin.LocalPrefix) || r.Channel != "command" {
			t.Errorf("audit record %+v, want a local command", r)
		}
		actions = append(actions, r.Action+":"+r.Outcome)
	}
	want := []string{"rp.create:ok", "rp.update:ok", "rp.update:ok", "rp.update:ok", "rp.update:invalid", "rp.update:invalid",
		"rp.suspend:not-found", "rp.suspend:ok", "rp.activate:ok", "rp.rotate-secret:ok"}
	if strings.Join(actions, " ") != strings.Join(want, " ") {
		t.Errorf("audit actions = %v, want %v", actions, want)
	}
}
