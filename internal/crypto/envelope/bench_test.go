package envelope

import (
	"context"
	"testing"

	"github.com/netid/netid/internal/crypto/suite"
)

// BenchmarkSeal measures a one-shot Seal: store read, unwrap, encryption of
// a 1 KiB field.
func BenchmarkSeal(b *testing.B) {
	for _, n := range suite.Names() {
		b.Run(string(n), func(b *testing.B) {
			ctx := context.Background()
			e, _, _ := newTestEnvelope(b, n)
			mustCreate(b, e, "alice")
			pt := make([]byte, 1024)
			for b.Loop() {
				if _, err := e.Seal(ctx, "alice", "face-template", pt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOwnerKeyOpen measures Open through an unlocked OwnerKey, the
// path of a data export that reads many fields.
func BenchmarkOwnerKeyOpen(b *testing.B) {
	for _, n := range suite.Names() {
		b.Run(string(n), func(b *testing.B) {
			ctx := context.Background()
			e, _, _ := newTestEnvelope(b, n)
			mustCreate(b, e, "alice")
			k, err := e.Unlock(ctx, "alice")
			if err != nil {
				b.Fatal(err)
			}
			defer k.Close()
			ct, err := k.Seal("face-template", make([]byte, 1024))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := k.Open("face-template", ct); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
