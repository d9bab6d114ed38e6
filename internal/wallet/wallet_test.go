package wallet

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
)

// newTestWallet creates a wallet of suite name in a fresh directory.
func newTestWallet(t *testing.T, name suite.Name) *Wallet {
	t.Helper()
	w, err := Create(filepath.Join(t.TempDir(), "wallet"), name, "http://127.0.0.1:8080/", nil, time.Now())
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	return w
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// A new wallet is private to its owner and reopens to the same key.
func TestCreateAndOpen(t *testing.T) {
	for _, name := range suite.Names() {
		t.Run(string(name), func(t *testing.T) {
			w := newTestWallet(t, name)
			for path, want := range map[string]fs.FileMode{
				w.Dir():                           0o700,
				filepath.Join(w.Dir(), KeyFile):   0o600,
				filepath.Join(w.Dir(), StateFile): 0o600,
				filepath.Join(w.Dir(), ".lock"):   0o600,
			} {
				if got := mode(t, path); got != want {
					t.Errorf("mode of %s = %04o, want %04o", filepath.Base(path), got, want)
				}
			}
			re, err := Open(w.Dir())
			if err != nil {
				t.Fatalf("Open() error = %v", err)
			}
			if got, want := re.DeviceKeyFingerprint(), w.DeviceKeyFingerprint(); got != want || got == "" {
				t.Errorf("reopened fingerprint = %q, want %q", got, want)
			}
			st := re.State()
			if st.Format != Format || st.Suite != name || st.Server != "http://127.0.0.1:8080" {
				t.Errorf("state = %+v, want format %q, suite %q, server without the slash", st, Format, name)
			}
			if got := re.Summary(false, time.Now()); got.Status != StatusNew || got.Secrets != nil {
				t.Errorf("Summary() = %+v, want status new and no secrets", got)
			}
		})
	}
}

// Create never replaces a device key, and refuses a directory others can
// read.
func TestCreateRefuses(t *testing.T) {
	w := newTestWallet(t, suite.Intl)
	before, err := os.ReadFile(filepath.Join(w.Dir(), KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(w.Dir(), suite.Intl, "", nil, time.Now()); !errors.Is(err, ErrWalletExists) {
		t.Errorf("Create(existing) error = %v, want ErrWalletExists", err)
	}
	after, _ := os.ReadFile(filepath.Join(w.Dir(), KeyFile))
	if !bytes.Equal(before, after) {
		t.Errorf("Create(existing) changed the device key")
	}

	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(open, suite.Intl, "", nil, time.Now()); !errors.Is(err, ErrInsecurePermissions) {
		t.Errorf("Create(0755 dir) error = %v, want ErrInsecurePermissions", err)
	}
	if _, err := os.Stat(filepath.Join(open, KeyFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Create(0755 dir) wrote a device key: %v", err)
	}
	if _, err := Create(filepath.Join(t.TempDir(), "x"), "rsa", "", nil, time.Now()); !errors.Is(err, suite.ErrUnknownSuite) {
		t.Errorf("Create(suite rsa) error = %v, want ErrUnknownSuite", err)
	}
	if _, err := Create(filepath.Join(t.TempDir(), "x"), suite.Intl, "ftp://example.test", nil, time.Now()); err == nil {
		t.Errorf("Create(ftp server) error = nil, want an error")
	}
}

// Open refuses wallets others can read, symbolic links, and files it
// cannot fully understand.
func TestOpenRefuses(t *testing.T) {
	otherSuiteKey, err := os.ReadFile(filepath.Join(newTestWallet(t, suite.SM).Dir(), KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		break_  func(t *testing.T, dir string)
		wantErr error
	}{
		{"dir readable by group", func(t *testing.T, dir string) { chmod(t, dir, 0o750) }, ErrInsecurePermissions},
		{"state readable by others", func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, StateFile), 0o644) }, ErrInsecurePermissions},
		{"key readable by group", func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, KeyFile), 0o640) }, ErrInsecurePermissions},
		{"key is a symbolic link", func(t *testing.T, dir string) {
			target := filepath.Join(t.TempDir(), "key")
			data, _ := os.ReadFile(filepath.Join(dir, KeyFile))
			if err := os.WriteFile(target, data, 0o600); err != nil {
				t.Fatal(err)
			}
			os.Remove(filepath.Join(dir, KeyFile))
			if err := os.Symlink(target, filepath.Join(dir, KeyFile)); err != nil {
				t.Fatal(err)
			}
		}, ErrInsecurePermissions},
		{"no state", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, StateFile)) }, ErrNoWallet},
		{"no key", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, KeyFile)) }, ErrWalletFormat},
		{"corrupt state", func(t *testing.T, dir string) { write(t, filepath.Join(dir, StateFile), `{"format":`) }, ErrWalletFormat},
		{"unknown member", func(t *testing.T, dir string) { editState(t, dir, "future_feature", true) }, ErrWalletFormat},
		{"newer format", func(t *testing.T, dir string) { editState(t, dir, "format", "netid-wallet/2") }, ErrWalletFormat},
		{"unknown suite", func(t *testing.T, dir string) { editState(t, dir, "suite", "rsa") }, ErrWalletFormat},
		{"key of the other suite", func(t *testing.T, dir string) { write(t, filepath.Join(dir, KeyFile), string(otherSuiteKey)) }, ErrWalletFormat},
		{"key not PEM", func(t *testing.T, dir string) { write(t, filepath.Join(dir, KeyFile), "not a key") }, ErrWalletFormat},
		{"enrolment without token", func(t *testing.T, dir string) {
			editState(t, dir, "enrolment", map[string]any{"id": "e1", "csr_nonce": "n"})
		}, ErrWalletFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWallet(t, suite.Intl)
			tt.break_(t, w.Dir())
			if _, err := Open(w.Dir()); !errors.Is(err, tt.wantErr) {
				t.Errorf("Open() error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, ErrNoWallet) {
		t.Errorf("Open(missing dir) error = %v, want ErrNoWallet", err)
	}
}

func chmod(t *testing.T, path string, m fs.FileMode) {
	t.Helper()
	if err := os.Chmod(path, m); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// editState sets member key of wallet.json to v.
func editState(t *testing.T, dir, key string, v any) {
	t.Helper()
	path := filepath.Join(dir, StateFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m[key] = v
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	write(t, path, string(b))
}

// Update writes the whole new state or nothing, and leaves no temporary
// file behind.
func TestUpdate(t *testing.T) {
	w := newTestWallet(t, suite.Intl)
	path := filepath.Join(w.Dir(), StateFile)
	enrolment := &Enrolment{ID: "e1", Token: "secret-token", CSRNonce: "nonce-0123456789abcdef", ExpiresAt: time.Unix(2e9, 0).UTC()}
	if err := w.Update(func(s *State) error { s.Enrolment = enrolment; return nil }); err != nil {
		t.Fatalf("Update() error = %v", err)
	}
	re, err := Open(w.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if got := re.State().Enrolment; got == nil || got.Token != "secret-token" {
		t.Errorf("reopened enrolment = %+v, want the saved one", got)
	}
	if got := mode(t, path); got != 0o600 {
		t.Errorf("mode after Update = %04o, want 0600", got)
	}

	before, _ := os.ReadFile(path)
	boom := errors.New("boom")
	if err := w.Update(func(s *State) error { s.Enrolment = nil; return boom }); !errors.Is(err, boom) {
		t.Errorf("Update(failing) error = %v, want boom", err)
	}
	if err := w.Update(func(s *State) error { s.Enrolment = &Enrolment{ID: "only an id"}; return nil }); !errors.Is(err, ErrWalletFormat) {
		t.Errorf("Update(invalid state) error = %v, want ErrWalletFormat", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("a refused Update changed wallet.json")
	}
	if w.State().Enrolment == nil {
		t.Errorf("a refused Update changed the wallet in memory")
	}
	entries, err := os.ReadDir(w.Dir())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}

	// State returns a copy.
	st := w.State()
	st.Enrolment.Token = "changed"
	if w.State().Enrolment.Token != "secret-token" {
		t.Errorf("changing State()'s result changed the wallet")
	}
}

// A held lock makes other changes fail at once rather than interleave.
func TestLockExcludes(t *testing.T) {
	w := newTestWallet(t, suite.Intl)
	other, err := Open(w.Dir())
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := w.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Update(func(*State) error { return nil }); !errors.Is(err, ErrWalletBusy) {
		t.Errorf("Update() under another's lock error = %v, want ErrWalletBusy", err)
	}
	unlock()
	if err := other.Update(func(*State) error { return nil }); err != nil {
		t.Errorf("Update() after unlock error = %v", err)
	}
}

// Secrets appear in a summary only when asked for.
func TestSummarySecrets(t *testing.T) {
	w := newTestWallet(t, suite.Intl)
	if err := w.Update(func(s *State) error {
		s.Enrolment = &Enrolment{ID: "e1", Token: "tok-secret", CSRNonce: "nonce-0123456789abcdef"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	quiet, err := json.Marshal(w.Summary(false, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(quiet, []byte("tok-secret")) {
		t.Errorf("summary without secrets shows the token: %s", quiet)
	}
	loud, _ := json.Marshal(w.Summary(true, time.Now()))
	if !bytes.Contains(loud, []byte("tok-secret")) {
		t.Errorf("summary with secrets lacks the token: %s", loud)
	}
}
