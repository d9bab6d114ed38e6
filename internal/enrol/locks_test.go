package enrol_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// TestLocks: each lock refuses its own method with its own message, the
// account lock refuses every method, and unlocking restores them. A
// refusal for a lock comes only with a right credential: a wrong one is
// refused as on an unlocked account.
func TestLocks(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, enroltest.WithConfig(roomyConfig()))
	done := e.enrolAdult("K10000001", 301, "13800138301", goodPassword)
	c := e.codes(done)
	e.toStepStart()
	const (
		passwordMsg = "You have locked sign-in with your password. Unlock it in your netid account or wallet."
		codeMsg     = "You have locked sign-in with your dynamic code. Unlock it in your netid account or wallet."
		walletMsg   = "You have locked sign-in with your wallet. Unlock it in your netid account or wallet."
		accountMsg  = "You have locked your netid account, so every way of signing in is refused. Unlock it in your netid wallet."
	)
	// want is the refusal of one method: "" for none.
	type want struct{ password, code, wallet string }
	tests := []struct {
		name   string
		locked []enrol.Method
		want   want
	}{
		{"nothing locked", nil, want{}},
		{"password", []enrol.Method{enrol.MethodPassword}, want{password: passwordMsg}},
		{"dynamic code", []enrol.Method{enrol.MethodDynamicCode}, want{code: codeMsg}},
		{"wallet", []enrol.Method{enrol.MethodWallet}, want{wallet: walletMsg}},
		{"password and wallet", []enrol.Method{enrol.MethodPassword, enrol.MethodWallet}, want{password: passwordMsg, wallet: walletMsg}},
		{"account", []enrol.Method{enrol.MethodAccount}, want{accountMsg, accountMsg, accountMsg}},
		{"account and password", []enrol.Method{enrol.MethodPassword, enrol.MethodAccount}, want{accountMsg, accountMsg, accountMsg}},
	}
	// check compares a refusal with its expected message and sentinel.
	check := func(t *testing.T, what string, err error, msg string) {
		t.Helper()
		var le *enrol.LockedError
		switch {
		case msg == "" && err != nil:
			t.Errorf("%s: error = %v, want nil", what, err)
		case msg == "":
		case !errors.As(err, &le) || err.Error() != msg:
			t.Errorf("%s: error = %v, want a LockedError %q", what, err, msg)
		case msg == accountMsg && (!errors.Is(err, enrol.ErrAccountLocked) || errors.Is(err, enrol.ErrMethodLocked)):
			t.Errorf("%s: error = %v, want it to match ErrAccountLocked only", what, err)
		case msg != accountMsg && (!errors.Is(err, enrol.ErrMethodLocked) || errors.Is(err, enrol.ErrAccountLocked)):
			t.Errorf("%s: error = %v, want it to match ErrMethodLocked only", what, err)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, m := range tt.locked {
				if err := e.Service.LockMethod(ctx, done.ResidentID, m); err != nil {
					t.Fatalf("LockMethod(%s) = %v", m, err)
				}
			}
			acct, err := e.Service.AuthenticateResident(ctx, "13800138301", goodPassword, "192.0.2.100")
			check(t, "AuthenticateResident(right password)", err, tt.want.password)
			if err == nil && acct.ID != done.ResidentID {
				t.Errorf("AuthenticateResident() = %+v, want the resident", acct)
			}
			if _, err := e.Service.AuthenticateResident(ctx, "13800138301", "wrong password", "192.0.2.100"); !errors.Is(err, enrol.ErrBadCredentials) {
				t.Errorf("AuthenticateResident(wrong password) = %v, want ErrBadCredentials whatever is locked", err)
			}
			check(t, "VerifyDynamicCode(right code)", e.Service.VerifyDynamicCode(ctx, done.ResidentID, c.at(0), "192.0.2.100"), tt.want.code)
			if err := e.Service.VerifyDynamicCode(ctx, done.ResidentID, c.wrong(), "192.0.2.100"); !errors.Is(err, enrol.ErrBadDynamicCode) {
				t.Errorf("VerifyDynamicCode(wrong code) = %v, want ErrBadDynamicCode whatever is locked", err)
			}
			check(t, "CheckMethod(wallet)", e.Service.CheckMethod(ctx, done.ResidentID, enrol.MethodWallet), tt.want.wallet)

			for _, m := range tt.locked {
				if err := e.Service.UnlockMethod(ctx, done.ResidentID, m); err != nil {
					t.Fatalf("UnlockMethod(%s) = %v", m, err)
				}
			}
			if _, err := e.Service.AuthenticateResident(ctx, "13800138301", goodPassword, "192.0.2.100"); err != nil {
				t.Errorf("AuthenticateResident() after unlocking = %v, want nil", err)
			}
			e.Clock.Advance(30 * time.Second) // the next code
			if err := e.Service.VerifyDynamicCode(ctx, done.ResidentID, c.at(0), "192.0.2.100"); err != nil {
				t.Errorf("VerifyDynamicCode() after unlocking = %v, want nil", err)
			}
			if err := e.Service.CheckMethod(ctx, done.ResidentID, enrol.MethodWallet); err != nil {
				t.Errorf("CheckMethod(wallet) after unlocking = %v, want nil", err)
			}
			e.Clock.Advance(30 * time.Second)
		})
	}
}

