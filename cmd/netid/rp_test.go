package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
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
