package enrol_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/throttle"
)

// roomyConfig is enroltest.DefaultConfig with limits no sequence of a test
// reaches, for tests whose subject is not the throttle.
func roomyConfig() enrol.Config {
	cfg := enroltest.DefaultConfig()
	cfg.LoginPerAccount = throttle.Limit{Scope: "login-account", Max: 1 << 20, Window: 15 * time.Minute}
	cfg.LoginPerAddress = throttle.Limit{Scope: "login-address", Max: 1 << 20, Window: 15 * time.Minute}
	return cfg
}

// codes is the resident's side of the dynamic code: what the wallet shows.
type codes struct {
	e   *env
	gen credential.DynamicCode
}

func (e *env) codes(done enrol.Completed) codes {
	return codes{e: e, gen: credential.NewDynamicCode(done.DynamicCodeSecret)}
}

// at returns the code of the step offset steps from the clock's.
func (c codes) at(offset int64) string {
	return c.gen.CodeAt(c.gen.Step(c.e.Clock.Now()) + offset)
}

// wrong returns an 8-digit code that matches none of the steps the
// service accepts now.
func (c codes) wrong() string {
	valid := []string{c.at(-1), c.at(0), c.at(1)}
	for i := 0; ; i++ {
		w := fmt.Sprintf("%08d", i*11111111%100000000)
		if !slices.Contains(valid, w) {
			return w
		}
	}
}

// toStepStart moves the clock to 10 s into a time step, so that a test's
// own steps do not straddle a boundary.
func (e *env) toStepStart() {
	now := e.Clock.Now()
	e.Clock.Advance(time.Duration(30-now.Unix()%30)*time.Second + 10*time.Second - time.Duration(now.Nanosecond()))
}

// TestVerifyDynamicCode runs one resident's sequence of codes: the right
// code of the current step or one either side is accepted once; a code of
// a step no later than the last one accepted is ErrDynamicCodeReused; any
// other code is ErrBadDynamicCode.
func TestVerifyDynamicCode(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, enroltest.WithConfig(roomyConfig()))
	done := e.enrolAdult("D10000001", 201, "13800100201", goodPassword)
	e.toStepStart()
	c := e.codes(done)
	grouped := func(s string) string { return s[:4] + " " + s[4:] }
	steps := []struct {
		name    string
		advance time.Duration
		code    func() string
		wantErr error
	}{
		{"wrong code", 0, c.wrong, enrol.ErrBadDynamicCode},
		{"seven digits", 0, func() string { return c.at(0)[1:] }, enrol.ErrBadDynamicCode},
		{"nine digits", 0, func() string { return c.at(0) + "0" }, enrol.ErrBadDynamicCode},
		{"letters", 0, func() string { return "12ab5678" }, enrol.ErrBadDynamicCode},
		{"full-width digits", 0, func() string { return "１２３４５６７８" }, enrol.ErrBadDynamicCode},
		{"empty", 0, func() string { return "" }, enrol.ErrBadDynamicCode},
		{"two steps behind", 0, func() string { return c.at(-2) }, enrol.ErrBadDynamicCode},
		{"two steps ahead", 0, func() string { return c.at(2) }, enrol.ErrBadDynamicCode},
		{"previous step, within the skew", 0, func() string { return c.at(-1) }, nil},
		{"previous step again", 0, func() string { return c.at(-1) }, enrol.ErrDynamicCodeReused},
		{"current step, typed in groups", 0, func() string { return grouped(c.at(0)) }, nil},
		{"current step again, ungrouped", 0, func() string { return c.at(0) }, enrol.ErrDynamicCodeReused},
		{"previous step, older than the last used", 0, func() string { return c.at(-1) }, enrol.ErrDynamicCodeReused},
		{"next step, within the skew", 0, func() string { return c.at(1) }, nil},
		{"current step after the next was used", 0, func() string { return c.at(0) }, enrol.ErrDynamicCodeReused},
		{"the used next step once it is current", 30 * time.Second, func() string { return c.at(0) }, enrol.ErrDynamicCodeReused},
		{"the following step, hyphenated", 30 * time.Second, func() string { s := c.at(0); return s[:4] + "-" + s[4:] }, nil},
		{"an old step long after", 0, func() string { return c.at(-1) }, enrol.ErrDynamicCodeReused},
		{"a wrong code after successes", 0, c.wrong, enrol.ErrBadDynamicCode},
		{"a fresh step after a pause", 10 * time.Minute, func() string { return c.at(0) }, nil},
	}
	for _, st := range steps {
		e.Clock.Advance(st.advance)
		err := e.Service.VerifyDynamicCode(ctx, done.ResidentID, st.code(), "192.0.2.50")
		if st.wantErr == nil && err != nil || st.wantErr != nil && (!errors.Is(err, st.wantErr) || err.Error() != st.wantErr.Error()) {
			t.Errorf("%s: VerifyDynamicCode() = %v, want %v", st.name, err, st.wantErr)
		}
	}

	// Another resident's code is not this resident's, and each resident's
	// last step is their own.
	other := e.enrolAdult("D10000002", 202, "13800100202", goodPassword)
	oc := e.codes(other)
	if oc.at(0) != c.at(0) {
		if err := e.Service.VerifyDynamicCode(ctx, done.ResidentID, oc.at(0), "192.0.2.50"); !errors.Is(err, enrol.ErrBadDynamicCode) {
			t.Errorf("VerifyDynamicCode(other resident's code) = %v, want ErrBadDynamicCode", err)
		}
	}
	if err := e.Service.VerifyDynamicCode(ctx, other.ResidentID, oc.at(-1), "192.0.2.50"); err != nil {
		t.Errorf("VerifyDynamicCode(other resident, previous step) = %v, want nil", err)
	}
}

