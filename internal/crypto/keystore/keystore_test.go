package keystore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/netid/netid/internal/crypto/suite"
)

func TestBootstrapCreatesEveryPurpose(t *testing.T) {
	wantAlg := map[suite.Name]map[Purpose]string{
		suite.Intl: {TokenSigning: "ES256", CA: "ecdsa-p256", LogSigning: "ecdsa-p256", BlindIndex: "hmac-sha256", KeyEncryption: "aes-256-gcm", Cookie: "hmac-sha256"},
		suite.SM:   {TokenSigning: "ES256", CA: "sm2", LogSigning: "sm2", BlindIndex: "hmac-sm3", KeyEncryption: "sm4-gcm", Cookie: "hmac-sm3"},
	}
	for _, n := range suite.Names() {
		t.Run(string(n), func(t *testing.T) {
			ctx := context.Background()
			st := open(t, keyDir(t), n, WithClock(newStepClock().now))
			if err := st.Check(); !errors.Is(err, ErrNotReady) {
				t.Fatalf("Check on an empty directory: got %v, want ErrNotReady", err)
			}
			created, err := st.Bootstrap(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := map[Purpose]string{}
			for _, m := range created {
				got[m.Purpose] = m.Algorithm
				if m.State != StateActive || !ValidID(m.ID) || !strings.HasPrefix(m.ID, string(m.Purpose)+"-") {
					t.Errorf("created key %+v: want an active key with an id prefixed by its purpose", m)
				}
			}
			if diff := cmp.Diff(wantAlg[n], got); diff != "" {
				t.Errorf("Bootstrap algorithms (-want +got):\n%s", diff)
			}
			if err := st.Check(); err != nil {
				t.Errorf("Check after Bootstrap: %v", err)
			}
			again, err := st.Bootstrap(ctx)
			if err != nil || len(again) != 0 {
				t.Errorf("second Bootstrap: got %d keys, %v; want none, nil", len(again), err)
			}
		})
	}
}

func TestFilesArePrivateAndReopenIdentically(t *testing.T) {
	for _, n := range suite.Names() {
		t.Run(string(n), func(t *testing.T) {
			ctx := context.Background()
			st, dir := bootstrapped(t, n)
			fi, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o700 {
				t.Errorf("directory mode: got %04o, want 0700", got)
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			files := 0
			for _, e := range entries {
				if e.Name() == ".lock" {
					continue
				}
				if !strings.HasSuffix(e.Name(), ".json") {
					t.Errorf("unexpected file %s left in the key directory", e.Name())
					continue
				}
				files++
				info, err := e.Info()
				if err != nil {
					t.Fatal(err)
				}
				if got := info.Mode().Perm(); got != 0o600 {
					t.Errorf("%s mode: got %04o, want 0600", e.Name(), got)
				}
			}
			if files != len(Purposes()) {
				t.Errorf("key files: got %d, want %d", files, len(Purposes()))
			}

			again := open(t, dir, n)
			if diff := cmp.Diff(st.List(""), again.List("")); diff != "" {
				t.Errorf("List after reopening (-before +after):\n%s", diff)
			}
			// The material is the same: a signature, a MAC and a wrapped key
			// made by the first store are accepted by the second.
			s := st.Suite()
			m, signer, err := st.ActiveSigner(CA)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := s.Sign(nil, signer, []byte("m"))
			if err != nil {
				t.Fatal(err)
			}
			pub, err := again.PublicKey(m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Verify(pub.Key, []byte("m"), sig); err != nil {
				t.Errorf("signature of the first store under the second store's key: %v", err)
			}
			id1, mac1, err := st.ActiveMAC(ctx, BlindIndex, []byte("anchor"))
			if err != nil {
				t.Fatal(err)
			}
			mac2, err := again.MAC(ctx, id1, []byte("anchor"))
			if err != nil || string(mac1) != string(mac2) {
				t.Errorf("MAC after reopening: got %x, %v, want %x", mac2, err, mac1)
			}
			kek, wrapped, err := st.Wrap(ctx, []byte("aad"), []byte("data key"))
			if err != nil {
				t.Fatal(err)
			}
			if pt, err := again.Unwrap(ctx, kek, []byte("aad"), wrapped); err != nil || string(pt) != "data key" {
				t.Errorf("Unwrap after reopening: got %q, %v", pt, err)
			}
		})
	}
}

func TestOpenRefusesInsecurePermissions(t *testing.T) {
	tests := []struct {
		name     string
		fileMode os.FileMode // 0 leaves the files alone
		dirMode  os.FileMode // 0 leaves the directory alone
		wantFix  string
	}{
		{"group-readable file", 0o640, 0, "chmod 600"},
		{"world-readable file", 0o604, 0, "chmod 600"},
		{"group-writable file", 0o620, 0, "chmod 600"},
		{"group-readable directory", 0, 0o750, "chmod 700"},
		{"world-searchable directory", 0, 0o701, "chmod 700"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, dir := bootstrapped(t, suite.Intl)
			target := dir
			if tt.fileMode != 0 {
				target = filepath.Join(dir, activeID(t, st, KeyEncryption)+".json")
				if err := os.Chmod(target, tt.fileMode); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Chmod(dir, tt.dirMode); err != nil {
				t.Fatal(err)
			}
			_, err := OpenDir(dir, mustSuite(t, suite.Intl))
			if !errors.Is(err, ErrInsecurePermissions) {
				t.Fatalf("OpenDir: got %v, want ErrInsecurePermissions", err)
			}
			if msg := err.Error(); !strings.Contains(msg, target) || !strings.Contains(msg, tt.wantFix+" "+target) {
				t.Errorf("error %q: want it to name %s and the fix %q", msg, target, tt.wantFix)
			}
			// A running store refuses to reload too.
			if err := st.Reload(context.Background()); !errors.Is(err, ErrInsecurePermissions) {
				t.Errorf("Reload: got %v, want ErrInsecurePermissions", err)
			}
		})
	}
}

func TestOpenRefusesBadKeyFiles(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir, id string)
		want  string
	}{
		{"symbolic link", func(t *testing.T, dir, id string) {
			src := filepath.Join(dir, id+".json")
			elsewhere := filepath.Join(t.TempDir(), "moved.json")
			if err := os.Rename(src, elsewhere); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(elsewhere, src); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
		{"renamed file", func(t *testing.T, dir, id string) {
			if err := os.Rename(filepath.Join(dir, id+".json"), filepath.Join(dir, "cookie-000000000000000000000000.json")); err != nil {
				t.Fatal(err)
			}
		}, "must be named"},
		{"corrupt file", func(t *testing.T, dir, id string) {
			if err := os.WriteFile(filepath.Join(dir, id+".json"), []byte(`{"version":1,`), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "key file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, dir := bootstrapped(t, suite.SM)
			tt.setup(t, dir, activeID(t, st, Cookie))
			_, err := OpenDir(dir, mustSuite(t, suite.SM))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("OpenDir: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestOpenIgnoresStrayFiles(t *testing.T) {
	st, dir := bootstrapped(t, suite.Intl)
	// A temporary file of an interrupted write, and an operator's note.
	for _, name := range []string{".tmp-ca-x.json-123", "README.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	again := open(t, dir, suite.Intl)
	if got, want := len(again.List("")), len(st.List("")); got != want {
		t.Errorf("keys after stray files: got %d, want %d", got, want)
	}
}

func TestOpenDirCreatesPrivateDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b", "keys")
	st := open(t, dir, suite.Intl)
	if got := len(st.List("")); got != 0 {
		t.Errorf("keys in a new directory: got %d, want 0", got)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("created directory mode: got %04o, want 0700", got)
	}
}

func TestCheckReportsSuiteMismatchAndRotationFixesIt(t *testing.T) {
	ctx := context.Background()
	sm, dir := bootstrapped(t, suite.SM)
	kekSM, wrapped, err := sm.Wrap(ctx, nil, []byte("dk"))
	if err != nil {
		t.Fatal(err)
	}
	intl := open(t, dir, suite.Intl, WithClock(newStepClock().now))
	err = intl.Check()
	if !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "rotate ca") {
		t.Fatalf("Check with the other suite: got %v, want ErrNotReady asking to rotate", err)
	}
	if strings.Contains(err.Error(), "purpose token-signing") {
		t.Errorf("Check complains about token-signing, which is ES256 in both suites: %v", err)
	}
	for _, p := range []Purpose{CA, LogSigning, BlindIndex, KeyEncryption, Cookie} {
		if _, err := intl.Rotate(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := intl.Check(); err != nil {
		t.Errorf("Check after rotating every purpose: %v", err)
	}
	// The retiring SM4 KEK still unwraps in the store configured for intl.
	if pt, err := intl.Unwrap(ctx, kekSM, nil, wrapped); err != nil || string(pt) != "dk" {
		t.Errorf("Unwrap with the retiring sm KEK: got %q, %v", pt, err)
	}
}

func TestConcurrentBootstrapMakesOneActiveKeyPerPurpose(t *testing.T) {
	dir := keyDir(t)
	a, b := open(t, dir, suite.Intl), open(t, dir, suite.Intl)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, st := range []*Store{a, b} {
		wg.Go(func() { _, errs[i] = st.Bootstrap(context.Background()) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range []*Store{a, b} {
		if err := st.Reload(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := st.Check(); err != nil {
			t.Errorf("Check after concurrent Bootstrap: %v", err)
		}
		if got := len(st.List("")); got != len(Purposes()) {
			t.Errorf("keys after concurrent Bootstrap: got %d, want %d", got, len(Purposes()))
		}
	}
}
