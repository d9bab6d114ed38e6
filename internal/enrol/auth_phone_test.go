package enrol_test

import (
	"context"
	"errors"
	"testing"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// TestLoginByNumberOrPhone: the username is an internet number in any
// typed form or the account's login phone in E.164 or national form; any
// other username, or a wrong password, is exactly ErrBadCredentials.
func TestLoginByNumberOrPhone(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	done := e.enrolAdult("L10000001", 111, "13800138000", goodPassword)
	other := e.enrolAdult("L10000002", 112, "+8613900139000", goodPassword)
	unknown, err := credential.NewInternetNumber(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, username, password string
		wantID                   string // "" means ErrBadCredentials
	}{
		{"internet number", string(done.InternetNumber), goodPassword, done.ResidentID},
		{"internet number, display form", done.InternetNumber.Display(), goodPassword, done.ResidentID},
		{"phone, E.164", "+8613800138000", goodPassword, done.ResidentID},
		{"phone, national", "13800138000", goodPassword, done.ResidentID},
		{"phone, spaced", " 138 0013 8000 ", goodPassword, done.ResidentID},
		{"other phone, national", "13900139000", goodPassword, other.ResidentID},
		{"phone, wrong password", "13800138000", "wrong password", ""},
		{"phone, wrong password, E.164", "+8613800138000", "wrong password", ""},
		{"unknown phone", "13700137000", goodPassword, ""},
		{"unknown phone, E.164", "+8613700137000", goodPassword, ""},
		{"unknown number", string(unknown), goodPassword, ""},
		{"neither number nor phone", "not a username", goodPassword, ""},
		{"empty", "", goodPassword, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One address per case: the address limit is not under test.
			addr := "198.51.100." + string(rune('1'+i%9))
			acct, err := e.Service.AuthenticateResident(ctx, tt.username, tt.password, addr)
			if tt.wantID == "" {
				if !errors.Is(err, enrol.ErrBadCredentials) || err.Error() != enrol.ErrBadCredentials.Error() {
					t.Errorf("AuthenticateResident(%q) = %+v, %v; want exactly ErrBadCredentials", tt.username, acct, err)
				}
				return
			}
			if err != nil || acct.ID != tt.wantID || !acct.PhoneLogin {
				t.Errorf("AuthenticateResident(%q) = %+v, %v; want account %s with phone login", tt.username, acct, err, tt.wantID)
			}
		})
	}
}

// TestLoginByPhoneAfterRotation: a login phone indexed under a key that
// is now retiring is still found.
func TestLoginByPhoneAfterRotation(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	done := e.enrolAdult("L10000003", 113, "13800138003", goodPassword)
	if _, err := e.Keys.Rotate(ctx, keystore.BlindIndex); err != nil {
		t.Fatal(err)
	}
	acct, err := e.Service.AuthenticateResident(ctx, "13800138003", goodPassword, "198.51.100.20")
	if err != nil || acct.ID != done.ResidentID {
		t.Errorf("AuthenticateResident(phone, after rotation) = %+v, %v; want account %s", acct, err, done.ResidentID)
	}
}