// TestVerifyDynamicCodeRefusals: requests that are refused before or after
// the code, whatever it is.
func TestVerifyDynamicCodeRefusals(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, enroltest.WithConfig(roomyConfig()))
	adult := e.enrolAdult("D20000001", 211, "13800100211", goodPassword)
	st, err := e.startChip(e.chip("M20000001", 16, 212), nil)
	if err != nil {
		t.Fatal(err)
	}
	minor, err := e.wallet(st).complete("13800138201", 212, false, goodPassword)
	if err != nil || minor.Status != enrol.StatusPendingGuardian {
		t.Fatalf("enrol minor = %+v, %v; want pending-guardian", minor, err)
	}
	e.toStepStart()
	tests := []struct {
		name              string
		resident, address string
		code              func() string
		wantErr           error
	}{
		{"no client address", adult.ResidentID, "", func() string { return e.codes(adult).at(0) }, enrol.ErrInvalidRequest},
		{"unknown resident", "no-such-resident", "192.0.2.60", func() string { return e.codes(adult).at(0) }, enrol.ErrNotFound},
		{"pending minor, right code", minor.ResidentID, "192.0.2.60", func() string { return e.codes(minor).at(0) }, enrol.ErrAccountPending},
		{"pending minor, same code again", minor.ResidentID, "192.0.2.60", func() string { return e.codes(minor).at(0) }, enrol.ErrDynamicCodeReused},
		{"pending minor, wrong code", minor.ResidentID, "192.0.2.60", func() string { return e.codes(minor).wrong() }, enrol.ErrBadDynamicCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := e.Service.VerifyDynamicCode(ctx, tt.resident, tt.code(), tt.address); !errors.Is(err, tt.wantErr) {
				t.Errorf("VerifyDynamicCode() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestVerifyDynamicCodeThrottle: attempts are limited per account and per
// client address, with counters apart from the password's, counted before
// the code is looked at; a success resets the account's counter.
func TestVerifyDynamicCodeThrottle(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// perAccount and perAddress are the limits (per 15 minutes).
		perAccount, perAddress int
		// addresses gives the client address of attempt i; residents the
		// resident (0 or 1) of attempt i.
		address  func(i int) string
		resident func(i int) int
	}{
		{"per account, from many addresses", 5, 1000,
			func(i int) string { return fmt.Sprintf("198.51.100.%d", i+1) }, func(int) int { return 0 }},
		{"per address, over two accounts", 1000, 5,
			func(int) string { return "198.51.100.200" }, func(i int) int { return i % 2 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := enroltest.DefaultConfig()
			cfg.LoginPerAccount.Max, cfg.LoginPerAddress.Max = tt.perAccount, tt.perAddress
			e := newEnv(t, enroltest.WithConfig(cfg))
			done := []enrol.Completed{
				e.enrolAdult("T10000001", 221, "13800100221", goodPassword),
				e.enrolAdult("T10000002", 222, "13800100222", goodPassword),
			}
			e.toStepStart()
			// Wrong passwords up to the limit do not use up the codes'
			// budget.
			for i := range 5 {
				if _, err := e.Service.AuthenticateResident(ctx, string(done[0].InternetNumber), "wrong", fmt.Sprintf("203.0.113.%d", i+1)); !errors.Is(err, enrol.ErrBadCredentials) {
					t.Fatalf("wrong password %d: %v", i+1, err)
				}
			}
			for i := range 5 {
				r := done[tt.resident(i)]
				if err := e.Service.VerifyDynamicCode(ctx, r.ResidentID, e.codes(r).wrong(), tt.address(i)); !errors.Is(err, enrol.ErrBadDynamicCode) {
					t.Fatalf("wrong code %d: VerifyDynamicCode() = %v, want ErrBadDynamicCode", i+1, err)
				}
			}
			r := done[tt.resident(5)]
			err := e.Service.VerifyDynamicCode(ctx, r.ResidentID, e.codes(r).at(0), tt.address(5))
			var te *enrol.ThrottledError
			if !errors.As(err, &te) || te.RetryAfter <= 0 || te.RetryAfter > 15*time.Minute {
				t.Fatalf("right code after 5 failures: VerifyDynamicCode() = %v, want a ThrottledError within the window", err)
			}
			// Once the window is over, the code of the moment is accepted.
			e.Clock.Advance(15 * time.Minute)
			if err := e.Service.VerifyDynamicCode(ctx, r.ResidentID, e.codes(r).at(0), tt.address(5)); err != nil {
				t.Errorf("right code after the window: VerifyDynamicCode() = %v, want nil", err)
			}
		})
	}
}

// TestVerifyDynamicCodeSuccessResetsAccountCounter: failures are counted
// between successes only, so a resident who mistypes now and then is
// never locked out.
func TestVerifyDynamicCodeSuccessResetsAccountCounter(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t) // 5 per account
	done := e.enrolAdult("T20000001", 231, "13800100231", goodPassword)
	e.toStepStart()
	c := e.codes(done)
	for round := range 3 {
		for i := range 4 {
			if err := e.Service.VerifyDynamicCode(ctx, done.ResidentID, c.wrong(), "192.0.2.70"); !errors.Is(err, enrol.ErrBadDynamicCode) {
				t.Fatalf("round %d, failure %d: %v", round+1, i+1, err)
			}
		}
		if err := e.Service.VerifyDynamicCode(ctx, done.ResidentID, c.at(0), "192.0.2.70"); err != nil {
			t.Fatalf("round %d, right code: VerifyDynamicCode() = %v, want nil", round+1, err)
		}
		e.Clock.Advance(30 * time.Second)
	}
}

// TestVerifyDynamicCodeConcurrent: the same code presented at once on
// several connections, as to several nodes, is accepted exactly once, on
// each engine.
func TestVerifyDynamicCodeConcurrent(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, enroltest.WithEngine(engine), enroltest.WithConfig(roomyConfig()))
			done := e.enrolAdult("C10000001", 241, "13800100241", goodPassword)
			e.toStepStart()
			code := e.codes(done).at(0)
			const callers = 4
			errs := make([]error, callers)
			start := make(chan struct{})
			finished := make(chan struct{})
			for i := range callers {
				go func() {
					defer func() { finished <- struct{}{} }()
					<-start
					errs[i] = e.Service.VerifyDynamicCode(ctx, done.ResidentID, code, fmt.Sprintf("192.0.2.%d", 80+i))
				}()
			}
			close(start)
			for range callers {
				<-finished
			}
			wins := 0
			for i, err := range errs {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, enrol.ErrDynamicCodeReused):
					t.Errorf("caller %d: VerifyDynamicCode() = %v, want nil or ErrDynamicCodeReused", i, err)
				}
			}
			if wins != 1 {
				t.Errorf("%d callers accepted one code, want exactly 1", wins)
			}
		})
	}
}

