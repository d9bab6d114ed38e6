package password

import (
	"errors"
	"strings"
	"testing"
)

// The resident's details, as the enrolment flow would pass them.
var residentContext = []string{"NX4K7P2QTR", "+86 138-1234-5678", "Zhang Wei", "张伟", "netid"}

func TestPolicyCheck(t *testing.T) {
	tests := []struct {
		name     string
		password string
		want     error // nil, or the Reason
	}{
		// Accepted: no composition rules, any printable Unicode.
		{"passphrase with spaces", "correct horse battery staple", nil},
		{"all lowercase letters", "quixotic marmalade", nil},
		{"all digits but random", "80417362", nil},
		{"random mixed", "q7Rm2xLp", nil},
		{"symbols", "Tr0ub4dor&3", nil},
		{"chinese sentence", "我的密码是很长的一句话", nil},
		{"emoji with a joiner sequence", "🐼🍜🚲🌧️🎻👩‍🚀🪁🦉", nil},
		{"cyrillic", "съешь ещё этих булок", nil},
		{"exactly 8 characters", "gx7#pq2!", nil},
		{"long passphrase", strings.Repeat("bluefish ", 10)[:80] + "Zq", nil},
		{"random unit repeated", "Xk9qLm2wXk9qLm2w", nil},
		{"a name inside a long phrase", "wei likes sunday dumplings", nil},
		{"a date is not a sequence", "rz19900101", nil},

		// Length, counted in code points after NFKC.
		{"empty", "", ErrTooShort},
		{"7 characters", "gx7#pq2", ErrTooShort},
		{"7 emoji (14 UTF-16 units)", "🐼🍜🚲🎻🪁🦉🧲", ErrTooShort},
		{"8 bytes but 2 characters", "密码", ErrTooShort},
		{"decomposed accents count once", "e\u0301e\u0301x\u0301z", ErrTooShort},
		{"129 characters", strings.Repeat("ab3$", 32) + "q", ErrTooLong},
		{"over MaxInputBytes", strings.Repeat("x", MaxInputBytes+1), ErrTooLong},

		// Not text.
		{"invalid UTF-8", "pass\xffword12", ErrUnprintable},
		{"NUL", "correct\x00horse", ErrUnprintable},
		{"line break", "correct\nhorse battery", ErrUnprintable},
		{"tab", "correct\thorse battery", ErrUnprintable},

		// Repetitive and sequential.
		{"one character", "aaaaaaaa", ErrRepetitive},
		{"digit run", "12345678", ErrRepetitive},
		{"full-width digit run", "１２３４５６７８", ErrRepetitive},
		{"letter run", "abcdefgh", ErrRepetitive},
		{"descending", "98765432", ErrRepetitive},
		{"two runs", "1234abcd", ErrRepetitive},
		{"short unit repeated", "passpasspass", ErrRepetitive},
		{"spaced repetition", "a a a a a a a a", ErrRepetitive},
		{"separated run", "1-2-3-4-5-6-7-8", ErrRepetitive},
		{"only spaces", "          ", ErrRepetitive},
		{"step of two", "acegikmoq", ErrRepetitive},
		{"consecutive emoji", "😀😁😂😃😄😅😆😇", ErrRepetitive},
		{"digit wrap", "7890123456", ErrRepetitive},

		// Context: the resident's own details.
		{"internet number", "NX4K7P2QTR", ErrContext},
		{"internet number lowercase plus symbol", "nx4k7p2qtr!", ErrContext},
		{"phone number", "8613812345678", ErrContext},
		{"phone number with separators", "138-1234-5678!", ErrContext},
		{"name and year", "ZhangWei1990", ErrContext},
		{"name with spaces", "Zhang Wei 88", ErrContext},
		{"name twice", "zhangweizhangwei", ErrContext},
		{"chinese name and digits", "张伟19900101", ErrContext},
		{"service name", "netid2024!", ErrContext},

		// Common and breached, case-insensitively, after NFKC.
		{"password", "password", ErrCommon},
		{"capitalised with decoration", "Password1!", ErrCommon},
		{"full-width", "ｐａｓｓｗｏｒｄ", ErrCommon},
		{"leet in the list", "p@ssw0rd", ErrCommon},
		{"keyboard walk", "qwertyuiop", ErrCommon},
		{"common phrase spaced", "i love you", ErrCommon},
		{"word and year", "Brisbane2024", ErrCommon},
		{"name and digits", "jennifer2019", ErrCommon},
		{"word and sequence", "Password12345678", ErrCommon},
		{"prefix decoration", "2024dragon", ErrCommon},
		{"long unit repeated", "passwordpassword", ErrCommon},
		{"dictionary word", "elephant", ErrCommon},
	}
	p := DefaultPolicy()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Check(tt.password, residentContext...)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.password, err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Check(%q) = %v, want a *PolicyError", tt.password, err)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Check(%q) reason = %v, want %v", tt.password, pe.Reason, tt.want)
			}
		})
	}
}

