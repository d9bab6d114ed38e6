package emrtd

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// trustTime is when the real trust data is loaded and checked: after the
// signing of both master lists (2026-05-28 and 2026-07-23) and within
// their signers' validity.
var trustTime = time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)

// sharedTestdata returns ../shared/testdata/emrtd relative to the module
// root (the directory holding go.mod). When it is absent the test is
// skipped, except under CI=true, where it fails.
func sharedTestdata(tb testing.TB) string {
	tb.Helper()
	td, ok := sharedTestdataDir()
	if !ok {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("shared test data %s is missing (CI=true)", td)
		}
		tb.Skipf("shared test data %s is missing", td)
	}
	return td
}

// sharedTestdataDir returns the shared emrtd test data directory and
// whether it exists.
func sharedTestdataDir() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
	td := filepath.Join(dir, "..", "shared", "testdata", "emrtd")
	if _, err := os.Stat(td); err != nil {
		return td, false
	}
	return td, true
}

// realSecurityObjects returns the file names of sod/ (EF.SOD and
// EF.CardSecurity files), sorted.
func realSecurityObjects(tb testing.TB) []string {
	tb.Helper()
	entries, err := os.ReadDir(filepath.Join(sharedTestdata(tb), "sod"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sod") || strings.HasSuffix(e.Name(), ".cardsecurity") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	if len(out) < 8 {
		tb.Fatalf("found %d security objects in the shared test data, want 8", len(out))
	}
	return out
}

func readShared(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(sharedTestdata(tb), rel))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// copyTrustDir copies the shared trust/ files into a fresh temporary
// directory (never into the repository) and returns it.
func copyTrustDir(tb testing.TB) string {
	tb.Helper()
	src := filepath.Join(sharedTestdata(tb), "trust")
	dst := tb.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return dst
}

var (
	realTrustOnce  sync.Once
	realTrustStore *TrustStore
	realTrustErr   error
)

// realTrust returns the trust store loaded from a copy of the shared
// trust/ directory, loading it once per test binary.
func realTrust(tb testing.TB) *TrustStore {
	tb.Helper()
	dir := copyTrustDir(tb)
	realTrustOnce.Do(func() {
		realTrustStore, realTrustErr = LoadTrustDir(dir, trustTime)
	})
	if realTrustErr != nil {
		tb.Fatalf("LoadTrustDir() = %v", realTrustErr)
	}
	return realTrustStore
}