// TestLockList: Locks lists what is locked and since when; locking twice
// keeps the first time and unlocking twice is no error; the account lock
// lifts with the resident's word alone, even while it is in force.
func TestLockList(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	done := e.enrolAdult("K20000001", 311, "13800100311", goodPassword)
	other := e.enrolAdult("K20000002", 312, "13800100312", goodPassword)
	id := done.ResidentID
	list := func(want enrol.Locks) {
		t.Helper()
		got, err := e.Service.Locks(ctx, id)
		if err != nil || !cmp.Equal(want, got) {
			t.Errorf("Locks() = %v, %v; want %v", got, err, want)
		}
	}
	list(enrol.Locks{})

	t1 := e.Clock.Now().UTC()
	for _, m := range []enrol.Method{enrol.MethodWallet, enrol.MethodAccount} {
		if err := e.Service.LockMethod(ctx, id, m); err != nil {
			t.Fatal(err)
		}
	}
	e.Clock.Advance(time.Hour)
	t2 := e.Clock.Now().UTC()
	for _, m := range []enrol.Method{enrol.MethodWallet, enrol.MethodPassword} {
		if err := e.Service.LockMethod(ctx, id, m); err != nil {
			t.Errorf("LockMethod(%s) = %v, want nil (locking twice is no error)", m, err)
		}
	}
	locks := enrol.Locks{
		{Method: enrol.MethodAccount, Since: t1},
		{Method: enrol.MethodPassword, Since: t2},
		{Method: enrol.MethodWallet, Since: t1},
	}
	list(locks)
	if since, ok := locks.Since(enrol.MethodPassword); !ok || !since.Equal(t2) {
		t.Errorf("Locks.Since(password) = %v, %v; want %v, true", since, ok, t2)
	}
	if _, ok := locks.Since(enrol.MethodDynamicCode); ok {
		t.Error("Locks.Since(dynamic-code) = true, want false")
	}
	if got, err := e.Service.Locks(ctx, other.ResidentID); err != nil || len(got) != 0 {
		t.Errorf("Locks(other resident) = %v, %v; want none", got, err)
	}
	if err := e.Service.CheckMethod(ctx, other.ResidentID, enrol.MethodPassword); err != nil {
		t.Errorf("CheckMethod(other resident) = %v, want nil", err)
	}

	var le *enrol.LockedError
	if err := e.Service.CheckMethod(ctx, id, enrol.MethodAccount); !errors.As(err, &le) || le.Method != enrol.MethodAccount || !le.Since.Equal(t1) {
		t.Errorf("CheckMethod(account) = %v, want the account's LockedError since %v", err, t1)
	}
	// The account lock lifts without any other method being usable.
	for range 2 {
		if err := e.Service.UnlockMethod(ctx, id, enrol.MethodAccount); err != nil {
			t.Errorf("UnlockMethod(account) = %v, want nil", err)
		}
	}
	list(locks[1:])
	// Unlocking the account leaves the methods' own locks.
	if err := e.Service.CheckMethod(ctx, id, enrol.MethodPassword); !errors.Is(err, enrol.ErrMethodLocked) {
		t.Errorf("CheckMethod(password) after unlocking the account = %v, want ErrMethodLocked", err)
	}
	if err := e.Service.CheckMethod(ctx, id, enrol.MethodDynamicCode); err != nil {
		t.Errorf("CheckMethod(dynamic-code) = %v, want nil", err)
	}
}

