package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/store/pgtest"
)

// pendingKeys returns the pending keys of purpose p in the data dir with
// their activation times, as netid admin keys list --json shows them.
func pendingKeys(t *testing.T, dataDir string, p keystore.Purpose) map[string]time.Time {
	t.Helper()
	stdout, stderr, code := runNetid(t, "admin", "keys", "list", "--data-dir", dataDir, "--json")
	if code != 0 {
		t.Fatalf("keys list: exit %d: %s", code, stderr)
	}
	var rows []struct {
		ID, Purpose, State string
		ActivateAt         *time.Time `json:"activate_at"`
	}
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]time.Time{}
	for _, r := range rows {
		if r.Purpose != string(p) {
			continue
		}
		switch {
		case r.State == string(keystore.StatePending) && r.ActivateAt == nil:
			t.Errorf("keys list --json: pending key %s without activate_at", r.ID)
		case r.State != string(keystore.StatePending) && r.ActivateAt != nil:
			t.Errorf("keys list --json: %s key %s with activate_at", r.State, r.ID)
		case r.State == string(keystore.StatePending):
			out[r.ID] = *r.ActivateAt
		}
	}
	return out
}

// netid admin keys rotate --activate-in writes a pending token-signing key
// beside the active one; list shows it with its activation time; what the
// life cycle forbids around it is refused with a message that says why.
func TestAdminKeysRotateActivateIn(t *testing.T) {
	dir, _ := keysDataDir(t, 0)
	old := keyIDs(t, dir, keystore.TokenSigning, keystore.StateActive)
	if len(old) != 1 {
		t.Fatalf("active token-signing keys: %v", old)
	}
	refusals := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"negative", []string{"rotate", "--purpose", "token-signing", "--activate-in", "-1s"}, exitUsage, "must not be negative"},
		{"not a duration", []string{"rotate", "--purpose", "token-signing", "--activate-in", "soon"}, exitUsage, "--activate-in"},
		{"another purpose", []string{"rotate", "--purpose", "ca", "--activate-in", "30s"}, exitUsage, "for token-signing keys only"},
		{"cookie", []string{"rotate", "--purpose", "cookie", "--activate-in", "30s"}, exitUsage, "NETID_ACTIVATE_IN"},
	}
	for _, tt := range refusals {
		stdout, stderr, code := runNetid(t, append(append([]string{"admin", "keys"}, tt.args...), "--data-dir", dir)...)
		if code != tt.wantCode || !strings.Contains(stdout+stderr, tt.wantOut) {
			t.Errorf("%s: exit %d, output %q%q; want exit %d mentioning %q", tt.name, code, stdout, stderr, tt.wantCode, tt.wantOut)
		}
	}
	for _, p := range []keystore.Purpose{keystore.TokenSigning, keystore.CA, keystore.Cookie} {
		if got := len(keyIDs(t, dir, p, keystore.StateActive)) + len(pendingKeys(t, dir, p)); got != 1 {
			t.Errorf("%s keys after the refusals: %d active or pending, want 1", p, got)
		}
	}

	before := time.Now()
	out := adminKeys(t, "rotate", "--purpose", "token-signing", "--activate-in", "1h", "--data-dir", dir)
	pending := pendingKeys(t, dir, keystore.TokenSigning)
	if len(pending) != 1 {
		t.Fatalf("pending token-signing keys after rotate --activate-in: %v\n%s", pending, out)
	}
	var fresh string
	var at time.Time
	for fresh, at = range pending {
	}
	if at.Before(before.Add(time.Hour)) || at.After(time.Now().Add(time.Hour)) {
		t.Errorf("activation time %s, want an hour after the rotation (%s)", at, before)
	}
	if !strings.Contains(out, fresh+" (ES256) pending") || !strings.Contains(out, old[0]+" stays active") {
		t.Errorf("rotate --activate-in said %q; want the pending key and the old one staying active", out)
	}
	if got := keyIDs(t, dir, keystore.TokenSigning, keystore.StateActive); !cmp.Equal(got, old) {
		t.Errorf("active token-signing keys: got %v, want %v", got, old)
	}
	stdout, stderr, code := runNetid(t, "admin", "keys", "list", "--data-dir", dir)
	row := `(?m)^` + regexp.QuoteMeta(fresh) + `\s+token-signing\s+ES256\s+pending\s+\S+\s+\S+\s+` + regexp.QuoteMeta(at.UTC().Format(time.RFC3339)) + `$`
	if code != 0 || !regexp.MustCompile(row).MatchString(stdout) {
		t.Errorf("keys list: exit %d, lacks the pending key with its activation time:\n%s%s", code, stdout, stderr)
	}
	// The servers' view: the store is ready with an active and a pending key.
	if err := openedService(t, dir).keys.Check(); err != nil {
		t.Errorf("Check with a pending key: %v", err)
	}

	again := []struct {
		name    string
		args    []string
		wantOut string
	}{
		{"second delayed rotation", []string{"rotate", "--purpose", "token-signing", "--activate-in", "1h"}, "has a pending key " + fresh},
		{"retire the pending key", []string{"retire", fresh}, "is pending"},
	}
	for _, tt := range again {
		stdout, stderr, code := runNetid(t, append(append([]string{"admin", "keys"}, tt.args...), "--data-dir", dir)...)
		if code != 1 || !strings.Contains(stdout+stderr, tt.wantOut) {
			t.Errorf("%s: exit %d, output %q%q; want exit 1 mentioning %q", tt.name, code, stdout, stderr, tt.wantOut)
		}
	}

	// An immediate rotation supersedes the pending key.
	out = adminKeys(t, "rotate", "--purpose", "token-signing", "--data-dir", dir)
	now := keyIDs(t, dir, keystore.TokenSigning, keystore.StateActive)
	retiring := keyIDs(t, dir, keystore.TokenSigning, keystore.StateRetiring)
	if len(now) != 1 || now[0] == fresh || now[0] == old[0] || len(retiring) != 2 || len(pendingKeys(t, dir, keystore.TokenSigning)) != 0 {
		t.Errorf("after an immediate rotation: active %v, retiring %v; want a new active key, %s and %s retiring", now, retiring, old[0], fresh)
	}
	if !strings.Contains(out, old[0]+" "+fresh+" now retiring") && !strings.Contains(out, old[0]+", "+fresh+" now retiring") {
		t.Errorf("rotate said %q; want both earlier keys named retiring", out)
	}
}