// FuzzVerifyDynamicCode feeds typed codes from outside: whatever the
// input, the answer is nil only for a right code of an unused step, and
// otherwise exactly ErrBadDynamicCode or ErrDynamicCodeReused, never a
// panic or another error.
func FuzzVerifyDynamicCode(f *testing.F) {
	e := newEnv(f, enroltest.WithConfig(roomyConfig()))
	done := e.enrolAdult("F20000001", 251, "13800100251", goodPassword)
	e.toStepStart()
	c := e.codes(done)
	valid := map[string]bool{c.at(-1): true, c.at(0): true, c.at(1): true}
	for _, s := range []string{c.at(0), c.at(-1), c.at(2), "", " ", "-", "00000000", "1234 5678", "1234-5678",
		"１２３４５６７８", "12345678\x00", "+1234567", "-1234567", " 12345678 ", "1 2 3 4 5 6 7 8", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		err := e.Service.VerifyDynamicCode(context.Background(), done.ResidentID, code, "192.0.2.90")
		switch {
		case err == nil:
			digits := ""
			for _, r := range code {
				if r >= '0' && r <= '9' {
					digits += string(r)
				}
			}
			if !valid[digits] {
				t.Errorf("VerifyDynamicCode(%q) = nil for a code that is not one of the accepted steps", code)
			}
		case errors.Is(err, enrol.ErrBadDynamicCode) && err.Error() == enrol.ErrBadDynamicCode.Error():
		case errors.Is(err, enrol.ErrDynamicCodeReused) && err.Error() == enrol.ErrDynamicCodeReused.Error():
		default:
			t.Errorf("VerifyDynamicCode(%q) = %v, want nil, ErrBadDynamicCode or ErrDynamicCodeReused", code, err)
		}
	})
}
