package phone

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netid/netid/internal/store"
)

func TestSendVerify(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n := mustNumber(t, "13800138000")
	info, err := f.v.Send(ctx, "enrol", "enr-1", n)
	if err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	now := f.clock.now()
	want := ChallengeInfo{
		To: "+86 138****8000", CodeLength: 6,
		ExpiresAt: now.Add(10 * time.Minute), ResendAt: now.Add(time.Minute),
		AttemptsLeft: 5, SendsLeft: 4,
	}
	if info != want {
		t.Errorf("Send() info = %+v, want %+v", info, want)
	}
	m := f.sender.last(t)
	if len(m.Code) != 6 || !allDigits(m.Code) {
		t.Errorf("code = %q, want 6 digits", m.Code)
	}
	if !m.To.Equal(n) || m.Purpose != "enrol" || m.BindingID != "enr-1" {
		t.Errorf("message = to %v purpose %q binding %q, want %v enrol enr-1", m.To, m.Purpose, m.BindingID, n)
	}
	if want := "【netid】您的验证码是 " + m.Code + "，10 分钟内有效。请勿告诉他人。"; m.Text != want {
		t.Errorf("text = %q, want %q", m.Text, want)
	}
	if len(m.ID) != 32 {
		t.Errorf("message id = %q, want 32 hex characters", m.ID)
	}

	if err := f.v.Verify(ctx, "enrol", "enr-1", m.Code); err != nil {
		t.Fatalf("Verify(right code) = %v, want nil", err)
	}
	if err := f.v.Verify(ctx, "enrol", "enr-1", m.Code); !errors.Is(err, ErrUsed) {
		t.Errorf("second Verify(right code) = %v, want ErrUsed", err)
	}
}

func TestVerifyAttempts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n := mustNumber(t, "13800138000")
	code := f.send(t, "enrol", "b", n)
	bad := wrong(code)
	for left := 4; left >= 0; left-- {
		err := f.v.Verify(ctx, "enrol", "b", bad)
		var wc *WrongCodeError
		if !errors.As(err, &wc) || !errors.Is(err, ErrWrongCode) {
			t.Fatalf("Verify(wrong) = %v, want a WrongCodeError", err)
		}
		if wc.AttemptsLeft != left {
			t.Errorf("AttemptsLeft = %d, want %d", wc.AttemptsLeft, left)
		}
		if got, want := errors.Is(err, ErrTooManyAttempts), left == 0; got != want {
			t.Errorf("with %d left, errors.Is(err, ErrTooManyAttempts) = %v, want %v", left, got, want)
		}
	}
	// Locked: even the right code is refused now.
	if err := f.v.Verify(ctx, "enrol", "b", code); !errors.Is(err, ErrTooManyAttempts) {
		t.Fatalf("Verify(right code) after lock = %v, want ErrTooManyAttempts", err)
	}
	// The lock waits a full resend interval from the moment it locked.
	f.clock.advance(59 * time.Second)
	_, err := f.v.Send(ctx, "enrol", "b", n)
	var te *ThrottleError
	if !errors.As(err, &te) || !errors.Is(err, ErrResendTooSoon) {
		t.Fatalf("Send() during lock wait = %v, want ErrResendTooSoon", err)
	}
	if te.RetryAfter != time.Second {
		t.Errorf("RetryAfter = %v, want 1s", te.RetryAfter)
	}
	f.clock.advance(time.Second)
	code2 := f.send(t, "enrol", "b", n)
	if err := f.v.Verify(ctx, "enrol", "b", wrong(code2)); err == nil || errors.Is(err, ErrTooManyAttempts) {
		t.Errorf("Verify(wrong) on a fresh code = %v, want a WrongCodeError with attempts left", err)
	}
	if err := f.v.Verify(ctx, "enrol", "b", code2); err != nil {
		t.Errorf("Verify(new code) = %v, want nil", err)
	}
}

