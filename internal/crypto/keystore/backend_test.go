package keystore

import (
	"context"
	"crypto"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
)

// hsmBackend stands in for a hardware module: keys never leave it, signers
// are opaque, and it has no file. It shows that Backend is enough for the
// Store without any access to key material.
type hsmBackend struct {
	mu      sync.Mutex
	lock    sync.Mutex
	metas   map[string]Meta
	signers map[string]crypto.Signer
	secrets map[string][]byte
}

func newHSMBackend() *hsmBackend {
	return &hsmBackend{metas: map[string]Meta{}, signers: map[string]crypto.Signer{}, secrets: map[string][]byte{}}
}

// opaque hides the concrete key type, as a PKCS#11 signer does.
type opaque struct{ crypto.Signer }

func (h *hsmBackend) Load(context.Context) ([]Meta, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Meta
	for _, m := range h.metas {
		out = append(out, m)
	}
	return out, nil
}

func (h *hsmBackend) Generate(_ context.Context, m Meta) error {
	alg, err := lookupAlgorithm(m.Algorithm)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.metas[m.ID]; ok {
		return fmt.Errorf("key %s exists", m.ID)
	}
	if alg.kind == kindSign {
		k, err := alg.suite.GenerateSigner(nil)
		if err != nil {
			return err
		}
		h.signers[m.ID] = opaque{k}
	} else {
		h.secrets[m.ID] = make([]byte, alg.secretSize)
		rand.Read(h.secrets[m.ID])
	}
	h.metas[m.ID] = m
	return nil
}

func (h *hsmBackend) SetState(_ context.Context, id string, s State, at time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	m, ok := h.metas[id]
	if !ok {
		return ErrNotFound
	}
	m.State, m.StateChanged = s, at
	if s != StatePending {
		m.ActivateAt = time.Time{}
	}
	h.metas[id] = m
	if s == StateRetired {
		delete(h.secrets, id)
	}
	return nil
}

func (h *hsmBackend) Lock(context.Context) (func(), error) {
	h.lock.Lock()
	return h.lock.Unlock, nil
}

func (h *hsmBackend) Signer(id string) (crypto.Signer, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.signers[id]; ok && h.metas[id].State != StateRetired {
		return s, nil
	}
	return nil, ErrNotFound
}

func (h *hsmBackend) PublicKey(id string) (crypto.PublicKey, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s, ok := h.signers[id]; ok {
		return s.Public(), nil
	}
	return nil, ErrNotFound
}

func (h *hsmBackend) secret(id string) (algorithm, []byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	key, ok := h.secrets[id]
	if !ok {
		return algorithm{}, nil, ErrNotFound
	}
	alg, err := lookupAlgorithm(h.metas[id].Algorithm)
	return alg, key, err
}

func (h *hsmBackend) MAC(_ context.Context, id string, msg []byte) ([]byte, error) {
	alg, key, err := h.secret(id)
	if err != nil {
		return nil, err
	}
	return alg.suite.MAC(key, msg), nil
}

func (h *hsmBackend) Seal(_ context.Context, id string, aad, pt []byte) ([]byte, error) {
	alg, key, err := h.secret(id)
	if err != nil {
		return nil, err
	}
	aead, err := alg.suite.NewAEAD(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, pt, aad), nil
}

func (h *hsmBackend) Open(_ context.Context, id string, aad, ct []byte) ([]byte, error) {
	alg, key, err := h.secret(id)
	if err != nil {
		return nil, err
	}
	aead, err := alg.suite.NewAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(ct) < aead.NonceSize() {
		return nil, errors.New("short")
	}
	return aead.Open(nil, ct[:aead.NonceSize()], ct[aead.NonceSize():], aad)
}

func TestStoreOverAnotherBackend(t *testing.T) {
	ctx := context.Background()
	st, err := New(ctx, newHSMBackend(), mustSuite(t, suite.SM), WithClock(newStepClock().now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
	_, signer, err := st.ActiveSigner(CA)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := st.Suite().Sign(nil, signer, []byte("tbs"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := st.PublicKeys(CA)
	if err != nil || len(keys) != 1 {
		t.Fatalf("PublicKeys: got %d, %v", len(keys), err)
	}
	if err := st.Suite().Verify(keys[0].Key, []byte("tbs"), sig); err != nil {
		t.Errorf("SM2 signature through an opaque signer: %v", err)
	}
	kek, w, err := st.Wrap(ctx, []byte("a"), []byte("dk"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Rotate(ctx, KeyEncryption); err != nil {
		t.Fatal(err)
	}
	if pt, err := st.Unwrap(ctx, kek, []byte("a"), w); err != nil || string(pt) != "dk" {
		t.Errorf("Unwrap with the retiring KEK: got %q, %v", pt, err)
	}
	if _, err := st.Retire(ctx, kek); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Unwrap(ctx, kek, []byte("a"), w); !errors.Is(err, ErrRetired) {
		t.Errorf("Unwrap with the retired KEK: got %v, want ErrRetired", err)
	}
}

// TestBootstrapRepairsSeveralActiveKeys simulates a crash between the two
// halves of Rotate: two active keys of one purpose. Check reports it, the
// newest key is used, and Bootstrap demotes the older.
func TestBootstrapRepairsSeveralActiveKeys(t *testing.T) {
	ctx := context.Background()
	st, _ := bootstrapped(t, suite.Intl)
	old := activeID(t, st, LogSigning)
	id, err := newID(LogSigning, st.rand)
	if err != nil {
		t.Fatal(err)
	}
	now := st.now()
	extra := Meta{ID: id, Purpose: LogSigning, Algorithm: "ecdsa-p256", State: StateActive, Created: now, StateChanged: now}
	if err := st.backend.Generate(ctx, extra); err != nil {
		t.Fatal(err)
	}
	if err := st.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Check(); !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "2 active keys") {
		t.Fatalf("Check with two active keys: got %v, want ErrNotReady naming 2 active keys", err)
	}
	if got := activeID(t, st, LogSigning); got != id {
		t.Errorf("active key with two candidates: got %s, want the newest %s", got, id)
	}
	created, err := st.Bootstrap(ctx)
	if err != nil || len(created) != 0 {
		t.Fatalf("Bootstrap: got %d created, %v; want none, nil", len(created), err)
	}
	if err := st.Check(); err != nil {
		t.Errorf("Check after Bootstrap: %v", err)
	}
	for _, m := range st.List(LogSigning) {
		if m.ID == old && m.State != StateRetiring {
			t.Errorf("older active key after Bootstrap: got %s, want retiring", m.State)
		}
	}
}

// errReader fails every read, to check that randomness failures surface.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestRandomnessFailureSurfaces(t *testing.T) {
	st := open(t, keyDir(t), suite.SM, WithRand(errReader{}))
	if _, err := st.Bootstrap(context.Background()); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Bootstrap with failing randomness: got %v, want io.ErrUnexpectedEOF", err)
	}
}
