package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netid/netid/internal/loadtest"
)

// TestSeedAndLoadtestFlows seeds residents into the data dir of a running
// serve --demo, then drives each flow for a few iterations against it:
// every flow must succeed end to end, on the built binary, through the
// commands as an operator runs them.
func TestSeedAndLoadtestFlows(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	s := startServer(t, "--demo", "--data-dir", data)
	s.waitReady(t)
	server := "http://" + s.addr
	numbers := filepath.Join(dir, "numbers.txt")

	stdout, stderr, code := runNetid(t, "seed", "--data-dir", data, "--count", "40", "--batch", "16",
		"--password", "seeded residents' password", "--numbers-out", numbers, "--certificates", "--json")
	if code != 0 {
		t.Fatalf("seed exit %d\n%s", code, stderr)
	}
	var sum seedSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.Residents != 40 || sum.Store != "sqlite" {
		t.Fatalf("seed summary %q (%v), want 40 residents on sqlite", stdout, err)
	}
	if !strings.Contains(stderr, "100%") {
		t.Errorf("seed drew no progress bar on stderr:\n%s", stderr)
	}
	b, err := os.ReadFile(numbers)
	if err != nil || len(strings.Fields(string(b))) != 40 {
		t.Fatalf("numbers file: %d numbers, %v; want 40", len(strings.Fields(string(b))), err)
	}

	wallets := filepath.Join(dir, "wallets")
	runs := []struct {
		flow string
		args []string
	}{
		{"enrol", []string{"--count", "2", "--concurrency", "2", "--wallets-dir", wallets}},
		{"login", []string{"--count", "3", "--concurrency", "2", "--setup", "--numbers", numbers, "--password", "seeded residents' password"}},
		{"sso", []string{"--count", "12", "--concurrency", "2", "--sessions", "3", "--rate", "200/s", "--setup",
			"--numbers", numbers, "--password", "seeded residents' password"}},
		{"verify", []string{"--count", "4", "--concurrency", "2", "--setup", "--wallets-dir", wallets}},
		{"qr", []string{"--count", "4", "--concurrency", "2", "--setup", "--wallets-dir", wallets}},
	}
	for _, r := range runs {
		t.Run(r.flow, func(t *testing.T) {
			args := append([]string{"loadtest", "--server", server, "--data-dir", data, "--flow", r.flow, "--json"}, r.args...)
			stdout, stderr, code := runNetid(t, args...)
			if code != 0 {
				t.Fatalf("loadtest --flow %s exit %d\nstdout %s\nstderr %s\nserver %s", r.flow, code, stdout, stderr, s.logs)
			}
			var res loadtest.Result
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatalf("result %q: %v", stdout, err)
			}
			want := 0
			for i, a := range r.args {
				if a == "--count" {
					want = atoi(t, r.args[i+1])
				}
			}
			if res.Flow != r.flow || res.Succeeded != want || res.Failed != 0 || res.Latency.P99 <= 0 || res.Throughput <= 0 {
				t.Errorf("result %+v, want %d successful %s flows with latencies", res, want, r.flow)
			}
		})
	}
	s.stop(t)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("%q is not a count", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// TestLoadtestRefusals: a target off loopback, a missing flow and a flow
// without what it needs are refused before anything is sent.
func TestLoadtestRefusals(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--flow", "sso", "--server", "http://192.0.2.1:8080"}, "loopback"},
		{[]string{"--flow", "sso", "--server", "http://example.org"}, "loopback"},
		{[]string{"--server", "http://127.0.0.1:1"}, "--flow"},
		{[]string{"--flow", "teleport"}, "teleport"},
		{[]string{"--flow", "sso", "--client-id", "x", "--client-secret", "y", "--redirect-uri", "http://127.0.0.1/cb"}, "--numbers"},
		{[]string{"--flow", "login", "--numbers", "n", "--password", "p"}, "--client-id"},
		{[]string{"--flow", "verify", "--count", "0", "--setup"}, "--count"},
		{[]string{"--flow", "verify", "--setup", "--duration", "2h"}, "--duration"},
		{[]string{"--flow", "verify", "--setup", "--rate", "fast"}, "rate"},
	}
	for _, c := range cases {
		_, stderr, code := runNetid(t, append([]string{"loadtest"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("loadtest %v: exit %d, stderr %q; want %d naming %q", c.args, code, stderr, exitUsage, c.want)
		}
	}
	_, stderr, code := runNetid(t, "seed", "--count", "0", "--data-dir", t.TempDir())
	if code != exitUsage || !strings.Contains(stderr, "--count") {
		t.Errorf("seed --count 0: exit %d, stderr %q", code, stderr)
	}
}
