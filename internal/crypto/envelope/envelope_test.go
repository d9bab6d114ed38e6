package envelope

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store"
)

// rawWrapper is a KeyWrapper over one KEK whose raw bytes the test holds, so
// that the crypto-shredding test can show what the KEK alone can and cannot
// open. It wraps as the key store does: nonce || AEAD ciphertext.
type rawWrapper struct {
	suite suite.Suite
	id    string
	kek   []byte
}

func newRawWrapper(t testing.TB, s suite.Suite) *rawWrapper {
	t.Helper()
	kek := make([]byte, s.AEADKeySize())
	if _, err := rand.Read(kek); err != nil {
		t.Fatal(err)
	}
	return &rawWrapper{suite: s, id: "key-encryption-00000000000000000000000a", kek: kek}
}

func (w *rawWrapper) Wrap(_ context.Context, aad, plaintext []byte) (string, []byte, error) {
	aead, err := w.suite.NewAEAD(w.kek)
	if err != nil {
		return "", nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", nil, err
	}
	return w.id, aead.Seal(nonce, nonce, plaintext, aad), nil
}

func (w *rawWrapper) Unwrap(_ context.Context, kekID string, aad, wrapped []byte) ([]byte, error) {
	if kekID != w.id {
		return nil, fmt.Errorf("unknown KEK %s", kekID)
	}
	aead, err := w.suite.NewAEAD(w.kek)
	if err != nil {
		return nil, err
	}
	if len(wrapped) < aead.NonceSize() {
		return nil, errors.New("wrapped key too short")
	}
	return aead.Open(nil, wrapped[:aead.NonceSize()], wrapped[aead.NonceSize():], aad)
}

var testEpoch = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)

// newTestEnvelope returns an Envelope over a raw KEK and an in-memory store.
func newTestEnvelope(t testing.TB, n suite.Name) (*Envelope, *rawWrapper, *memStore) {
	t.Helper()
	s, err := suite.New(n)
	if err != nil {
		t.Fatal(err)
	}
	w, st := newRawWrapper(t, s), newMemStore()
	return New(s, w, st, WithClock(func() time.Time { return testEpoch })), w, st
}