func TestVerifyRefusals(t *testing.T) {
	ctx := context.Background()
	n := mustNumber(t, "13800138000")

	t.Run("no challenge", func(t *testing.T) {
		f := newFixture(t)
		if err := f.v.Verify(ctx, "enrol", "nobody", "123456"); !errors.Is(err, ErrNoChallenge) {
			t.Errorf("Verify() = %v, want ErrNoChallenge", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		f := newFixture(t)
		code := f.send(t, "enrol", "b", n)
		f.clock.advance(10*time.Minute - time.Microsecond)
		// Still valid a microsecond before the end; use a wrong code to
		// observe it without consuming the challenge.
		if err := f.v.Verify(ctx, "enrol", "b", wrong(code)); !errors.Is(err, ErrWrongCode) {
			t.Fatalf("Verify() just before expiry = %v, want ErrWrongCode", err)
		}
		f.clock.advance(time.Microsecond)
		if err := f.v.Verify(ctx, "enrol", "b", code); !errors.Is(err, ErrExpired) {
			t.Errorf("Verify() at expiry = %v, want ErrExpired", err)
		}
	})
	t.Run("malformed codes do not count", func(t *testing.T) {
		f := newFixture(t)
		code := f.send(t, "enrol", "b", n)
		for _, c := range []string{"", "12345", "abcdef", "12345678901", "12a456", "１２３４５", "12.345.6"} {
			if err := f.v.Verify(ctx, "enrol", "b", c); !errors.Is(err, ErrMalformedCode) {
				t.Errorf("Verify(%q) = %v, want ErrMalformedCode", c, err)
			}
		}
		var wc *WrongCodeError
		if err := f.v.Verify(ctx, "enrol", "b", wrong(code)); !errors.As(err, &wc) || wc.AttemptsLeft != 4 {
			t.Errorf("Verify(wrong) after malformed ones = %v, want 4 attempts left", err)
		}
	})
	t.Run("typed forms of the code", func(t *testing.T) {
		for _, form := range []func(string) string{
			func(c string) string { return c[:3] + " " + c[3:] },
			func(c string) string { return c[:3] + "-" + c[3:] },
			func(c string) string { // full-width digits
				return strings.Map(func(r rune) rune { return r - '0' + '０' }, c)
			},
		} {
			f := newFixture(t)
			code := f.send(t, "enrol", "b", n)
			if err := f.v.Verify(ctx, "enrol", "b", form(code)); err != nil {
				t.Errorf("Verify(%q) = %v, want nil", form(code), err)
			}
		}
	})
	t.Run("bound to binding and purpose", func(t *testing.T) {
		f := newFixture(t)
		codeA := f.send(t, "enrol", "a", n)
		codeB := f.send(t, "enrol", "b", mustNumber(t, "13900139000"))
		if codeA == codeB {
			t.Skip("the two random codes collided; the binding cannot be observed")
		}
		if err := f.v.Verify(ctx, "enrol", "b", codeA); !errors.Is(err, ErrWrongCode) {
			t.Errorf("Verify(b, code of a) = %v, want ErrWrongCode", err)
		}
		if err := f.v.Verify(ctx, "change-phone", "a", codeA); !errors.Is(err, ErrNoChallenge) {
			t.Errorf("Verify(other purpose) = %v, want ErrNoChallenge", err)
		}
		// Moving the stored hash to another binding does not move the code.
		ca, _ := f.store.challenge("a", "enrol")
		cb, _ := f.store.challenge("b", "enrol")
		moved := cb
		moved.CodeHash = ca.CodeHash
		moved.Version++
		if err := f.store.UpdatePhoneChallenge(ctx, cb.Version, moved); err != nil {
			t.Fatal(err)
		}
		if err := f.v.Verify(ctx, "enrol", "b", codeA); !errors.Is(err, ErrWrongCode) {
			t.Errorf("Verify(b, code of a) with a's hash copied to b = %v, want ErrWrongCode", err)
		}
	})
	t.Run("resend replaces the code", func(t *testing.T) {
		f := newFixture(t)
		first := f.send(t, "enrol", "b", n)
		f.clock.advance(time.Minute)
		second := f.send(t, "enrol", "b", n)
		if first == second {
			t.Skip("the two random codes collided")
		}
		if err := f.v.Verify(ctx, "enrol", "b", first); !errors.Is(err, ErrWrongCode) {
			t.Errorf("Verify(first code) after resend = %v, want ErrWrongCode", err)
		}
		if err := f.v.Verify(ctx, "enrol", "b", second); err != nil {
			t.Errorf("Verify(second code) = %v, want nil", err)
		}
	})
	t.Run("unknown state", func(t *testing.T) {
		f := newFixture(t)
		code := f.send(t, "enrol", "b", n)
		c, _ := f.store.challenge("b", "enrol")
		bad := c
		bad.State, bad.Version = "bogus", c.Version+1
		if err := f.store.UpdatePhoneChallenge(ctx, c.Version, bad); err != nil {
			t.Fatal(err)
		}
		err := f.v.Verify(ctx, "enrol", "b", code)
		if err == nil || !strings.Contains(err.Error(), "unknown state") {
			t.Errorf("Verify() on a corrupt challenge = %v, want an unknown-state error", err)
		}
	})
	t.Run("bad ids", func(t *testing.T) {
		f := newFixture(t)
		for _, tc := range []struct{ purpose, binding string }{
			{"", "b"}, {"Enrol", "b"}, {"enrol|x", "b"}, {strings.Repeat("p", 65), "b"},
			{"enrol", ""}, {"enrol", "has space"}, {"enrol", "é"}, {"enrol", strings.Repeat("b", 129)},
		} {
			if _, err := f.v.Send(ctx, tc.purpose, tc.binding, n); !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("Send(%q, %q) = %v, want ErrInvalidRequest", tc.purpose, tc.binding, err)
			}
			if err := f.v.Verify(ctx, tc.purpose, tc.binding, "123456"); !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("Verify(%q, %q) = %v, want ErrInvalidRequest", tc.purpose, tc.binding, err)
			}
		}
		if _, err := f.v.Send(ctx, "enrol", "b", Number{}); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("Send(zero number) = %v, want ErrInvalidRequest", err)
		}
	})
}

