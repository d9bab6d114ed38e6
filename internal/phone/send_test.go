package phone

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSendLocale(t *testing.T) {
	f := newFixture(t, WithDefaultLocale(LocaleEN), WithServiceName("NetID Test"))
	code := f.send(t, "enrol", "b", mustNumber(t, "13800138000"))
	if got, want := f.sender.last(t).Text, "NetID Test: your code is "+code+". It expires in 10 minutes. Never share it."; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	f.clock.advance(time.Minute)
	if _, err := f.v.Send(context.Background(), "enrol", "b", mustNumber(t, "13800138000"), WithLocale(LocaleZhCN)); err != nil {
		t.Fatal(err)
	}
	if got := f.sender.last(t).Text; !strings.HasPrefix(got, "【NetID Test】") {
		t.Errorf("text = %q, want the Chinese text", got)
	}
	_, err := f.v.Send(context.Background(), "enrol", "c", mustNumber(t, "13800138000"), WithLocale("fr"))
	if !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("Send(locale fr) = %v, want ErrInvalidRequest", err)
	}
}

func TestSendThrottle(t *testing.T) {
	ctx := context.Background()
	n := mustNumber(t, "13800138000")

	t.Run("resend interval", func(t *testing.T) {
		f := newFixture(t)
		f.send(t, "enrol", "b", n)
		f.clock.advance(20 * time.Second)
		_, err := f.v.Send(ctx, "enrol", "b", n)
		var te *ThrottleError
		if !errors.As(err, &te) || !errors.Is(err, ErrResendTooSoon) {
			t.Fatalf("Send() = %v, want ErrResendTooSoon", err)
		}
		if te.RetryAfter != 40*time.Second || te.RetryAfterSeconds() != 40 {
			t.Errorf("RetryAfter = %v (%d s), want 40s", te.RetryAfter, te.RetryAfterSeconds())
		}
		if got := f.sender.count(); got != 1 {
			t.Errorf("%d messages sent, want 1", got)
		}
	})
	t.Run("per challenge", func(t *testing.T) {
		f := newFixture(t, WithNumberSendLimit(100, time.Hour))
		for i := range 5 {
			info, err := f.v.Send(ctx, "enrol", "b", n)
			if err != nil {
				t.Fatalf("Send() #%d = %v, want nil", i+1, err)
			}
			if info.SendsLeft != 4-i {
				t.Errorf("Send() #%d SendsLeft = %d, want %d", i+1, info.SendsLeft, 4-i)
			}
			f.clock.advance(time.Minute)
		}
		_, err := f.v.Send(ctx, "enrol", "b", n)
		var te *ThrottleError
		if !errors.As(err, &te) || !errors.Is(err, ErrTooManySends) {
			t.Fatalf("sixth Send() = %v, want ErrTooManySends", err)
		}
		// The window opened at the first send, five minutes ago.
		if te.RetryAfter != 55*time.Minute {
			t.Errorf("RetryAfter = %v, want 55m", te.RetryAfter)
		}
		// Changing the number does not reset the count.
		if _, err := f.v.Send(ctx, "enrol", "b", mustNumber(t, "13900139000")); !errors.Is(err, ErrTooManySends) {
			t.Errorf("Send(other number) = %v, want ErrTooManySends", err)
		}
		f.clock.advance(55 * time.Minute)
		if _, err := f.v.Send(ctx, "enrol", "b", n); err != nil {
			t.Errorf("Send() in the next window = %v, want nil", err)
		}
	})
	t.Run("per number", func(t *testing.T) {
		f := newFixture(t, WithNumberSendLimit(3, time.Hour))
		for _, b := range []string{"b1", "b2", "b3"} {
			f.send(t, "enrol", b, n)
		}
		_, err := f.v.Send(ctx, "enrol", "b4", n)
		var te *ThrottleError
		if !errors.As(err, &te) || !errors.Is(err, ErrTooManySends) {
			t.Fatalf("fourth Send() to one number = %v, want ErrTooManySends", err)
		}
		if te.RetryAfter != time.Hour {
			t.Errorf("RetryAfter = %v, want 1h", te.RetryAfter)
		}
		if _, ok := f.store.challenge("b4", "enrol"); ok {
			t.Errorf("a refused Send stored a challenge")
		}
		// Another number is not affected.
		f.send(t, "enrol", "b4", mustNumber(t, "13900139000"))
	})
	t.Run("refused sends do not count towards the number", func(t *testing.T) {
		f := newFixture(t, WithNumberSendLimit(2, time.Hour))
		f.send(t, "enrol", "b1", n)
		for range 10 {
			if _, err := f.v.Send(ctx, "enrol", "b1", n); !errors.Is(err, ErrResendTooSoon) {
				t.Fatalf("Send() = %v, want ErrResendTooSoon", err)
			}
		}
		f.send(t, "enrol", "b2", n) // the second of two allowed
	})
}