func mustCreate(t testing.TB, e *Envelope, owners ...string) {
	t.Helper()
	for _, o := range owners {
		if err := e.CreateDataKey(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	for _, n := range suite.Names() {
		t.Run(string(n), func(t *testing.T) {
			ctx := context.Background()
			e, _, st := newTestEnvelope(t, n)
			mustCreate(t, e, "resident-1")
			dk, err := st.DataKey(ctx, "resident-1")
			if err != nil {
				t.Fatal(err)
			}
			if !dk.Created.Equal(testEpoch) || dk.KEKID == "" || len(dk.Wrapped) == 0 {
				t.Errorf("stored data key: got %+v", dk)
			}
			for _, pt := range [][]byte{nil, []byte("110101199003077777"), bytes.Repeat([]byte{0xab}, 4096)} {
				ct, err := e.Seal(ctx, "resident-1", "person-number", pt)
				if err != nil {
					t.Fatal(err)
				}
				if len(ct) < len(pt)+1+suite.NonceSize+16 {
					t.Errorf("ciphertext of %d bytes is %d bytes long", len(pt), len(ct))
				}
				if len(pt) > 8 && bytes.Contains(ct, pt[:8]) {
					t.Error("ciphertext contains plaintext")
				}
				got, err := e.Open(ctx, "resident-1", "person-number", ct)
				if err != nil || !bytes.Equal(got, pt) {
					t.Errorf("Open: got %x, %v, want %x", got, err, pt)
				}
			}
			a, _ := e.Seal(ctx, "resident-1", "f", []byte("same"))
			b, _ := e.Seal(ctx, "resident-1", "f", []byte("same"))
			if bytes.Equal(a, b) {
				t.Error("two seals of the same plaintext are equal: nonces repeat")
			}
		})
	}
}

func TestTamperingFails(t *testing.T) {
	for _, n := range suite.Names() {
		t.Run(string(n), func(t *testing.T) {
			ctx := context.Background()
			e, _, _ := newTestEnvelope(t, n)
			mustCreate(t, e, "alice", "bob")
			ct, err := e.Seal(ctx, "alice", "face-template", []byte("template bytes"))
			if err != nil {
				t.Fatal(err)
			}
			bobCT, err := e.Seal(ctx, "bob", "face-template", []byte("bob's template"))
			if err != nil {
				t.Fatal(err)
			}
			flip := func(i int) []byte {
				b := bytes.Clone(ct)
				b[i] ^= 0x01
				return b
			}
			otherFormat := bytes.Clone(ct)
			otherFormat[0] = map[byte]byte{formatIntl: formatSM, formatSM: formatIntl}[ct[0]]
			tests := []struct {
				name, owner, field string
				ct                 []byte
			}{
				{"format byte", "alice", "face-template", otherFormat},
				{"unknown format", "alice", "face-template", append([]byte{0x7f}, ct[1:]...)},
				{"nonce", "alice", "face-template", flip(1)},
				{"body", "alice", "face-template", flip(1 + suite.NonceSize)},
				{"tag", "alice", "face-template", flip(len(ct) - 1)},
				{"truncated", "alice", "face-template", ct[:len(ct)-1]},
				{"too short", "alice", "face-template", ct[:1+suite.NonceSize]},
				{"extended", "alice", "face-template", append(bytes.Clone(ct), 0)},
				{"empty", "alice", "face-template", nil},
				{"other owner", "bob", "face-template", ct},
				{"other field", "alice", "person-number", ct},
				{"another resident's ciphertext", "alice", "face-template", bobCT},
			}
			for _, tt := range tests {
				if got, err := e.Open(ctx, tt.owner, tt.field, tt.ct); !errors.Is(err, ErrInvalidCiphertext) {
					t.Errorf("%s: got %q, %v, want ErrInvalidCiphertext", tt.name, got, err)
				}
			}
		})
	}
}

// TestCiphertextOfOtherSuite checks that a ciphertext of one suite is
// refused, with a clear error, by an envelope of the other.
func TestCiphertextOfOtherSuite(t *testing.T) {
	ctx := context.Background()
	intl, _, _ := newTestEnvelope(t, suite.Intl)
	sm, _, _ := newTestEnvelope(t, suite.SM)
	mustCreate(t, intl, "r")
	mustCreate(t, sm, "r")
	ct, err := intl.Seal(ctx, "r", "f", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sm.Open(ctx, "r", "f", ct); !errors.Is(err, ErrInvalidCiphertext) {
		t.Errorf("sm Open of an intl ciphertext: got %v, want ErrInvalidCiphertext", err)
	}
}

func TestCreateDataKeyTwiceConflicts(t *testing.T) {
	e, _, _ := newTestEnvelope(t, suite.SM)
	mustCreate(t, e, "alice")
	if err := e.CreateDataKey(context.Background(), "alice"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second CreateDataKey: got %v, want store.ErrConflict", err)
	}
	if err := e.CreateDataKey(context.Background(), ""); err == nil {
		t.Error("CreateDataKey(empty owner): got nil error")
	}
}

// TestWrappedKeyIsBoundToOwner moves alice's wrapped key into bob's row: it
// must not unwrap there, so a database-level copy cannot hand one
// resident's key to another.
func TestWrappedKeyIsBoundToOwner(t *testing.T) {
	ctx := context.Background()
	e, _, st := newTestEnvelope(t, suite.Intl)
	mustCreate(t, e, "alice")
	dk, err := st.DataKey(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	dk.Owner = "bob"
	if err := st.PutDataKey(ctx, dk); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Seal(ctx, "bob", "f", []byte("x")); err == nil {
		t.Error("Seal with a data key copied from another owner: got nil error")
	}
}

func TestWithoutDataKey(t *testing.T) {
	ctx := context.Background()
	e, _, _ := newTestEnvelope(t, suite.Intl)
	if _, err := e.Seal(ctx, "nobody", "f", []byte("x")); !errors.Is(err, ErrShredded) {
		t.Errorf("Seal: got %v, want ErrShredded", err)
	}
	if _, err := e.Open(ctx, "nobody", "f", []byte("x")); !errors.Is(err, ErrShredded) {
		t.Errorf("Open: got %v, want ErrShredded", err)
	}
	if err := e.Shred(ctx, "nobody"); err != nil {
		t.Errorf("Shred of an owner without a key: got %v, want nil (idempotent)", err)
	}
}

func TestOwnerKey(t *testing.T) {
	ctx := context.Background()
	e, _, _ := newTestEnvelope(t, suite.SM)
	mustCreate(t, e, "alice")
	k, err := e.Unlock(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{"name": "Li Lei", "person-number": "110101199003077777", "phone": "+86 138 0000 0000"}
	sealed := map[string][]byte{}
	for f, v := range fields {
		if sealed[f], err = k.Seal(f, []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := k.Seal("", []byte("x")); err == nil {
		t.Error("Seal with an empty field name: got nil error")
	}
	k.Close()
	if _, err := k.Seal("name", []byte("x")); !errors.Is(err, errClosed) {
		t.Errorf("Seal after Close: got %v, want errClosed", err)
	}
	if _, err := k.Open("name", sealed["name"]); !errors.Is(err, errClosed) {
		t.Errorf("Open after Close: got %v, want errClosed", err)
	}
	// What the OwnerKey sealed opens through the Envelope.
	for f, v := range fields {
		if got, err := e.Open(ctx, "alice", f, sealed[f]); err != nil || string(got) != v {
			t.Errorf("Open(%s): got %q, %v, want %q", f, got, err, v)
		}
	}
}
