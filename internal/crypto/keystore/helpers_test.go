package keystore

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
)

// stepClock is a test clock that moves one second at every reading, so that
// keys created one after the other have distinct, ordered times.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func newStepClock() *stepClock {
	return &stepClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
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