// Two nodes on one PostgreSQL share one key directory; a platform gets ID
// tokens from node A and verifies them with go-oidc against node B's JWKS,
// as it would behind a load balancer. netid admin keys rotate
// --activate-in, with no SIGHUP: not one token fails to verify, tokens
// switch to the new kid, and none is signed by it before its activation
// time. Node A re-reads the keys more often than B, so that without the
// pending state A would sign with a key B does not publish yet.
func TestTokenSigningRotationAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two servers through a key rotation")
	}
	// B reloads every second: six give it several chances on a loaded machine.
	const activateIn = 6 * time.Second
	dbURL := pgtest.New(t)
	dirA := filepath.Join(t.TempDir(), "a")
	dirB := filepath.Join(t.TempDir(), "b")
	addrA, addrB := freeAddr(t), freeAddr(t)
	public := "http://" + addrA
	a := startLoggedServer(t, addrA, "--demo", "--data-dir", dirA, "--database-url", dbURL, "--public-url", public,
		"--key-reload-interval", "250ms")
	// B's data dir is a copy of A's (the demo's documents) whose key
	// directory is A's: one shared volume.
	if out, err := exec.Command("cp", "-a", dirA, dirB).CombinedOutput(); err != nil {
		t.Fatalf("copying the data dir: %v\n%s", err, out)
	}
	if err := os.RemoveAll(filepath.Join(dirB, "keys")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dirA, "keys"), filepath.Join(dirB, "keys")); err != nil {
		t.Fatal(err)
	}
	b := startLoggedServer(t, addrB, "--demo", "--data-dir", dirB, "--database-url", dbURL, "--public-url", public,
		"--key-reload-interval", "1s")
	toA := func() string { return addrA }
	toB := func() string { return addrB }
	ctx := context.Background()

	rp := registerResRP(t, public, "--data-dir", dirA, "--database-url", dbURL)
	people := newResPassports(t, dirA)
	p, err := people.person(1)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := resEnrol(ctx, resHTTP("127.0.0.11", nil, toA), public, filepath.Join(t.TempDir(), "wallet"), p, false)
	if err != nil {
		t.Fatalf("enrolling: %v\nA:\n%s", err, a.logs)
	}
	// A browser with a session on A and remembered consent: every later
	// authorization is single sign-on.
	browser := resHTTP("127.0.0.21", newJar(), toA)
	first, err := rp.start(browser)
	if err == nil {
		err = first.password(browser, acct.InternetNumber, p.password)
	}
	if err == nil {
		err = first.consent(browser)
	}
	if err != nil {
		t.Fatalf("first login on A: %v\nA:\n%s", err, a.logs)
	}
	// The platform: code exchange on A, discovery and JWKS from B.
	provB, err := gooidc.NewProvider(gooidc.ClientContext(ctx, resHTTP("127.0.0.31", nil, toB)), public)
	if err != nil {
		t.Fatalf("discovery on B: %v", err)
	}
	verifierB := provB.Verifier(&gooidc.Config{ClientID: rp.clientID})
	exchangeA := gooidc.ClientContext(ctx, resHTTP("127.0.0.32", nil, toA))
	// token runs one single-sign-on login to A and verifies its ID token
	// against B's keys; it returns the kid and the issue time.
	token := func(l *resLogin) (string, time.Time, error) {
		if l.page.code == "" {
			return "", time.Time{}, fmt.Errorf("no single sign-on: %d %.300s", l.page.status, l.page.body)
		}
		tok, err := rp.config().Exchange(exchangeA, l.page.code, oauth2.VerifierOption(l.verifier))
		if err != nil {
			return "", time.Time{}, fmt.Errorf("token on A: %w", err)
		}
		raw, _ := tok.Extra("id_token").(string)
		jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			return "", time.Time{}, err
		}
		kid := jws.Signatures[0].Header.KeyID
		idt, err := verifierB.Verify(ctx, raw)
		if err != nil {
			return kid, time.Time{}, fmt.Errorf("ID token from A (kid %s) against B's JWKS: %w", kid, err)
		}
		if idt.Nonce != l.nonce {
			return kid, time.Time{}, fmt.Errorf("ID token nonce %q, want %q", idt.Nonce, l.nonce)
		}
		return kid, idt.IssuedAt, nil
	}
	login := func() (string, time.Time, error) {
		l, err := rp.start(browser)
		if err != nil {
			return "", time.Time{}, fmt.Errorf("authorization on A: %w", err)
		}
		return token(l)
	}
	if _, _, err := token(first); err != nil {
		t.Fatal(err)
	}
	old := keyIDs(t, dirA, keystore.TokenSigning, keystore.StateActive)[0]

	out := adminKeys(t, "rotate", "--purpose", "token-signing", "--activate-in", activateIn.String(),
		"--data-dir", dirA, "--database-url", dbURL)
	pending := pendingKeys(t, dirA, keystore.TokenSigning)
	if len(pending) != 1 {
		t.Fatalf("pending keys after rotate --activate-in: %v\n%s", pending, out)
	}
	var fresh string
	var activateAt time.Time
	for fresh, activateAt = range pending {
	}
	// ID tokens carry whole seconds: one issued at the activation time
	// may show the second before it.
	earliest := activateAt.Truncate(time.Second)

	var (
		kids              = map[string]int{}
		failures          []string
		ok                int
		started           = time.Now()
		newSeen           time.Time
		earlyNew, lateOld int
	)
	// Go on for a few seconds after the first token of the new key: any
	// node still behind would show then.
	for newSeen.IsZero() || time.Since(newSeen) < 3*time.Second {
		if time.Since(started) > 90*time.Second {
			t.Fatalf("no ID token signed by the new key %s within 90s (tokens by kid: %v; failures: %v)\nA:\n%s\nB:\n%s", fresh, kids, failures, a.logs, b.logs)
		}
		kid, iat, err := login()
		if err != nil {
			failures = append(failures, err.Error())
			continue
		}
		ok++
		kids[kid]++
		switch {
		case kid == fresh && newSeen.IsZero():
			newSeen = time.Now()
			fallthrough
		case kid == fresh:
			if iat.Before(earliest) {
				earlyNew++
			}
		case kid == old && !newSeen.IsZero():
			lateOld++
		}
	}
	t.Logf("rotation across nodes: %d ID tokens verified against B (by kid: %v), %d failed; new kid first seen %s after the rotation (activation %s after)",
		ok, kids, len(failures), newSeen.Sub(started).Round(time.Millisecond), activateAt.Sub(started).Round(time.Millisecond))
	if len(failures) > 0 {
		t.Errorf("%d ID tokens from A failed to verify against B's JWKS; first: %s", len(failures), strings.Join(failures[:min(5, len(failures))], "\n  "))
	}
	if earlyNew > 0 {
		t.Errorf("%d ID tokens were signed by %s before its activation time %s", earlyNew, fresh, activateAt)
	}
	if lateOld > 0 {
		t.Errorf("%d ID tokens were signed by the old key %s after one signed by the new key: A went back", lateOld, old)
	}

	// The nodes record the switch: the new key active, the old retiring.
	waitUntil(t, "the pending key is recorded as active", func() bool {
		return len(pendingKeys(t, dirA, keystore.TokenSigning)) == 0
	})
	if got := keyIDs(t, dirA, keystore.TokenSigning, keystore.StateActive); !cmp.Equal(got, []string{fresh}) {
		t.Errorf("active token-signing keys after the activation: got %v, want [%s]", got, fresh)
	}
	if got := keyIDs(t, dirA, keystore.TokenSigning, keystore.StateRetiring); !cmp.Equal(got, []string{old}) {
		t.Errorf("retiring token-signing keys after the activation: got %v, want [%s]", got, old)
	}
	for name, s := range map[string]*server{"A": a, "B": b} {
		waitUntil(t, "node "+name+" logs the promotion", func() bool {
			return strings.Contains(s.logs.String(), "id="+fresh+" purpose=token-signing from=pending to=active")
		})
	}
	if t.Failed() {
		t.Logf("A:\n%s\nB:\n%s", a.logs, b.logs)
	}
	a.stop(t)
	b.stop(t)
}