// Without context the same passwords built on personal details are fine:
// the context check is what refuses them.
func TestPolicyContextOnlyWhenGiven(t *testing.T) {
	for _, pw := range []string{"NX4K7P2QTR", "ZhangWei1990", "张伟19900101"} {
		if err := DefaultPolicy().Check(pw); err != nil {
			t.Errorf("Check(%q) without context = %v, want nil", pw, err)
		}
	}
}

// phrase64 is a passphrase of exactly 64 characters.
const phrase64 = "seven zebras hum quietly while the amber kettle sings of pumice!"

func TestPolicyLimits(t *testing.T) {
	if n := len([]rune(phrase64)); n != 64 {
		t.Fatalf("phrase64 has %d characters, want 64", n)
	}
	tests := []struct {
		name     string
		policy   Policy
		password string
		want     error
	}{
		{"zero policy means defaults: 8 is enough", Policy{}, "gx7#pq2!", nil},
		{"zero policy means defaults: 129 is too long", Policy{}, strings.Repeat("ab3$", 32) + "q", ErrTooLong},
		{"higher minimum", Policy{MinLen: 12, MaxLen: 64}, "gx7#pq2!zz9", ErrTooShort},
		{"below the NIST floor is raised", Policy{MinLen: 4, MaxLen: 64}, "gx7#pq2", ErrTooShort},
		{"64 allowed at MaxLen 64", Policy{MinLen: 8, MaxLen: 64}, phrase64, nil},
		{"65 refused at MaxLen 64", Policy{MinLen: 8, MaxLen: 64}, phrase64 + "q", ErrTooLong},
		{"NFKC expansion counts", Policy{MinLen: 8, MaxLen: 64}, strings.Repeat("\ufdfa", 4), ErrTooLong}, // 4 code points, 72 after NFKC
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(tt.password)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("%+v.Check(%q) = %v, want %v", tt.policy, tt.password, err, tt.want)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		want   []string
	}{
		{"default", DefaultPolicy(), nil},
		{"zero means defaults", Policy{}, nil},
		{"NIST minimum maximum", Policy{MinLen: 8, MaxLen: 64}, nil},
		{"minimum below 8", Policy{MinLen: 6, MaxLen: 128}, []string{"minimum length 6"}},
		{"maximum below 64", Policy{MinLen: 8, MaxLen: 32}, []string{"maximum length 32"}},
		{"maximum above 1024", Policy{MinLen: 8, MaxLen: 2048}, []string{"maximum length 2048"}},
		{"maximum below minimum", Policy{MinLen: 100, MaxLen: 64}, []string{"below the minimum 100"}},
		{"everything wrong", Policy{MinLen: 2, MaxLen: 1}, []string{"minimum length 2", "maximum length 1, want", "below the minimum 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Validate()
			if tt.want == nil {
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

// Messages are for the resident: they say what to do, never demand
// character classes, and never echo the password.
func TestPolicyErrorMessages(t *testing.T) {
	reasons := []error{ErrTooShort, ErrTooLong, ErrCommon, ErrContext, ErrRepetitive, ErrUnprintable}
	seen := map[string]bool{}
	for _, reason := range reasons {
		msg := (&PolicyError{Reason: reason, Min: 8, Max: 128}).Error()
		if seen[msg] {
			t.Errorf("reason %v shares its message %q with another", reason, msg)
		}
		seen[msg] = true
		lower := strings.ToLower(msg)
		for _, rule := range []string{"must contain", "uppercase", "special character", "at least one"} {
			if strings.Contains(lower, rule) {
				t.Errorf("message for %v = %q, want no composition rule (%q)", reason, msg, rule)
			}
		}
	}
	if msg := (&PolicyError{Reason: ErrTooShort, Min: 12}).Error(); !strings.Contains(msg, "12 characters") {
		t.Errorf("ErrTooShort message = %q, want it to state the minimum of 12", msg)
	}
	err := DefaultPolicy().Check("hunter2hunter2zz", "hunter2hunter2zz")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("Check() = %v, want a refusal that does not quote the password", err)
	}
}