// TestLoginThrottleSharedByPhoneAndNumber: the per-account counter is the
// account's, whichever form of username the guesses use, so alternating
// them does not buy more guesses.
func TestLoginThrottleSharedByPhoneAndNumber(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	done := e.enrolAdult("L10000004", 114, "13800138004", goodPassword)
	// Five failures (the per-account limit in enroltest.DefaultConfig),
	// alternating forms and addresses.
	guesses := []string{"13800138004", string(done.InternetNumber), "+8613800138004", done.InternetNumber.Display(), "138 0013 8004"}
	for i, u := range guesses {
		addr := "203.0.113." + string(rune('1'+i))
		if _, err := e.Service.AuthenticateResident(ctx, u, "wrong", addr); !errors.Is(err, enrol.ErrBadCredentials) {
			t.Fatalf("guess %d (%q): error = %v, want ErrBadCredentials", i+1, u, err)
		}
	}
	for _, u := range []string{string(done.InternetNumber), "13800138004"} {
		_, err := e.Service.AuthenticateResident(ctx, u, goodPassword, "203.0.113.9")
		var te *enrol.ThrottledError
		if !errors.As(err, &te) || te.RetryAfter <= 0 {
			t.Errorf("AuthenticateResident(%q) after 5 failures: error = %v, want a ThrottledError", u, err)
		}
	}
	// An unknown phone has a counter of its own, keyed on the number
	// whatever its typed form.
	for i, u := range []string{"13700137004", "+8613700137004", "137 0013 7004", "13700137004", "+86 137 0013 7004"} {
		if _, err := e.Service.AuthenticateResident(ctx, u, goodPassword, "203.0.113.10"); !errors.Is(err, enrol.ErrBadCredentials) {
			t.Fatalf("unknown phone guess %d (%q): error = %v, want ErrBadCredentials", i+1, u, err)
		}
	}
	if _, err := e.Service.AuthenticateResident(ctx, "13700137004", goodPassword, "203.0.113.10"); !errors.Is(err, enrol.ErrThrottled) {
		t.Errorf("unknown phone after 5 guesses: error = %v, want ErrThrottled", err)
	}
}

// TestChildSharingGuardianPhoneHasNoPhoneLogin: a child enrolled by a
// guardian with the guardian's phone logs in by internet number only; the
// phone names the guardian.
func TestChildSharingGuardianPhoneHasNoPhoneLogin(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	parent := e.enrolAdult("P10000001", 115, "13800138005", goodPassword)
	st, err := e.startChip(e.chip("C10000001", 10, 116), application(parent.ResidentID))
	if err != nil {
		t.Fatal(err)
	}
	const childPassword = "the child's own passphrase 7"
	child, err := e.wallet(st).complete("13800138005", 116, false, childPassword)
	if err != nil {
		t.Fatal(err)
	}
	if acct, err := e.Service.AuthenticateResident(ctx, string(child.InternetNumber), childPassword, "192.0.2.30"); err != nil || acct.ID != child.ResidentID {
		t.Errorf("AuthenticateResident(child number) = %+v, %v; want the child", acct, err)
	}
	if _, err := e.Service.AuthenticateResident(ctx, "13800138005", childPassword, "192.0.2.31"); !errors.Is(err, enrol.ErrBadCredentials) {
		t.Errorf("AuthenticateResident(shared phone, child's password) error = %v, want ErrBadCredentials", err)
	}
	if acct, err := e.Service.AuthenticateResident(ctx, "13800138005", goodPassword, "192.0.2.32"); err != nil || acct.ID != parent.ResidentID {
		t.Errorf("AuthenticateResident(shared phone, parent's password) = %+v, %v; want the parent", acct, err)
	}
}

// FuzzAuthenticateResidentUsername feeds login usernames from outside
// with a wrong password: whatever the username, the answer is exactly
// ErrBadCredentials, never a panic or another error.
func FuzzAuthenticateResidentUsername(f *testing.F) {
	cfg := enroltest.DefaultConfig()
	cfg.LoginPerAccount.Max = 1 << 30
	cfg.LoginPerAddress.Max = 1 << 30
	e := newEnv(f, enroltest.WithConfig(cfg))
	done := e.enrolAdult("F10000001", 117, "13800138006", goodPassword)
	for _, s := range []string{
		string(done.InternetNumber), done.InternetNumber.Display(), "13800138006", "+8613800138006",
		"+86 138-0013-8006", "", " ", "+", "+1", "0000000000", "ZZZZZZZZZZ", "malformed:X", "phone:+8613800138006",
		"１３８００１３８００６", "\x00\xff", "+999999999999999999999",
	} {
		f.Add(s)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, username string) {
		acct, err := e.Service.AuthenticateResident(ctx, username, "not the password", "192.0.2.40")
		if !errors.Is(err, enrol.ErrBadCredentials) || err.Error() != enrol.ErrBadCredentials.Error() {
			t.Errorf("AuthenticateResident(%q) = %+v, %v; want exactly ErrBadCredentials", username, acct, err)
		}
	})
}