func TestVerifyNumber(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	a, b := mustNumber(t, "13800138000"), mustNumber(t, "13900139000")
	code := f.send(t, "enrol", "e", a)
	if err := f.v.VerifyNumber(ctx, "enrol", "e", b, code); !errors.Is(err, ErrNumberMismatch) {
		t.Fatalf("VerifyNumber(other number) = %v, want ErrNumberMismatch", err)
	}
	if c, _ := f.store.challenge("e", "enrol"); c.Attempts != 0 {
		t.Errorf("attempts after a number mismatch = %d, want 0", c.Attempts)
	}
	if err := f.v.VerifyNumber(ctx, "enrol", "e", a, code); err != nil {
		t.Errorf("VerifyNumber(right number) = %v, want nil", err)
	}
}

// TestConcurrentVerify lines up 20 Verify calls with the right code so that
// all read the same version before any writes: exactly one may succeed.
func TestConcurrentVerify(t *testing.T) {
	const workers = 20
	f := newFixture(t)
	code := f.send(t, "enrol", "b", mustNumber(t, "13800138000"))

	var mu sync.Mutex
	reads := 0
	all := make(chan struct{})
	f.store.onGet = func() {
		mu.Lock()
		reads++
		n := reads
		mu.Unlock()
		switch {
		case n == workers:
			close(all)
		case n < workers:
			<-all // the first reads wait until every worker has read
		}
	}
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { errs <- f.v.Verify(context.Background(), "enrol", "b", code) })
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrUsed):
		default:
			t.Errorf("Verify() = %v, want nil or ErrUsed", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent Verify calls succeeded, want exactly 1", ok)
	}
}

// TestStoredChallengeHoldsNoSecrets checks that the record holds neither
// the code nor the number, and that the blind index depends on the key.
func TestStoredChallengeHoldsNoSecrets(t *testing.T) {
	f := newFixture(t)
	n := mustNumber(t, "13800138000")
	code := f.send(t, "enrol", "b", n)
	c, _ := f.store.challenge("b", "enrol")
	if len(c.CodeHash) != 32 || len(c.NumberIndex) != 32 {
		t.Fatalf("hash lengths %d and %d, want 32 and 32", len(c.CodeHash), len(c.NumberIndex))
	}
	for _, field := range [][]byte{c.CodeHash, c.NumberIndex} {
		for _, secret := range []string{code, n.E164(), n.National()} {
			if bytes.Contains(field, []byte(secret)) {
				t.Errorf("stored field contains %q", secret)
			}
		}
	}
	g := newFixture(t, WithKey(bytes.Repeat([]byte{7}, 32)))
	g.send(t, "enrol", "b", n)
	c2, _ := g.store.challenge("b", "enrol")
	if bytes.Equal(c.NumberIndex, c2.NumberIndex) {
		t.Errorf("blind index is the same under two keys")
	}
	f.clock.advance(time.Minute)
	f.send(t, "enrol", "other", n)
	c3, _ := f.store.challenge("other", "enrol")
	if !bytes.Equal(c.NumberIndex, c3.NumberIndex) {
		t.Errorf("blind index of one number differs between challenges")
	}
}

