package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/netid/netid/internal/store"
)

// t0 has nanoseconds on purpose: the store keeps microseconds.
var t0 = time.Date(2025, 7, 15, 10, 0, 0, 999, time.UTC)

func testThrottleWindow(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	const window = time.Minute
	start := t0.Truncate(time.Microsecond)
	steps := []struct {
		name      string
		key       string
		at        time.Duration // since t0
		wantCount int
		wantStart time.Time
	}{
		{"first hit opens the window", "k", 0, 1, start},
		{"second", "k", 10 * time.Second, 2, start},
		{"last instant of the window", "k", window - time.Microsecond, 3, start},
		{"end of the window opens a new one", "k", window, 1, start.Add(window)},
		{"counting again", "k", window + time.Second, 2, start.Add(window)},
		{"other key is separate", "other", window + time.Second, 1, start.Add(window + time.Second)},
		{"long after", "k", 10 * window, 1, start.Add(10 * window)},
		{"hit from a clock behind counts in the current window", "k", 10*window - time.Second, 2, start.Add(10 * window)},
	}
	for _, st := range steps {
		count, ws, err := s.ThrottleHit(ctx, st.key, window, t0.Add(st.at))
		if err != nil {
			t.Fatalf("%s: ThrottleHit() error = %v", st.name, err)
		}
		if count != st.wantCount || !ws.Equal(st.wantStart) {
			t.Errorf("%s: ThrottleHit() = %d, %v; want %d, %v", st.name, count, ws, st.wantCount, st.wantStart)
		}
		if ws.Location() != time.UTC {
			t.Errorf("%s: window start location = %v, want UTC", st.name, ws.Location())
		}
	}

	invalid := []struct {
		name   string
		key    string
		window time.Duration
	}{
		{"empty key", "", time.Minute},
		{"zero window", "k", 0},
		{"sub-microsecond window", "k", time.Nanosecond},
		{"negative window", "k", -time.Minute},
	}
	for _, tt := range invalid {
		if _, _, err := s.ThrottleHit(ctx, tt.key, tt.window, t0); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: ThrottleHit() error = %v, want an invalid-argument error", tt.name, err)
		}
	}
}

func testThrottleResetPrune(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	const window = time.Hour
	hit := func(key string, at time.Duration) int {
		t.Helper()
		n, _, err := s.ThrottleHit(ctx, key, window, t0.Add(at))
		if err != nil {
			t.Fatalf("ThrottleHit(%q) error = %v", key, err)
		}
		return n
	}
	hit("a", 0)
	hit("a", time.Second)
	hit("b", 10*time.Minute)
	hit("c", 20*time.Minute)
	hit("c", 21*time.Minute)

	if err := s.ThrottleReset(ctx, "a"); err != nil {
		t.Fatalf("ThrottleReset(a) = %v", err)
	}
	if err := s.ThrottleReset(ctx, "never-hit"); err != nil {
		t.Errorf("ThrottleReset(never-hit) = %v, want nil", err)
	}
	if got := hit("a", 2*time.Second); got != 1 {
		t.Errorf("ThrottleHit(a) after reset = %d, want 1", got)
	}

	// Windows started at t0+2s (a) and t0+10m (b) are before t0+15m; c's
	// started at t0+20m.
	n, err := s.ThrottlePrune(ctx, t0.Add(15*time.Minute))
	if err != nil {
		t.Fatalf("ThrottlePrune() error = %v", err)
	}
	if n != 2 {
		t.Errorf("ThrottlePrune() deleted %d, want 2", n)
	}
	want := map[string]int{"a": 1, "b": 1, "c": 3}
	for key, w := range want {
		if got := hit(key, 22*time.Minute); got != w {
			t.Errorf("ThrottleHit(%q) after prune = %d, want %d", key, got, w)
		}
	}
	if n, err := s.ThrottlePrune(ctx, t0); err != nil || n != 0 {
		t.Errorf("ThrottlePrune(t0) = %d, %v; want 0, nil", n, err)
	}
}

func testThrottleInTx(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	var counts []int
	err := s.InTx(ctx, func(ctx context.Context) error {
		counts = counts[:0]
		for range 2 {
			n, _, err := s.ThrottleHit(ctx, "k", time.Minute, t0)
			if err != nil {
				return err
			}
			counts = append(counts, n)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx() = %v, want errBoom", err)
	}
	if len(counts) != 2 || counts[0] != 1 || counts[1] != 2 {
		t.Errorf("hits inside the transaction counted %v, want [1 2]", counts)
	}
	n, _, err := s.ThrottleHit(ctx, "k", time.Minute, t0)
	if err != nil || n != 1 {
		t.Errorf("ThrottleHit() after rollback = %d, %v; want 1, nil", n, err)
	}
}

// testThrottleCount checks the read-only count that limits counting only
// failures rely on (throttle.Limiter.Check): it sees the current window's
// hits, counts none itself, and reads 0 for an unknown key or an ended
// window.
func testThrottleCount(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	const window = time.Minute
	start := t0.Truncate(time.Microsecond)
	if n, _, err := s.ThrottleCount(ctx, "c", window, t0); err != nil || n != 0 {
		t.Fatalf("ThrottleCount(unknown) = %d, %v; want 0", n, err)
	}
	for range 2 {
		if _, _, err := s.ThrottleHit(ctx, "c", window, t0); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		n, ws, err := s.ThrottleCount(ctx, "c", window, t0.Add(time.Second))
		if err != nil || n != 2 || !ws.Equal(start) {
			t.Fatalf("ThrottleCount() = %d, %v, %v; want 2 since %v, however often it is read", n, ws, err, start)
		}
	}
	if n, _, err := s.ThrottleCount(ctx, "c", window, t0.Add(window)); err != nil || n != 0 {
		t.Errorf("ThrottleCount(window over) = %d, %v; want 0", n, err)
	}
	if n, _, err := s.ThrottleHit(ctx, "c", window, t0.Add(time.Second)); err != nil || n != 3 {
		t.Errorf("ThrottleHit() after the reads = %d, %v; want 3 (reads count nothing)", n, err)
	}
	if _, _, err := s.ThrottleCount(ctx, "", window, t0); err == nil {
		t.Error("ThrottleCount(empty key) succeeded")
	}
}
