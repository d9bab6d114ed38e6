package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"
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
