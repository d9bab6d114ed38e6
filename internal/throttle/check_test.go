package throttle

import (
	"context"
	"testing"
	"time"
)

// TestCheckCountsOnlyFailures: Check reads and counts nothing, so a caller
// that calls Allow only for failures allows exactly Max failures per
// window.
func TestCheckCountsOnlyFailures(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	limit := Limit{Scope: "lookups", Max: 2, Window: time.Minute}

	st := newMemStore()
	l, err := NewLimiter(st, limit, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if ok, _, err := l.Check(ctx, "a"); !ok || err != nil {
			t.Fatalf("check %d before any failure = %v, %v; want allowed", i, ok, err)
		}
	}
	for i := range 2 {
		if ok, _, err := l.Check(ctx, "a"); !ok || err != nil {
			t.Fatalf("check before failure %d = %v, %v; want allowed", i+1, ok, err)
		}
		if _, _, err := l.Allow(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	ok, wait, err := l.Check(ctx, "a")
	if ok || err != nil || wait <= 0 || wait > limit.Window {
		t.Errorf("check after %d failures = %v, wait %v, %v; want refused with a wait in (0, %v]", limit.Max, ok, wait, err, limit.Window)
	}
	if ok, _, _ := l.Check(ctx, "b"); !ok {
		t.Error("another key is refused")
	}
	now = now.Add(time.Minute)
	if ok, _, _ := l.Check(ctx, "a"); !ok {
		t.Error("refused after the window ended")
	}

	if _, _, err := l.Check(ctx, ""); err != ErrEmptyKey {
		t.Errorf("Check(empty key) error = %v, want ErrEmptyKey", err)
	}
}