// TestLockRefusals: unknown methods and residents.
func TestLockRefusals(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	done := e.enrolAdult("K30000001", 321, "13800100321", goodPassword)
	tests := []struct {
		name     string
		call     func(resident string, m enrol.Method) error
		resident string
		method   enrol.Method
		wantErr  error
	}{
		{"lock, unknown method", e.lock, done.ResidentID, "sms", enrol.ErrInvalidRequest},
		{"lock, empty method", e.lock, done.ResidentID, "", enrol.ErrInvalidRequest},
		{"lock, unknown resident", e.lock, "no-such-resident", enrol.MethodPassword, enrol.ErrNotFound},
		{"unlock, unknown method", e.unlock, done.ResidentID, "Password", enrol.ErrInvalidRequest},
		{"unlock, unknown resident", e.unlock, "no-such-resident", enrol.MethodPassword, nil},
		{"check, unknown method", e.check, done.ResidentID, "all", enrol.ErrInvalidRequest},
		{"check, unknown resident", e.check, "no-such-resident", enrol.MethodWallet, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(tt.resident, tt.method); tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if got, err := e.Service.Locks(ctx, done.ResidentID); err != nil || len(got) != 0 {
		t.Errorf("Locks() after refusals = %v, %v; want none", got, err)
	}
}

func (e *env) lock(id string, m enrol.Method) error {
	return e.Service.LockMethod(context.Background(), id, m)
}

func (e *env) unlock(id string, m enrol.Method) error {
	return e.Service.UnlockMethod(context.Background(), id, m)
}

func (e *env) check(id string, m enrol.Method) error {
	return e.Service.CheckMethod(context.Background(), id, m)
}

// TestLockedLoginStillCounts: a right password refused for a lock counts
// against the account's limit like a failure, so a lock is no way around
// the throttle.
func TestLockedLoginStillCounts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t) // 5 per account
	done := e.enrolAdult("K40000001", 331, "13800100331", goodPassword)
	if err := e.Service.LockMethod(ctx, done.ResidentID, enrol.MethodPassword); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := e.Service.AuthenticateResident(ctx, string(done.InternetNumber), goodPassword, "192.0.2.110"); !errors.Is(err, enrol.ErrMethodLocked) {
			t.Fatalf("attempt %d: AuthenticateResident() = %v, want ErrMethodLocked", i+1, err)
		}
	}
	if err := e.Service.UnlockMethod(ctx, done.ResidentID, enrol.MethodPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Service.AuthenticateResident(ctx, string(done.InternetNumber), goodPassword, "192.0.2.110"); !errors.Is(err, enrol.ErrThrottled) {
		t.Errorf("after 5 locked attempts: AuthenticateResident() = %v, want ErrThrottled", err)
	}
}

// FuzzParseMethod: only the four method names, exactly spelled, parse.
func FuzzParseMethod(f *testing.F) {
	for _, s := range []string{"password", "dynamic-code", "wallet", "account", "", "Password", "dynamic_code", " wallet", "account\x00", "密码"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := enrol.ParseMethod(s)
		known := slices.Contains(enrol.Methods(), enrol.Method(s))
		switch {
		case known && (err != nil || string(m) != s):
			t.Errorf("ParseMethod(%q) = %q, %v; want the method", s, m, err)
		case !known && (!errors.Is(err, enrol.ErrInvalidRequest) || m != ""):
			t.Errorf("ParseMethod(%q) = %q, %v; want ErrInvalidRequest", s, m, err)
		}
	})
}
