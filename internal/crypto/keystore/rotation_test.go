package keystore

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/netid/netid/internal/crypto/suite"
)

func TestRotateSigningKeys(t *testing.T) {
	for _, n := range suite.Names() {
		for _, p := range []Purpose{TokenSigning, CA, LogSigning} {
			t.Run(string(n)+"/"+string(p), func(t *testing.T) {
				ctx := context.Background()
				st, _ := bootstrapped(t, n)
				s := st.Suite()
				if p == TokenSigning {
					s = mustSuite(t, suite.Intl) // ES256 whatever the suite
				}
				msg := []byte("payload")
				oldMeta, oldSigner, err := st.ActiveSigner(p)
				if err != nil {
					t.Fatal(err)
				}
				oldSig, err := s.Sign(nil, oldSigner, msg)
				if err != nil {
					t.Fatal(err)
				}

				newMeta, err := st.Rotate(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if newMeta.ID == oldMeta.ID || newMeta.State != StateActive {
					t.Fatalf("Rotate: got %+v, want a new active key", newMeta)
				}
				gotMeta, newSigner, err := st.ActiveSigner(p)
				if err != nil || gotMeta.ID != newMeta.ID {
					t.Fatalf("ActiveSigner after Rotate: got %s, %v, want %s", gotMeta.ID, err, newMeta.ID)
				}
				newSig, err := s.Sign(nil, newSigner, msg)
				if err != nil {
					t.Fatal(err)
				}

				// While the old key is retiring, both verify through PublicKeys.
				keys, err := st.PublicKeys(p)
				if err != nil {
					t.Fatal(err)
				}
				oldPub, newPub := findPublic(keys, oldMeta.ID), findPublic(keys, newMeta.ID)
				if len(keys) != 2 || oldPub == nil || newPub == nil {
					t.Fatalf("PublicKeys while retiring: got %d keys, want the old and the new", len(keys))
				}
				if oldPub.State != StateRetiring {
					t.Errorf("old key state: got %s, want %s", oldPub.State, StateRetiring)
				}
				if err := s.Verify(oldPub.Key, msg, oldSig); err != nil {
					t.Errorf("old signature under the retiring key: %v", err)
				}
				if err := s.Verify(newPub.Key, msg, newSig); err != nil {
					t.Errorf("new signature under the new key: %v", err)
				}
				if err := s.Verify(oldPub.Key, msg, newSig); !errors.Is(err, suite.ErrInvalidSignature) {
					t.Errorf("new signature under the old key: got %v, want ErrInvalidSignature", err)
				}

				if _, err := st.Retire(ctx, newMeta.ID); !errors.Is(err, ErrState) {
					t.Errorf("Retire(active key): got %v, want ErrState", err)
				}
				if _, err := st.Retire(ctx, oldMeta.ID); err != nil {
					t.Fatal(err)
				}
				keys, err = st.PublicKeys(p)
				if err != nil {
					t.Fatal(err)
				}
				if len(keys) != 1 || keys[0].ID != newMeta.ID {
					t.Errorf("PublicKeys after Retire: got %d keys, want only %s", len(keys), newMeta.ID)
				}
				if _, err := st.Signer(oldMeta.ID); !errors.Is(err, ErrRetired) {
					t.Errorf("Signer(retired): got %v, want ErrRetired", err)
				}
				// A signer obtained before retirement stops signing.
				if _, err := s.Sign(nil, oldSigner, msg); !errors.Is(err, ErrRetired) {
					t.Errorf("Sign with a signer of a retired key: got %v, want ErrRetired", err)
				}
				// The public key stays available for audit of old signatures.
				audit, err := st.PublicKey(oldMeta.ID)
				if err != nil || audit.State != StateRetired {
					t.Fatalf("PublicKey(retired): got %+v, %v", audit.Meta, err)
				}
				if err := s.Verify(audit.Key, msg, oldSig); err != nil {
					t.Errorf("old signature under the audit key: %v", err)
				}
			})
		}
	}
}

func TestRotateKeyEncryptionKey(t *testing.T) {
	for _, n := range suite.Names() {
		t.Run(string(n), func(t *testing.T) {
			ctx := context.Background()
			st, dir := bootstrapped(t, n)
			aad := []byte("owner=resident-1")
			oldKEK, wrapped, err := st.Wrap(ctx, aad, []byte("data key"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Unwrap(ctx, oldKEK, []byte("owner=resident-2"), wrapped); !errors.Is(err, ErrUnwrap) {
				t.Errorf("Unwrap with another aad: got %v, want ErrUnwrap", err)
			}
			if _, err := st.Rotate(ctx, KeyEncryption); err != nil {
				t.Fatal(err)
			}
			newKEK, _, err := st.Wrap(ctx, aad, []byte("data key"))
			if err != nil {
				t.Fatal(err)
			}
			if newKEK == oldKEK {
				t.Fatalf("Wrap after Rotate used the old KEK %s", oldKEK)
			}
			if pt, err := st.Unwrap(ctx, oldKEK, aad, wrapped); err != nil || string(pt) != "data key" {
				t.Fatalf("Unwrap with the retiring KEK: got %q, %v", pt, err)
			}
			if _, err := st.Retire(ctx, oldKEK); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Unwrap(ctx, oldKEK, aad, wrapped); !errors.Is(err, ErrRetired) {
				t.Errorf("Unwrap with the retired KEK: got %v, want ErrRetired", err)
			}
			// Retiring destroyed the secret on disk; metadata stays.
			data, err := os.ReadFile(filepath.Join(dir, oldKEK+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var f keyFile
			if err := json.Unmarshal(data, &f); err != nil {
				t.Fatal(err)
			}
			if len(f.Secret) != 0 || f.State != StateRetired || f.ID != oldKEK {
				t.Errorf("retired key file: got state %s, %d secret bytes; want retired, none", f.State, len(f.Secret))
			}
			again := open(t, dir, n)
			if _, err := again.Unwrap(ctx, oldKEK, aad, wrapped); !errors.Is(err, ErrRetired) {
				t.Errorf("Unwrap with the retired KEK after reopening: got %v, want ErrRetired", err)
			}
			// Retire is idempotent on a retired key.
			if m, err := st.Retire(ctx, oldKEK); err != nil || m.State != StateRetired {
				t.Errorf("second Retire: got %+v, %v", m, err)
			}
		})
	}
}

func TestMACKeysRotate(t *testing.T) {
	for _, n := range suite.Names() {
		t.Run(string(n), func(t *testing.T) {
			ctx := context.Background()
			st, _ := bootstrapped(t, n)
			msg := []byte("session=abc")
			oldID, tag, err := st.ActiveMAC(ctx, Cookie, msg)
			if err != nil {
				t.Fatal(err)
			}
			if want := st.Suite().MAC(nil, nil); len(tag) != len(want) {
				t.Errorf("MAC length: got %d, want %d", len(tag), len(want))
			}
			if m, err := st.VerifyMAC(ctx, Cookie, msg, tag); err != nil || m.ID != oldID {
				t.Errorf("VerifyMAC: got %s, %v, want %s", m.ID, err, oldID)
			}
			if _, err := st.Rotate(ctx, Cookie); err != nil {
				t.Fatal(err)
			}
			if m, err := st.VerifyMAC(ctx, Cookie, msg, tag); err != nil || m.ID != oldID {
				t.Errorf("VerifyMAC with the retiring key: got %s, %v, want %s", m.ID, err, oldID)
			}
			newID, newTag, err := st.ActiveMAC(ctx, Cookie, msg)
			if err != nil || newID == oldID || string(newTag) == string(tag) {
				t.Errorf("ActiveMAC after Rotate: got %s, want a new key and a new MAC", newID)
			}
			if _, err := st.Retire(ctx, oldID); err != nil {
				t.Fatal(err)
			}
			if _, err := st.VerifyMAC(ctx, Cookie, msg, tag); !errors.Is(err, ErrMACMismatch) {
				t.Errorf("VerifyMAC with the retired key: got %v, want ErrMACMismatch", err)
			}
			if _, err := st.MAC(ctx, oldID, msg); !errors.Is(err, ErrRetired) {
				t.Errorf("MAC(retired): got %v, want ErrRetired", err)
			}
		})
	}
}

func TestCapabilitiesFollowPurpose(t *testing.T) {
	ctx := context.Background()
	st, _ := bootstrapped(t, suite.SM)
	ca, kek, blind := activeID(t, st, CA), activeID(t, st, KeyEncryption), activeID(t, st, BlindIndex)
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"MAC with a CA key", func() error { _, err := st.MAC(ctx, ca, nil); return err }, ErrWrongPurpose},
		{"Unwrap with a MAC key", func() error { _, err := st.Unwrap(ctx, blind, nil, nil); return err }, ErrWrongPurpose},
		{"Signer of a KEK", func() error { _, err := st.Signer(kek); return err }, ErrWrongPurpose},
		{"ActiveSigner of blind-index", func() error { _, _, err := st.ActiveSigner(BlindIndex); return err }, ErrWrongPurpose},
		{"ActiveMAC of ca", func() error { _, _, err := st.ActiveMAC(ctx, CA, nil); return err }, ErrWrongPurpose},
		{"PublicKeys of cookie", func() error { _, err := st.PublicKeys(Cookie); return err }, ErrWrongPurpose},
		{"PublicKey of a KEK", func() error { _, err := st.PublicKey(kek); return err }, ErrWrongPurpose},
		{"unknown id", func() error { _, err := st.Signer("ca-000000000000000000000000"); return err }, ErrNotFound},
		{"Retire unknown id", func() error { _, err := st.Retire(ctx, "nope"); return err }, ErrNotFound},
	}
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := st.Rotate(ctx, "bogus"); err == nil {
		t.Error("Rotate(unknown purpose): got nil error")
	}
}

func TestNoActiveKeyBeforeBootstrap(t *testing.T) {
	ctx := context.Background()
	st := open(t, keyDir(t), suite.Intl)
	if _, _, err := st.Wrap(ctx, nil, []byte("x")); !errors.Is(err, ErrNoActiveKey) {
		t.Errorf("Wrap: got %v, want ErrNoActiveKey", err)
	}
	if _, _, err := st.ActiveSigner(TokenSigning); !errors.Is(err, ErrNoActiveKey) {
		t.Errorf("ActiveSigner: got %v, want ErrNoActiveKey", err)
	}
}

// TestTwoStoresShareADirectory is the several-nodes case: node B sees node
// A's rotation after Reload, and until then its wraps use a key that is
// retiring, which A can still unwrap.
func TestTwoStoresShareADirectory(t *testing.T) {
	for _, n := range suite.Names() {
		t.Run(string(n), func(t *testing.T) {
			ctx := context.Background()
			a, dir := bootstrapped(t, n)
			b := open(t, dir, n)
			oldKEK := activeID(t, b, KeyEncryption)
			rotated, err := a.Rotate(ctx, KeyEncryption)
			if err != nil {
				t.Fatal(err)
			}
			staleKEK, wrapped, err := b.Wrap(ctx, []byte("aad"), []byte("dk"))
			if err != nil {
				t.Fatal(err)
			}
			if staleKEK != oldKEK {
				t.Fatalf("B before Reload: wrapped with %s, want the old KEK %s", staleKEK, oldKEK)
			}
			if _, err := a.Unwrap(ctx, staleKEK, []byte("aad"), wrapped); err != nil {
				t.Errorf("A unwraps B's wrap under the retiring KEK: %v", err)
			}
			if err := b.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			if got := activeID(t, b, KeyEncryption); got != rotated.ID {
				t.Errorf("B after Reload: active KEK %s, want %s", got, rotated.ID)
			}
			bWrapKEK, _, err := b.Wrap(ctx, nil, []byte("dk"))
			if err != nil || bWrapKEK != rotated.ID {
				t.Errorf("B Wrap after Reload: got %s, %v, want %s", bWrapKEK, err, rotated.ID)
			}
			if diff := cmp.Diff(a.List(""), b.List("")); diff != "" {
				t.Errorf("List (-A +B):\n%s", diff)
			}
		})
	}
}

// TestConcurrentUse exercises the locks: signing, MACs and wraps run while
// another goroutine rotates and reloads. Run with -race.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	st, _ := bootstrapped(t, suite.SM)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 3 {
			if _, err := st.Rotate(ctx, KeyEncryption); err != nil {
				t.Error(err)
			}
			if err := st.Reload(ctx); err != nil {
				t.Error(err)
			}
		}
	}()
	for range 20 {
		kek, w, err := st.Wrap(ctx, nil, []byte("dk"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Unwrap(ctx, kek, nil, w); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.ActiveMAC(ctx, BlindIndex, []byte("x")); err != nil {
			t.Fatal(err)
		}
		_, signer, err := st.ActiveSigner(LogSigning)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Suite().Sign(nil, signer, []byte("cp")); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if err := st.Check(); err != nil {
		t.Error(err)
	}
}
