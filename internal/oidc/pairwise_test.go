package oidc_test

import (
	"context"
	"testing"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/oidc"
)

// TestPairwisePinned: subjects are 43 base64url characters, stable across
// a rotation of the blind-index keys (the pinned key still computes them)
// and across nodes, different by sector and by number; retiring the pinned
// key stops subjects rather than changing them.
func TestPairwisePinned(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "sqlite")
	before, err := e.provider.PairwiseSubject(ctx, "a.example", "ABCDEFGHJK")
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 43 {
		t.Errorf("subject %q has %d characters, want 43", before, len(before))
	}
	if _, err := e.keys.Rotate(ctx, keystore.BlindIndex); err != nil {
		t.Fatal(err)
	}
	// A second node, started after the rotation, on the same store.
	other, err := oidc.NewProvider(oidc.Config{Issuer: e.issuer}, oidc.Deps{Store: e.store, RPs: e.store, Keys: e.keys, Residents: e.enrol,
		Suite: e.keys.Suite(), CA: e.ca})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sector, number string
		same           bool
	}{
		{"a.example", "ABCDEFGHJK", true},
		{"b.example", "ABCDEFGHJK", false},
		{"a.example", "ABCDEFGHJM", false},
		{"a.exampleA", "BCDEFGHJK", false}, // the separator keeps the pair apart
	}
	for _, tt := range tests {
		got, err := other.PairwiseSubject(ctx, tt.sector, tt.number)
		if err != nil {
			t.Fatal(err)
		}
		if (got == before) != tt.same {
			t.Errorf("PairwiseSubject(%s, %s) = %q, equal to the first = %v, want %v", tt.sector, tt.number, got, got == before, tt.same)
		}
	}
	if err := other.Check(ctx); err != nil {
		t.Errorf("Check() after a blind-index rotation = %v, want nil", err)
	}
	var pinned string
	for _, m := range e.keys.List(keystore.BlindIndex) {
		if m.State == keystore.StateRetiring {
			pinned = m.ID
		}
	}
	if _, err := e.keys.Retire(ctx, pinned); err != nil {
		t.Fatal(err)
	}
	if got, err := other.PairwiseSubject(ctx, "a.example", "ABCDEFGHJK"); err == nil {
		t.Errorf("PairwiseSubject with the pinned key retired = %q, want an error", got)
	}
	if err := other.Check(ctx); err == nil {
		t.Error("Check() with the pinned key retired = nil, want an error")
	}
}

// BenchmarkPairwiseSubject computes pairwise subjects: one MAC through the
// key store (the pinned key id is cached after the first call).
func BenchmarkPairwiseSubject(b *testing.B) {
	ctx := context.Background()
	p := newEnv(b, "sqlite").provider
	if _, err := p.PairwiseSubject(ctx, "shop.example", "ABCDEFGHJK"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.PairwiseSubject(ctx, "shop.example", "ABCDEFGHJK"); err != nil {
			b.Fatal(err)
		}
	}
}
