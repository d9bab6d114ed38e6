package keystore

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/crypto/suite"
)

// A node that has not reloaded since another process rotated still uses
// the new key's id when it meets it (a data key re-wrapped under the new
// KEK by an operator's command, a signature by another node): the unknown
// id makes it reload once.
func TestUnknownKeyIDReloads(t *testing.T) {
	ctx := context.Background()
	operator, dir := bootstrapped(t, suite.Intl)
	node := open(t, dir, suite.Intl)

	kek, err := operator.Rotate(ctx, KeyEncryption)
	if err != nil {
		t.Fatal(err)
	}
	kekID, wrapped, err := operator.Wrap(ctx, []byte("owner"), []byte("data key"))
	if err != nil || kekID != kek.ID {
		t.Fatalf("Wrap after Rotate: %s, %v; want the new KEK %s", kekID, err, kek.ID)
	}
	if got, err := node.Unwrap(ctx, kekID, []byte("owner"), wrapped); err != nil || string(got) != "data key" {
		t.Fatalf("node Unwrap under a KEK created after its last reload: %q, %v", got, err)
	}
	if got := activeID(t, node, KeyEncryption); got != kek.ID {
		t.Errorf("node's active KEK after the miss = %s, want %s (the reload brought the rotation)", got, kek.ID)
	}

	// The same for a signing key and a MAC key, through every lookup by id.
	signing, err := operator.Rotate(ctx, LogSigning)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := node.PublicKey(signing.ID); err != nil {
		t.Errorf("node PublicKey of a new key: %v", err)
	}
	cookie, err := operator.Rotate(ctx, Cookie)
	if err != nil {
		t.Fatal(err)
	}
	want, err := operator.MAC(ctx, cookie.ID, []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := node.MAC(ctx, cookie.ID, []byte("m")); err != nil || string(got) != string(want) {
		t.Errorf("node MAC with a new key: %x, %v; want %x", got, err, want)
	}
	token, err := operator.Rotate(ctx, TokenSigning)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := node.Signer(token.ID)
	if err != nil {
		t.Fatalf("node Signer of a new key: %v", err)
	}
	digest := sha256.Sum256([]byte("payload"))
	if _, err := signer.Sign(nil, digest[:], crypto.SHA256); err != nil {
		t.Errorf("signing with it: %v", err)
	}

	// An id that exists nowhere is still not found after the reload.
	for _, id := range []string{"key-encryption-000000000000000000000000", "not a key id"} {
		if _, err := node.Unwrap(ctx, id, nil, wrapped); !errors.Is(err, ErrNotFound) {
			t.Errorf("Unwrap(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

// Callers that miss at once share reloads, and a flood of unknown ids
// reloads at most once per missReloadGap: a counting backend shows it.
func TestMissReloadsAreShared(t *testing.T) {
	ctx := context.Background()
	st, dir := bootstrapped(t, suite.Intl)
	b, err := openFileBackend(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cb := &countingBackend{Backend: b}
	st, err = New(ctx, cb, st.Suite())
	if err != nil {
		t.Fatal(err)
	}
	cb.reset()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := st.MAC(ctx, "cookie-000000000000000000000000", []byte("m")); !errors.Is(err, ErrNotFound) {
				t.Errorf("MAC with an unknown key = %v, want ErrNotFound", err)
			}
		})
	}
	wg.Wait()
	// Callers that missed before a reload began share it; one reload
	// per caller would make 20.
	if n := cb.loads(); n < 1 || n >= 10 {
		t.Errorf("20 concurrent misses caused %d loads, want a few shared ones", n)
	}
}

type countingBackend struct {
	Backend
	mu sync.Mutex
	n  int
}

func (c *countingBackend) Load(ctx context.Context) ([]Meta, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.Backend.Load(ctx)
}

func (c *countingBackend) reset() { c.mu.Lock(); c.n = 0; c.mu.Unlock() }

func (c *countingBackend) loads() int { c.mu.Lock(); defer c.mu.Unlock(); return c.n }

// Reload takes the directory lock shared: a node reloading while another
// process rotates sees the keys before the rotation or after it, never the
// new active key beside the old one still active, which Check (and so
// /readyz) would report.
func TestReloadNeverSeesARotationHalfMade(t *testing.T) {
	ctx := context.Background()
	operator, dir := bootstrapped(t, suite.Intl)
	node := open(t, dir, suite.Intl)
	const rotations = 15
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range rotations {
			if _, err := operator.Rotate(ctx, Cookie); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	reloads := 0
	for running := true; running; reloads++ {
		select {
		case <-done:
			running = false
		default:
		}
		if err := node.Reload(ctx); err != nil {
			t.Error(err)
			break
		}
		if err := node.Check(); err != nil {
			t.Errorf("after %d reloads: Check = %v", reloads, err)
			break
		}
	}
	<-done
	if t.Failed() {
		return
	}
	if got := len(node.List(Cookie)); got != rotations+1 {
		t.Errorf("node sees %d cookie keys, want %d", got, rotations+1)
	}
}

func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	st, dir := bootstrapped(t, suite.SM)
	if _, err := st.Rotate(ctx, CA); err != nil {
		t.Fatal(err)
	}
	var got []Meta
	err := Snapshot(ctx, dir, func(ctx context.Context, files []KeyFile) error {
		for _, f := range files {
			disk, err := os.ReadFile(filepath.Join(dir, f.Name))
			if err != nil {
				return err
			}
			if string(disk) != string(f.Data) {
				t.Errorf("%s: snapshot bytes differ from the file", f.Name)
			}
			if f.Name != f.Meta.ID+".json" || !IsKeyFileName(f.Name) {
				t.Errorf("file %s holds key %s", f.Name, f.Meta.ID)
			}
			got = append(got, f.Meta)
		}
		// While the snapshot is held, no rotation can happen: Rotate waits
		// for the lock until its context gives up.
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		if _, err := st.Rotate(short, CA); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Rotate during a snapshot = %v, want it to wait for the lock (context.DeadlineExceeded)", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sortMetas(got)
	if diff := cmp.Diff(st.List(""), got); diff != "" {
		t.Errorf("snapshot keys (-store +snapshot):\n%s", diff)
	}
	// After the snapshot, rotation proceeds.
	if _, err := st.Rotate(ctx, CA); err != nil {
		t.Errorf("Rotate after the snapshot: %v", err)
	}

	// fn's error is returned; an insecure file is refused before fn runs.
	sentinel := errors.New("stop")
	if err := Snapshot(ctx, dir, func(context.Context, []KeyFile) error { return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("Snapshot returned %v, want fn's error", err)
	}
	victim := filepath.Join(dir, activeID(t, st, Cookie)+".json")
	if err := os.Chmod(victim, 0o644); err != nil {
		t.Fatal(err)
	}
	called := false
	err = Snapshot(ctx, dir, func(context.Context, []KeyFile) error { called = true; return nil })
	if !errors.Is(err, ErrInsecurePermissions) || called {
		t.Errorf("Snapshot of a world-readable key file = %v (fn called %v), want ErrInsecurePermissions before fn", err, called)
	}
	if err := Snapshot(ctx, filepath.Join(dir, "missing"), func(context.Context, []KeyFile) error { return nil }); err == nil {
		t.Error("Snapshot of a missing directory succeeded")
	}
}

func TestIsKeyFileName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"ca-0123456789abcdef01234567.json", true},
		{"key-encryption-0123456789abcdef01234567.json", true},
		{"ca-0123456789abcdef01234567", false},
		{"ca-0123456789ABCDEF01234567.json", false},
		{"../ca-0123456789abcdef01234567.json", false},
		{"keys/ca-0123456789abcdef01234567.json", false},
		{".lock", false},
		{".tmp-ca-0123456789abcdef01234567.json-1", false},
		{"", false},
		{".json", false},
	}
	for _, tt := range tests {
		if got := IsKeyFileName(tt.name); got != tt.want {
			t.Errorf("IsKeyFileName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
