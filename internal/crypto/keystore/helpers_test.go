package keystore

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
)

// testClock is the tests' clock. It moves by step at every reading, and
// by advance when a test tells it to: a step of a second (newStepClock)
// gives keys created one after the other distinct, ordered times; no step
// (newManualClock) puts a test exactly before or at a pending key's
// activation time.
type testClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func newStepClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), step: time.Second}
}

func newManualClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func mustSuite(t testing.TB, n suite.Name) suite.Suite {
	t.Helper()
	s, err := suite.New(n)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// keyDir returns a path for a key directory that does not exist yet, so that
// OpenDir creates it.
func keyDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "keys")
}

func open(t testing.TB, dir string, n suite.Name, opts ...Option) *Store {
	t.Helper()
	st, err := OpenDir(dir, mustSuite(t, n), opts...)
	if err != nil {
		t.Fatalf("OpenDir: %v", err)
	}
	return st
}

// bootstrapped opens a store on a fresh directory and bootstraps it.
func bootstrapped(t testing.TB, n suite.Name) (*Store, string) {
	t.Helper()
	dir := keyDir(t)
	st := open(t, dir, n, WithClock(newStepClock().now))
	if _, err := st.Bootstrap(context.Background()); err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}
	return st, dir
}

// activeID returns the id of the active key of p.
func activeID(t testing.TB, st *Store, p Purpose) string {
	t.Helper()
	m, err := st.active(p)
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// findPublic returns the key with id among keys, or nil.
func findPublic(keys []PublicKey, id string) *PublicKey {
	for i := range keys {
		if keys[i].ID == id {
			return &keys[i]
		}
	}
	return nil
}
