package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netid/netid/internal/store/sqlstore"
)

// BenchmarkPutDataKey measures storing one new wrapped data key (one
// autocommit insert, fsynced on SQLite).
func BenchmarkPutDataKey(b *testing.B, e Engine) {
	ctx := context.Background()
	s := open(b, e)
	for i := 0; b.Loop(); i++ {
		if err := s.PutDataKey(ctx, dataKey(fmt.Sprintf("resident-%d", i), "kek-1")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThrottleHit measures one attempt-counter hit on a hot key, the
// cost every rate-limited request pays.
func BenchmarkThrottleHit(b *testing.B, e Engine) {
	ctx := context.Background()
	s := open(b, e)
	now := time.Now()
	for b.Loop() {
		if _, _, err := s.ThrottleHit(ctx, "password:hot", time.Hour, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConcurrentWrites measures write transactions (a data key each)
// from 16 goroutines at once, as a busy server makes them; on an engine
// with group commit also without it, to show what it buys. Its ns/op is
// the inverse of the store's write throughput.
func BenchmarkConcurrentWrites(b *testing.B, e Engine) {
	variants := []bool{false}
	if open(b, e).CommitStats().Enabled {
		variants = []bool{true, false}
	}
	for _, gc := range variants {
		b.Run(fmt.Sprintf("group-commit=%v", gc), func(b *testing.B) {
			ctx := context.Background()
			s := open(b, e, sqlstore.WithGroupCommit(gc))
			var n atomic.Int64
			b.SetParallelism(8) // 16 writers on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					owner := fmt.Sprintf("resident-%d", n.Add(1))
					if err := s.InTx(ctx, func(ctx context.Context) error {
						return s.PutDataKey(ctx, dataKey(owner, "kek-1"))
					}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
