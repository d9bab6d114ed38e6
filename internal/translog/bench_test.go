package translog_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/translog"
)

// BenchmarkAppend measures logging one entry on SQLite, in its own
// transaction: reads of the state, the entry id and the resident's last
// leaf, then the state update, the leaf and its tree nodes, fsynced.
func BenchmarkAppend(b *testing.B) {
	for _, name := range suite.Names() {
		b.Run(string(name), func(b *testing.B) {
			e := newEnv(b, "sqlite", name)
			for i := 0; b.Loop(); i++ {
				en := entry(translog.KindDisclosure, i, t0)
				if _, err := e.log.Append(e.ctx, fmt.Sprintf("resident-%d", i%100), en); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInclusionProof measures serving one inclusion proof in a tree
// of 4096 leaves: the state read and one read of the proof's nodes.
func BenchmarkInclusionProof(b *testing.B) {
	const size = 4096
	e := newEnv(b, "sqlite", suite.Intl)
	err := e.store.InTx(e.ctx, func(ctx context.Context) error {
		for i := range size {
			if _, err := e.log.Append(ctx, fmt.Sprintf("resident-%d", i%100), entry(translog.KindDisclosure, i, t0)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		if _, err := e.log.InclusionProof(e.ctx, uint64(i*7919%size), size); err != nil {
			b.Fatal(err)
		}
	}
}
