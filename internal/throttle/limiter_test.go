package throttle

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// memStore is an in-memory Store for testing the Limiter's arithmetic. The
// real implementations are tested by internal/store/storetest.
type memStore struct {
	mu     sync.Mutex
	counts map[string]int
	starts map[string]time.Time
	err    error
}

func newMemStore() *memStore {
	return &memStore{counts: map[string]int{}, starts: map[string]time.Time{}}
}

func (m *memStore) ThrottleHit(_ context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return 0, time.Time{}, m.err
	}
	start, ok := m.starts[key]
	if !ok || !now.Before(start.Add(window)) {
		m.starts[key], m.counts[key] = now, 0
	}
	m.counts[key]++
	return m.counts[key], m.starts[key], nil
}

func (m *memStore) ThrottleCount(_ context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	start, ok := m.starts[key]
	if !ok || !now.Before(start.Add(window)) {
		return 0, time.Time{}, nil
	}
	return m.counts[key], start, nil
}

func (m *memStore) ThrottleReset(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	delete(m.counts, key)
	delete(m.starts, key)
	return nil
}

func (m *memStore) ThrottlePrune(context.Context, time.Time) (int64, error) {
	return 0, errors.New("not used")
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLimitValidate(t *testing.T) {
	tests := []struct {
		name  string
		limit Limit
		want  []string // substrings of the error, one per problem
	}{
		{"ok", Limit{Scope: "password", Max: 5, Window: time.Minute}, nil},
		{"dotted scope", Limit{Scope: "sms.code-v1_x", Max: 1, Window: time.Millisecond}, nil},
		{"empty scope", Limit{Max: 5, Window: time.Minute}, []string{"scope is empty"}},
		{"colon in scope", Limit{Scope: "a:b", Max: 5, Window: time.Minute}, []string{"only letters"}},
		{"zero max", Limit{Scope: "p", Max: 0, Window: time.Minute}, []string{"max 0"}},
		{"short window", Limit{Scope: "p", Max: 1, Window: time.Microsecond}, []string{"window 1µs"}},
		{"everything", Limit{Scope: "", Max: -1}, []string{"scope is empty", "max -1", "window 0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.limit.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestNewLimiterRejects(t *testing.T) {
	if _, err := NewLimiter(nil, Limit{Scope: "p", Max: 1, Window: time.Second}); err == nil {
		t.Error("NewLimiter(nil store) = nil error, want an error")
	}
	if _, err := NewLimiter(newMemStore(), Limit{}); err == nil {
		t.Error("NewLimiter(zero limit) = nil error, want an error")
	}
}

func TestAllow(t *testing.T) {
	t0 := time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)
	c := &clock{t: t0}
	l, err := NewLimiter(newMemStore(), Limit{Scope: "password", Max: 3, Window: time.Minute}, WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := []struct {
		name      string
		at        time.Duration // since t0
		reset     bool
		wantOK    bool
		wantAfter time.Duration
	}{
		{name: "first", at: 0, wantOK: true},
		{name: "second", at: 10 * time.Second, wantOK: true},
		{name: "third", at: 20 * time.Second, wantOK: true},
		{name: "fourth refused", at: 30 * time.Second, wantOK: false, wantAfter: 30 * time.Second},
		{name: "fifth refused, window not extended", at: 59 * time.Second, wantOK: false, wantAfter: time.Second},
		{name: "new window", at: time.Minute, wantOK: true},
		{name: "second in new window", at: time.Minute + time.Second, wantOK: true},
		{name: "third in new window", at: time.Minute + 2*time.Second, wantOK: true},
		{name: "reset", at: time.Minute + 3*time.Second, reset: true},
		{name: "first after reset", at: time.Minute + 4*time.Second, wantOK: true},
	}
	for _, s := range steps {
		c.t = t0.Add(s.at)
		if s.reset {
			if err := l.Reset(ctx, "k"); err != nil {
				t.Fatalf("%s: Reset() = %v", s.name, err)
			}
			continue
		}
		ok, after, err := l.Allow(ctx, "k")
		if err != nil {
			t.Fatalf("%s: Allow() error = %v", s.name, err)
		}
		if ok != s.wantOK || after != s.wantAfter {
			t.Errorf("%s: Allow() = %v, %v; want %v, %v", s.name, ok, after, s.wantOK, s.wantAfter)
		}
	}
}

func TestAllowScopesAreSeparate(t *testing.T) {
	st := newMemStore()
	c := &clock{t: time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)}
	a, _ := NewLimiter(st, Limit{Scope: "a", Max: 1, Window: time.Minute}, WithClock(c.now))
	b, _ := NewLimiter(st, Limit{Scope: "b", Max: 1, Window: time.Minute}, WithClock(c.now))
	ctx := context.Background()
	for _, l := range []*Limiter{a, b} {
		if ok, _, err := l.Allow(ctx, "same"); !ok || err != nil {
			t.Errorf("scope %s: first Allow() = %v, %v; want true, nil", l.Limit().Scope, ok, err)
		}
	}
	if ok, _, _ := a.Allow(ctx, "same"); ok {
		t.Error("scope a: second Allow() = true, want false")
	}
	if got, want := len(st.counts), 2; got != want {
		t.Errorf("store holds %d counters, want %d", got, want)
	}
}

func TestAllowErrors(t *testing.T) {
	st := newMemStore()
	l, _ := NewLimiter(st, Limit{Scope: "p", Max: 1, Window: time.Minute})
	ctx := context.Background()
	if _, _, err := l.Allow(ctx, ""); !errors.Is(err, ErrEmptyKey) {
		t.Errorf("Allow(\"\") error = %v, want ErrEmptyKey", err)
	}
	if err := l.Reset(ctx, ""); !errors.Is(err, ErrEmptyKey) {
		t.Errorf("Reset(\"\") error = %v, want ErrEmptyKey", err)
	}
	boom := errors.New("boom")
	st.err = boom
	if ok, _, err := l.Allow(ctx, "k"); ok || !errors.Is(err, boom) {
		t.Errorf("Allow() with failing store = %v, %v; want false, an error wrapping boom", ok, err)
	}
	if err := l.Reset(ctx, "k"); !errors.Is(err, boom) {
		t.Errorf("Reset() with failing store = %v, want an error wrapping boom", err)
	}
}

func TestWaitClamp(t *testing.T) {
	now := time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)
	l := &Limiter{limit: Limit{Window: time.Minute}}
	tests := []struct {
		name  string
		start time.Time
		want  time.Duration
	}{
		{"inside window", now.Add(-15 * time.Second), 45 * time.Second},
		{"window over by our clock", now.Add(-2 * time.Minute), time.Millisecond},
		{"window ends exactly now", now.Add(-time.Minute), time.Millisecond},
		{"start in our future", now.Add(30 * time.Second), time.Minute},
	}
	for _, tt := range tests {
		if got := l.wait(tt.start, now); got != tt.want {
			t.Errorf("%s: wait() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