// A backup taken while a token-signing key is pending restores it pending,
// with its activation time: the manifest lists it and restore's checks
// accept a store with an active and a pending key.
func TestBackupRestoreWithPendingKey(t *testing.T) {
	dir, _ := keysDataDir(t, 1)
	adminKeys(t, "rotate", "--purpose", "token-signing", "--activate-in", "1h", "--data-dir", dir)
	want := pendingKeys(t, dir, keystore.TokenSigning)
	archive := filepath.Join(t.TempDir(), "netid-backup.tar.gz")
	if stdout, stderr, code := runNetid(t, "backup", "--data-dir", dir, "--out", archive); code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, stdout, stderr)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	if stdout, stderr, code := runNetid(t, "restore", "--from", archive, "--data-dir", restored); code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, stdout, stderr)
	}
	got := pendingKeys(t, restored, keystore.TokenSigning)
	if len(got) != 1 || !cmp.Equal(got, want) {
		t.Errorf("pending keys after restore: got %v, want %v", got, want)
	}
	if a, b := keyIDs(t, restored, keystore.TokenSigning, keystore.StateActive), keyIDs(t, dir, keystore.TokenSigning, keystore.StateActive); !cmp.Equal(a, b) {
		t.Errorf("active keys after restore: got %v, want %v", a, b)
	}
}
