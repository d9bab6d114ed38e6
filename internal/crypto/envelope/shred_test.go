package envelope

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store"
)

// *keystore.Store is the KeyWrapper of production.
var _ KeyWrapper = (*keystore.Store)(nil)

// rawOpen decrypts a sealed field by hand from the raw KEK and the stored
// wrapped data key, without the Envelope: what an attacker holding the KEK
// and a copy of the database could do.
func rawOpen(t *testing.T, w *rawWrapper, dk DataKey, field string, ct []byte) ([]byte, error) {
	t.Helper()
	kekAEAD, err := w.suite.NewAEAD(w.kek)
	if err != nil {
		t.Fatal(err)
	}
	ns := kekAEAD.NonceSize()
	dataKey, err := kekAEAD.Open(nil, dk.Wrapped[:ns], dk.Wrapped[ns:], dataKeyAAD(dk.Owner))
	if err != nil {
		return nil, err
	}
	fieldAEAD, err := w.suite.NewAEAD(dataKey)
	if err != nil {
		t.Fatal(err)
	}
	return fieldAEAD.Open(nil, ct[1:1+ns], ct[1+ns:], fieldAAD(ct[0], dk.Owner, field))
}

// TestCryptoShredding seals several fields for two residents and shreds
// one. The shredded resident's fields no longer open, through the Envelope
// or by hand with the raw KEK, because the wrapped data key is gone; the
// other resident's fields still open.
func TestCryptoShredding(t *testing.T) {
	for _, n := range suite.Names() {
		t.Run(string(n), func(t *testing.T) {
			ctx := context.Background()
			e, w, st := newTestEnvelope(t, n)
			fields := map[string][]byte{
				"person-number": []byte("110101199003077777"),
				"face-template": bytes.Repeat([]byte{0x5a}, 512),
				"phone":         []byte("+86 138 0000 0000"),
			}
			sealed := map[string]map[string][]byte{}
			for _, owner := range []string{"alice", "bob"} {
				mustCreate(t, e, owner)
				sealed[owner] = map[string][]byte{}
				for f, v := range fields {
					ct, err := e.Seal(ctx, owner, f, v)
					if err != nil {
						t.Fatal(err)
					}
					sealed[owner][f] = ct
				}
			}

			// Before shredding, the raw KEK and alice's stored wrapped key are
			// enough to read her data: this is what shredding must take away.
			aliceKey, err := st.DataKey(ctx, "alice")
			if err != nil {
				t.Fatal(err)
			}
			for f, v := range fields {
				got, err := rawOpen(t, w, aliceKey, f, sealed["alice"][f])
				if err != nil || !bytes.Equal(got, v) {
					t.Fatalf("before shredding, raw KEK on %s: got %q, %v", f, got, err)
				}
			}

			if err := e.Shred(ctx, "alice"); err != nil {
				t.Fatal(err)
			}

			// Through the Envelope: ErrShredded, for Open and Seal.
			for f, ct := range sealed["alice"] {
				if got, err := e.Open(ctx, "alice", f, ct); !errors.Is(err, ErrShredded) {
					t.Errorf("Open(alice, %s) after Shred: got %q, %v, want ErrShredded", f, got, err)
				}
			}
			if _, err := e.Seal(ctx, "alice", "phone", []byte("x")); !errors.Is(err, ErrShredded) {
				t.Errorf("Seal(alice) after Shred: got %v, want ErrShredded", err)
			}

			// The wrapped key is gone from the store: nothing the KEK could
			// unwrap remains for alice.
			if _, err := st.DataKey(ctx, "alice"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("stored data key of alice after Shred: got %v, want store.ErrNotFound", err)
			}
			for _, dk := range st.all() {
				if bytes.Equal(dk.Wrapped, aliceKey.Wrapped) {
					t.Errorf("alice's wrapped key is still stored, under owner %s", dk.Owner)
				}
				// No remaining wrapped key opens alice's fields, even with the
				// raw KEK and alice's owner binding forced.
				forced := dk
				forced.Owner = "alice"
				for f, ct := range sealed["alice"] {
					if _, err := rawOpen(t, w, forced, f, ct); err == nil {
						t.Errorf("raw KEK with %s's wrapped key opened alice's %s", dk.Owner, f)
					}
				}
			}
			// The KEK itself never encrypted a field.
			kekAEAD, err := w.suite.NewAEAD(w.kek)
			if err != nil {
				t.Fatal(err)
			}
			for f, ct := range sealed["alice"] {
				if _, err := kekAEAD.Open(nil, ct[1:1+suite.NonceSize], ct[1+suite.NonceSize:], fieldAAD(ct[0], "alice", f)); err == nil {
					t.Errorf("the raw KEK opened alice's %s directly", f)
				}
			}

			// A new data key for alice does not bring her old data back.
			mustCreate(t, e, "alice")
			for f, ct := range sealed["alice"] {
				if _, err := e.Open(ctx, "alice", f, ct); !errors.Is(err, ErrInvalidCiphertext) {
					t.Errorf("Open(alice, %s) under a new data key: got %v, want ErrInvalidCiphertext", f, err)
				}
			}

			// Bob is untouched.
			for f, v := range fields {
				got, err := e.Open(ctx, "bob", f, sealed["bob"][f])
				if err != nil || !bytes.Equal(got, v) {
					t.Errorf("Open(bob, %s) after alice's Shred: got %q, %v", f, got, err)
				}
			}
		})
	}
}

// openKeystore opens a bootstrapped key store in a fresh directory.
func openKeystore(t *testing.T, n suite.Name) *keystore.Store {
	t.Helper()
	s, err := suite.New(n)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keystore.OpenDir(t.TempDir()+"/keys", s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestWithKeystore runs the envelope over the real key store in both suites:
// seal, open, shred.
func TestWithKeystore(t *testing.T) {
	for _, n := range suite.Names() {
		t.Run(string(n), func(t *testing.T) {
			ctx := context.Background()
			ks := openKeystore(t, n)
			e := New(ks.Suite(), ks, newMemStore())
			mustCreate(t, e, "alice", "bob")
			a, err := e.Seal(ctx, "alice", "person-number", []byte("A"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := e.Seal(ctx, "bob", "person-number", []byte("B"))
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Shred(ctx, "alice"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Open(ctx, "alice", "person-number", a); !errors.Is(err, ErrShredded) {
				t.Errorf("Open(alice) after Shred: got %v, want ErrShredded", err)
			}
			if got, err := e.Open(ctx, "bob", "person-number", b); err != nil || string(got) != "B" {
				t.Errorf("Open(bob): got %q, %v", got, err)
			}
		})
	}
}
