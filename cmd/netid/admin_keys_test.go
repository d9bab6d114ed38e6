package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/admin"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/crypto/keystore"
)

// keysDataDir makes a data dir as serve leaves it (keys, migrated SQLite)
// with owners data keys, each sealing its owner's name, and returns it
// with the sealed values.
func keysDataDir(t *testing.T, owners int) (string, map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	f := storageFlags{dataDir: dir, suite: "intl"}
	svc, err := openService(ctx, f, slog.New(slog.DiscardHandler), true)
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	env := envelope.New(svc.suite, svc.keys, svc.store)
	sealed := map[string][]byte{}
	for i := range owners {
		o := fmt.Sprintf("resident-%04d", i)
		if err := env.CreateDataKey(ctx, o); err != nil {
			t.Fatal(err)
		}
		if sealed[o], err = env.Seal(ctx, o, "name", []byte(o)); err != nil {
			t.Fatal(err)
		}
	}
	return dir, sealed
}

// openedService reopens the data dir, for checks after commands ran.
func openedService(t *testing.T, dir string) *service {
	t.Helper()
	svc, err := openService(context.Background(), storageFlags{dataDir: dir, suite: "intl"}, slog.New(slog.DiscardHandler), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

func dataKeyCounts(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	c, err := openedService(t, dir).store.DataKeyCountsByKEK(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAdminKeysListRotateRetire(t *testing.T) {
	dir, sealed := keysDataDir(t, 3)
	activeOf := func(p keystore.Purpose) string {
		t.Helper()
		ids := keyIDs(t, dir, p, keystore.StateActive)
		if len(ids) != 1 {
			t.Fatalf("%s has %d active keys, want 1", p, len(ids))
		}
		return ids[0]
	}

	stdout, stderr, code := runNetid(t, "admin", "keys", "list", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("keys list: exit %d: %s", code, stderr)
	}
	for _, p := range keystore.Purposes() {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(activeOf(p)) + `\s+` + string(p) + `\s+\S+\s+active\s+\d{4}-`).MatchString(stdout) {
			t.Errorf("keys list lacks the active %s key as a table row:\n%s", p, stdout)
		}
	}
	if strings.Contains(stdout, "secret") || strings.Contains(stdout, "pkcs8") {
		t.Errorf("keys list shows key material:\n%s", stdout)
	}

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // in stdout or stderr
	}{
		{"blind-index is pinned", []string{"rotate", "--purpose", "blind-index"}, 1, "pairwise subjects"},
		{"unknown purpose", []string{"rotate", "--purpose", "signing"}, exitUsage, `--purpose "signing" is not one of`},
		{"no purpose", []string{"rotate"}, exitUsage, "--purpose is required"},
		{"another suite", []string{"rotate", "--purpose", "ca", "--suite", "sm"}, 1, "--change-suite"},
		{"retire the active key", []string{"retire", activeOf(keystore.Cookie)}, 1, "rotate first"},
		{"retire an unknown key", []string{"retire", "cookie-000000000000000000000000"}, 1, "no key"},
		{"retire without an id", []string{"retire"}, exitUsage, "takes 1 argument"},
		{"retire a blind-index key", []string{"retire", activeOf(keystore.BlindIndex)}, 1, "rotate first"},
		{"wrong data dir", []string{"list", "--data-dir", filepath.Join(dir, "nowhere")}, 1, "is --data-dir"},
		{"wrong data dir, rotating", []string{"rotate", "--purpose", "cookie", "--data-dir", filepath.Join(dir, "nowhere")}, 1, "is --data-dir"},
	}
	for _, tt := range tests {
		args := append([]string{"admin", "keys"}, tt.args...)
		if !strings.Contains(strings.Join(tt.args, " "), "--data-dir") {
			args = append(args, "--data-dir", dir)
		}
		stdout, stderr, code := runNetid(t, args...)
		if code != tt.wantCode || !strings.Contains(stdout+stderr, tt.wantOut) {
			t.Errorf("%s: exit %d, output %q%q; want exit %d mentioning %q", tt.name, code, stdout, stderr, tt.wantCode, tt.wantOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); !os.IsNotExist(err) {
		t.Error("a wrong --data-dir was created")
	}

	// Rotate every purpose a rotation is meaningful for.
	old := map[keystore.Purpose]string{}
	for _, p := range []keystore.Purpose{keystore.TokenSigning, keystore.CA, keystore.LogSigning, keystore.KeyEncryption, keystore.Cookie} {
		old[p] = activeOf(p)
		out := adminKeys(t, "rotate", "--purpose", string(p), "--data-dir", dir)
		fresh := activeOf(p)
		if fresh == old[p] || !strings.Contains(out, "new active key "+fresh) || !strings.Contains(out, old[p]+" now retiring") {
			t.Errorf("rotate %s: output %q; want the new key and the old one retiring", p, out)
		}
		if got := keyIDs(t, dir, p, keystore.StateRetiring); !cmp.Equal(got, []string{old[p]}) {
			t.Errorf("after rotating %s, retiring keys = %v, want [%s]", p, got, old[p])
		}
	}
	// The new CA key's certificate is stored at once: every node publishes
	// the same bytes.
	svc := openedService(t, dir)
	if _, err := svc.store.CACertificate(context.Background(), activeOf(keystore.CA)); err != nil {
		t.Errorf("the new CA key's certificate is not stored: %v", err)
	}

	// Retiring: refused within the grace, and a KEK that still wraps data
	// keys is refused whatever the grace.
	stdout, stderr, code = runNetid(t, "admin", "keys", "retire", old[keystore.TokenSigning], "--data-dir", dir)
	if code != 1 || !strings.Contains(stderr, "less than 1h0m0s") {
		t.Errorf("retire within the grace: exit %d, %q; want a refusal naming the 1h grace", code, stderr)
	}
	stdout, stderr, code = runNetid(t, "admin", "keys", "retire", "--grace", "0", old[keystore.KeyEncryption], "--data-dir", dir)
	if code != 1 || !strings.Contains(stderr, "still wraps 3 resident data key(s)") {
		t.Errorf("retire a KEK in use: exit %d, %q; want a refusal naming 3 data keys", code, stderr)
	}
	if got := keyIDs(t, dir, keystore.KeyEncryption, keystore.StateRetiring); !cmp.Equal(got, []string{old[keystore.KeyEncryption]}) {
		t.Errorf("the refused retirement changed the KEK: retiring = %v", got)
	}
	out := adminKeys(t, "rewrap", "--data-dir", dir)
	if !strings.Contains(out, "re-wrapped 3 data key(s)") {
		t.Errorf("rewrap: %q", out)
	}
	for _, p := range []keystore.Purpose{keystore.TokenSigning, keystore.KeyEncryption} {
		out := adminKeys(t, "retire", old[p], "--grace", "0", "--data-dir", dir)
		if !strings.Contains(out, "retired "+old[p]) {
			t.Errorf("retire %s: %q", p, out)
		}
		if got := keyIDs(t, dir, p, keystore.StateRetired); !cmp.Equal(got, []string{old[p]}) {
			t.Errorf("retired %s keys = %v, want [%s]", p, got, old[p])
		}
	}
	if out := adminKeys(t, "retire", old[keystore.TokenSigning], "--data-dir", dir); !strings.Contains(out, "retired already") {
		t.Errorf("retiring twice: %q", out)
	}
	// The residents' data survives: it now depends on the new KEK only.
	svc = openedService(t, dir)
	env := envelope.New(svc.suite, svc.keys, svc.store)
	for o, ct := range sealed {
		if got, err := env.Open(context.Background(), o, "name", ct); err != nil || string(got) != o {
			t.Errorf("Open(%s) after rotation, re-wrap and retirement = %q, %v", o, got, err)
		}
	}

	// Every change and every refusal is in the audit trail.
	recs, err := svc.store.AdminAudit(context.Background(), time.Time{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range recs {
		if !strings.HasPrefix(r.Admin, admin.LocalPrefix) || r.Channel != admin.ChannelCommand {
			t.Errorf("audit record %+v: want a local operator on the command channel", r)
		}
		count[string(r.Action)+" "+string(r.Outcome)]++
	}
	want := map[string]int{
		"key.rotate ok": 5, "key.rotate conflict": 2, // blind-index, another suite
		"key.retire ok": 3, "key.retire conflict": 5, // active, unknown, blind-index, grace, KEK in use
		"key.rewrap ok": 1,
	}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("audit trail (-want +got):\n%s", diff)
	}
}

// lineCanceller cancels a context once the command has written n progress
// lines: an operator's Ctrl-C in the middle of a re-wrap.
type lineCanceller struct {
	mu     sync.Mutex
	out    strings.Builder
	n      int
	cancel context.CancelFunc
}

func (l *lineCanceller) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out.Write(p)
	if strings.Count(l.out.String(), "re-wrapping ") >= l.n {
		l.cancel()
	}
	return len(p), nil
}

// netid admin keys rewrap, interrupted after some batches, loses nothing
// and the next run finishes the job.
func TestAdminKeysRewrapResumesAfterInterruption(t *testing.T) {
	dir, sealed := keysDataDir(t, 250)
	oldKEK := keyIDs(t, dir, keystore.KeyEncryption, keystore.StateActive)[0]
	adminKeys(t, "rotate", "--purpose", "key-encryption", "--data-dir", dir)
	newKEK := keyIDs(t, dir, keystore.KeyEncryption, keystore.StateActive)[0]

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &lineCanceller{n: 3, cancel: cancel}
	var stdout strings.Builder
	code := run(ctx, []string{"admin", "keys", "rewrap", "--batch", "10", "--data-dir", dir}, &stdout, stderr)
	if code != 130 || !strings.Contains(stderr.out.String(), "interrupted after re-wrapping 30 of 250 data keys") {
		t.Fatalf("interrupted rewrap: exit %d\n%s%s\nwant exit 130 after 30 of 250", code, stdout.String(), stderr.out.String())
	}
	// Plain progress lines (stderr is not a terminal): count/total,
	// percentage, rate and time left.
	line := regexp.MustCompile(`(?m)^re-wrapping 10/250 data keys \(4%\), \d+/s, ETA (\d+h)?(\d+m)?\d+s$`)
	if !line.MatchString(stderr.out.String()) {
		t.Errorf("progress lines lack count/total, rate and ETA:\n%s", stderr.out.String())
	}
	if diff := cmp.Diff(map[string]int64{oldKEK: 220, newKEK: 30}, dataKeyCounts(t, dir)); diff != "" {
		t.Errorf("after the interruption (-want +got):\n%s", diff)
	}

	stdoutS, stderrS, code := runNetid(t, "admin", "keys", "rewrap", "--batch", "10", "--data-dir", dir)
	if code != 0 || !strings.Contains(stdoutS, "re-wrapped 220 data key(s) under the active KEK "+newKEK) {
		t.Fatalf("resumed rewrap: exit %d\n%s%s", code, stdoutS, stderrS)
	}
	if !strings.Contains(stderrS, "re-wrapping 220/220 data keys (100%)") {
		t.Errorf("the resumed run's progress does not reach 220/220:\n%s", stderrS)
	}
	if diff := cmp.Diff(map[string]int64{newKEK: 250}, dataKeyCounts(t, dir)); diff != "" {
		t.Errorf("after the resumed run (-want +got):\n%s", diff)
	}
	if out := adminKeys(t, "rewrap", "--data-dir", dir); !strings.Contains(out, "nothing to re-wrap") {
		t.Errorf("a third run: %q, want nothing to do", out)
	}
	adminKeys(t, "retire", oldKEK, "--grace", "0", "--data-dir", dir)
	svc := openedService(t, dir)
	env := envelope.New(svc.suite, svc.keys, svc.store)
	for o, ct := range sealed {
		if got, err := env.Open(context.Background(), o, "name", ct); err != nil || string(got) != o {
			t.Fatalf("Open(%s) after the interrupted and resumed re-wrap = %q, %v", o, got, err)
		}
	}
}

// A data key under a KEK that is gone (retired without re-wrapping, a key
// file lost) is named before anything is re-wrapped.
func TestAdminKeysRewrapNamesLostKEKs(t *testing.T) {
	dir, _ := keysDataDir(t, 2)
	oldKEK := keyIDs(t, dir, keystore.KeyEncryption, keystore.StateActive)[0]
	adminKeys(t, "rotate", "--purpose", "key-encryption", "--data-dir", dir)
	if err := os.Remove(filepath.Join(dir, "keys", oldKEK+".json")); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runNetid(t, "admin", "keys", "rewrap", "--data-dir", dir)
	if code != 1 || !strings.Contains(stderr, oldKEK+" (2 data keys)") || !strings.Contains(stderr, "restore those key files from a backup") {
		t.Errorf("rewrap with a lost KEK: exit %d, %q", code, stderr)
	}
}

func TestRewrapProgress(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	var plain strings.Builder
	p := newRewrapProgress(&plain, 1000, now)
	for _, done := range []int64{5, 9, 10, 11, 500, 1000} {
		clock = clock.Add(time.Second)
		p.update(done)
	}
	p.finish(1000)
	got := plain.String()
	for _, line := range []string{
		"re-wrapping 5/1000 data keys (0%), 5/s, ETA 3m19s",
		"re-wrapping 10/1000 data keys (1%), 3/s, ETA 4m57s",
		"re-wrapping 500/1000 data keys (50%), 100/s, ETA 5s",
		"re-wrapping 1000/1000 data keys (100%), 167/s, ETA 0s",
		"re-wrapped 1000 data keys in 6s",
	} {
		if !strings.Contains(got, line+"\n") {
			t.Errorf("plain progress lacks %q:\n%s", line, got)
		}
	}
	if n := strings.Count(got, "\n"); n != 5 {
		t.Errorf("plain progress has %d lines, want 5 (one per whole percent reached, then the total):\n%s", n, got)
	}

	// On a terminal: one line redrawn in place, with a bar.
	var term strings.Builder
	tp := newRewrapProgress(&term, 4, now)
	tp.terminal = true
	tp.update(2)
	tp.finish(4)
	if got := term.String(); !strings.HasPrefix(got, "\rre-wrapping [###############...............] 2/4 data keys (50%)") ||
		!strings.Contains(got, "\rre-wrapping [##############################] 4/4 data keys (100%)") || strings.Count(got, "\n") != 2 {
		t.Errorf("terminal progress = %q", got)
	}
	if isTerminal(io.Discard) || isTerminal(&term) {
		t.Error("a non-file writer is taken for a terminal")
	}
}

func TestKeyChanges(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := func(id string, st keystore.State) keystore.Meta {
		return keystore.Meta{ID: id, Purpose: keystore.Cookie, State: st, Created: at}
	}
	tests := []struct {
		name          string
		before, after []keystore.Meta
		want          []string
	}{
		{"nothing", []keystore.Meta{m("a", "active")}, []keystore.Meta{m("a", "active")}, nil},
		{"rotation", []keystore.Meta{m("a", "active")}, []keystore.Meta{m("a", "retiring"), m("b", "active")},
			[]string{"a active->retiring", "b new->active"}},
		{"retirement", []keystore.Meta{m("a", "retiring"), m("b", "active")}, []keystore.Meta{m("a", "retired"), m("b", "active")},
			[]string{"a retiring->retired"}},
		{"a file removed", []keystore.Meta{m("a", "retiring")}, nil, []string{"a retiring->gone"}},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range keyChanges(tt.before, tt.after) {
			got = append(got, fmt.Sprintf("%s %s->%s", c.ID, c.from, c.State))
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// keys list --json is for scripts: the fields named in the help.
func TestAdminKeysListJSON(t *testing.T) {
	dir, _ := keysDataDir(t, 0)
	stdout, stderr, code := runNetid(t, "admin", "keys", "list", "--json", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(keystore.Purposes()) {
		t.Fatalf("%d keys listed, want %d", len(rows), len(keystore.Purposes()))
	}
	for _, r := range rows {
		if diff := cmp.Diff([]string{"algorithm", "created", "id", "purpose", "state", "state_changed"}, slices.Sorted(maps.Keys(r))); diff != "" {
			t.Errorf("row fields (-want +got):\n%s", diff)
		}
	}
}
