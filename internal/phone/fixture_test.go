package phone

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"
)

var testKey = bytes.Repeat([]byte{0x42}, 32)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 7, 15, 8, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recSender records messages and fails with err while err is set.
type recSender struct {
	mu   sync.Mutex
	msgs []Message
	err  error
}

func (s *recSender) Send(_ context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *recSender) last(t *testing.T) Message {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.msgs) == 0 {
		t.Fatal("no message was sent")
	}
	return s.msgs[len(s.msgs)-1]
}

func (s *recSender) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

type fixture struct {
	v      *Verifier
	store  *memStore
	sender *recSender
	clock  *fakeClock
}

func newFixture(t testing.TB, opts ...Option) *fixture {
	t.Helper()
	f := &fixture{store: newMemStore(), sender: &recSender{}, clock: newFakeClock()}
	opts = append([]Option{WithKey(testKey), WithClock(f.clock.now)}, opts...)
	v, err := New(f.store, f.sender, opts...)
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	f.v = v
	return f
}

func mustNumber(t testing.TB, s string) Number {
	t.Helper()
	n, err := ParseNumber(s, "CN")
	if err != nil {
		t.Fatalf("ParseNumber(%q) error = %v", s, err)
	}
	return n
}

// send sends a code and returns it, failing the test on error.
func (f *fixture) send(t *testing.T, purpose, binding string, n Number) string {
	t.Helper()
	if _, err := f.v.Send(context.Background(), purpose, binding, n); err != nil {
		t.Fatalf("Send(%s, %s) error = %v", purpose, binding, err)
	}
	return f.sender.last(t).Code
}

// wrong returns a code of the same length that differs from code.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}