func TestForgetPrune(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n := mustNumber(t, "13800138000")
	f.send(t, "enrol", "a", n)
	f.send(t, "change-phone", "a", n)
	f.send(t, "enrol", "b", mustNumber(t, "13900139000"))
	if err := f.v.Forget(ctx, "a"); err != nil {
		t.Fatalf("Forget() = %v", err)
	}
	for _, p := range []string{"enrol", "change-phone"} {
		if _, ok := f.store.challenge("a", p); ok {
			t.Errorf("challenge (a, %s) survived Forget", p)
		}
	}
	if err := f.v.Forget(ctx, ""); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("Forget(\"\") = %v, want ErrInvalidRequest", err)
	}
	// b is kept for the send window (1 h), then pruned.
	f.clock.advance(59 * time.Minute)
	if got, err := f.v.Prune(ctx); err != nil || got != 0 {
		t.Errorf("Prune() before the window ends = %d, %v, want 0", got, err)
	}
	f.clock.advance(time.Minute + time.Microsecond)
	if got, err := f.v.Prune(ctx); err != nil || got != 1 {
		t.Errorf("Prune() after the window = %d, %v, want 1", got, err)
	}
}

func TestNewValidation(t *testing.T) {
	_, err := New(nil, nil, WithKey([]byte("short")), WithCodeLength(5), WithTTL(0), WithMaxAttempts(0),
		WithResendInterval(0), WithSendLimit(0, time.Second), WithNumberSendLimit(0, 48*time.Hour),
		WithDefaultLocale("fr"), WithServiceName("【x】"), WithClock(nil), WithRand(nil), WithMAC(nil))
	if err == nil {
		t.Fatal("New() with everything wrong = nil error")
	}
	for _, want := range []string{
		"nil store", "nil sender", "secret key of 5 bytes", "code length 5", "code lifetime 0s",
		"max attempts 0", "resend interval 0s", "max sends per challenge 0", "send window per challenge 1s",
		"max sends per number 0", "send window per number 48h0m0s", `default locale "fr"`, "service name",
		"nil clock", "nil random source", "nil MAC",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New() error does not mention %q:\n%v", want, err)
		}
	}
	if _, err := New(newMemStore(), &recSender{}); err == nil || !strings.Contains(err.Error(), "WithKey") {
		t.Errorf("New() without a key = %v, want an error naming WithKey", err)
	}
}

// errStore makes PhoneChallenge fail.
type errStore struct {
	*memStore
	err error
}

func (s errStore) PhoneChallenge(context.Context, string, string) (Challenge, error) {
	return Challenge{}, s.err
}

func TestStoreErrorsPropagate(t *testing.T) {
	s := errStore{memStore: newMemStore(), err: store.ErrUnavailable}
	v, err := New(s, &recSender{}, WithKey(testKey))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := v.Verify(ctx, "enrol", "b", "123456"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Verify() = %v, want ErrUnavailable", err)
	}
	if _, err := v.Send(ctx, "enrol", "b", mustNumber(t, "13800138000")); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Send() = %v, want ErrUnavailable", err)
	}
}

func BenchmarkSendVerify(b *testing.B) {
	f := newFixture(b, WithSendLimit(1<<30, time.Hour), WithNumberSendLimit(1<<30, time.Hour))
	var code string
	f.v.sender = SenderFunc(func(_ context.Context, m Message) error { code = m.Code; return nil })
	ctx := context.Background()
	n := mustNumber(b, "13800138000")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.v.Send(ctx, "enrol", "b", n); err != nil {
			b.Fatal(err)
		}
		if err := f.v.Verify(ctx, "enrol", "b", code); err != nil {
			b.Fatal(err)
		}
		f.clock.advance(time.Minute)
	}
}