// TestSendRetrySafe runs every transaction twice, rolling back the first
// run, as a SQL store does after a serialization failure: the code sent
// must be the code stored, and nothing may be counted twice.
func TestSendRetrySafe(t *testing.T) {
	f := newFixture(t, WithNumberSendLimit(1, time.Hour))
	f.store.retryTx = true
	ctx := context.Background()
	n := mustNumber(t, "13800138000")
	// With a limit of one send per number, this Send succeeds only if the
	// rolled-back first run of the transaction was not counted.
	code := f.send(t, "enrol", "b", n)
	if got := f.sender.count(); got != 1 {
		t.Errorf("%d messages sent, want 1", got)
	}
	c, _ := f.store.challenge("b", "enrol")
	if c.Sends != 1 || c.Version != 1 {
		t.Errorf("stored Sends = %d, Version = %d, want 1 and 1", c.Sends, c.Version)
	}
	// ... and it was counted once.
	if _, err := f.v.Send(ctx, "enrol", "b2", n); !errors.Is(err, ErrTooManySends) {
		t.Errorf("Send(b2) = %v, want ErrTooManySends", err)
	}
	if err := f.v.Verify(ctx, "enrol", "b", wrong(code)); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("Verify(wrong) = %v, want ErrWrongCode", err)
	}
	if c, _ := f.store.challenge("b", "enrol"); c.Attempts != 1 {
		t.Errorf("attempts after one wrong code = %d, want 1", c.Attempts)
	}
	if err := f.v.Verify(ctx, "enrol", "b", code); err != nil {
		t.Errorf("Verify(right) = %v, want nil", err)
	}
}

func TestSendFailureWaivesResend(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n := mustNumber(t, "13800138000")
	gwErr := errors.New("gateway down")
	f.sender.err = gwErr
	_, err := f.v.Send(ctx, "enrol", "b", n)
	if !errors.Is(err, ErrSendFailed) || !errors.Is(err, gwErr) {
		t.Fatalf("Send() = %v, want ErrSendFailed wrapping the gateway error", err)
	}
	f.sender.err = nil
	code := f.send(t, "enrol", "b", n) // at once: the interval was waived
	if c, _ := f.store.challenge("b", "enrol"); c.Sends != 2 {
		t.Errorf("Sends = %d, want 2 (a failed send still counts)", c.Sends)
	}
	if err := f.v.Verify(ctx, "enrol", "b", code); err != nil {
		t.Errorf("Verify() = %v, want nil", err)
	}
}

// TestConcurrentSend lines up two Sends for one challenge: one wins, the
// other sees the winner's resend interval.
func TestConcurrentSend(t *testing.T) {
	f := newFixture(t)
	n := mustNumber(t, "13800138000")
	f.send(t, "enrol", "b", n)
	f.clock.advance(time.Minute)
	var mu sync.Mutex
	reads := 0
	both := make(chan struct{})
	f.store.onGet = func() {
		mu.Lock()
		reads++
		r := reads
		mu.Unlock()
		switch {
		case r == 2:
			close(both)
		case r < 2:
			<-both
		}
	}
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			_, err := f.v.Send(context.Background(), "enrol", "b", n)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	var ok, throttled int
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrResendTooSoon):
			throttled++
		default:
			t.Errorf("Send() = %v, want nil or ErrResendTooSoon", err)
		}
	}
	if ok != 1 || throttled != 1 {
		t.Errorf("%d succeeded and %d were throttled, want 1 and 1", ok, throttled)
	}
	if got := f.sender.count(); got != 2 {
		t.Errorf("%d messages sent in all, want 2", got)
	}
}
