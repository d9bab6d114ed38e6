package password

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzVerifyEncoded feeds arbitrary stored strings to the PHC parser and to
// Verify. Whatever a database row holds, Verify must not panic, must refuse
// malformed strings with ErrMalformedHash and costly ones with
// ErrParamsOutOfBounds, and the parser must accept only canonical strings
// (those that re-encode to themselves).
func FuzzVerifyEncoded(f *testing.F) {
	for _, v := range referenceVectors {
		f.Add(v.encoded)
	}
	f.Add(defaultVector)
	f.Add("")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$$")
	f.Add("$argon2id$v=19$m=064,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM")
	f.Add("$argon2id$v=19$m=4294967295,t=4294967295,p=255$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM")
	f.Add("$argon2id$v=19$m=64,t=1,p=1,keyid=x$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA==$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM")
	f.Add("$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c29t\nZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM")

	// Tiny slots and limits keep every accepted string cheap to compute.
	h, err := NewHasher(tiny, 4, AllowWeakParams())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		p, salt, key, decErr := decode(encoded)
		if decErr == nil {
			if got := encode(p, salt, key); got != encoded {
				t.Errorf("encode(decode(%q)) = %q, want the input back", encoded, got)
			}
			if p.Time < 1 || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) ||
				len(salt) < 8 || len(salt) > MaxSaltLen || len(key) < MinKeyLen || len(key) > MaxKeyLen {
				t.Errorf("decode(%q) accepted %+v with %d-byte salt and %d-byte key", encoded, p, len(salt), len(key))
			}
		} else if !errors.Is(decErr, ErrMalformedHash) {
			t.Errorf("decode(%q) error = %v, want ErrMalformedHash", encoded, decErr)
		}

		ok, _, err := h.Verify(context.Background(), "password", encoded)
		switch {
		case decErr != nil:
			if ok || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Verify(%q) = %v, %v, want false, ErrMalformedHash", encoded, ok, err)
			}
		case p.Memory > 256 || p.Time > 8 || p.Threads > 16:
			if ok || !errors.Is(err, ErrParamsOutOfBounds) {
				t.Errorf("Verify(%q) = %v, %v, want false, ErrParamsOutOfBounds", encoded, ok, err)
			}
		case err != nil:
			t.Errorf("Verify(%q) error = %v, want nil", encoded, err)
		}
	})
}

// FuzzPolicyCheck checks that Policy.Check never panics, only refuses with
// a *PolicyError carrying a known reason, and is consistent: an accepted
// password is valid text of an allowed length, checking its NFKC form gives
// the same answer, and a password made only of letters and digits is
// refused when it is itself the context.
func FuzzPolicyCheck(f *testing.F) {
	seeds := []struct{ password, ctxWord string }{
		{"correct horse battery staple", "Zhang Wei"},
		{"password", ""},
		{"Password1!", "NX4K7P2QTR"},
		{"ｐａｓｓｗｏｒｄ", ""},
		{"１２３４５６７８", ""},
		{"e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301e\u0301", ""},
		{"🐼🍜🚲🌧️🎻👩‍🚀🪁🦉", ""},
		{"我的密码是很长的一句话", "张伟"},
		{"ZhangWei1990", "Zhang Wei"},
		{"13812345678", "+86 138-1234-5678"},
		{"pass\xffword12", ""},
		{"\ufdfa\ufdfa\ufdfa\ufdfa\ufdfa\ufdfa\ufdfa\ufdfa", ""},
		{strings.Repeat("ab3$", 40), ""},
		{"a a a a a a a a", ""},
	}
	for _, s := range seeds {
		f.Add(s.password, s.ctxWord)
	}
	reasons := []error{ErrTooShort, ErrTooLong, ErrCommon, ErrContext, ErrRepetitive, ErrUnprintable}
	p := DefaultPolicy()
	f.Fuzz(func(t *testing.T, password, ctxWord string) {
		err := p.Check(password, ctxWord)
		if err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Check(%q, %q) = %v, want a *PolicyError", password, ctxWord, err)
			}
			known := false
			for _, r := range reasons {
				known = known || pe.Reason == r
			}
			if !known {
				t.Fatalf("Check(%q, %q) reason = %v, want one of the sentinels", password, ctxWord, pe.Reason)
			}
		}
		if !utf8.ValidString(password) {
			if !errors.Is(err, ErrUnprintable) && !errors.Is(err, ErrTooLong) {
				t.Errorf("Check(invalid UTF-8 %q) = %v, want ErrUnprintable", password, err)
			}
			return
		}
		normalised := norm.NFKC.String(password)
		if err == nil {
			if n := utf8.RuneCountInString(normalised); n < p.MinLen || n > p.MaxLen {
				t.Errorf("Check(%q) = nil with %d characters, want %d to %d", password, n, p.MinLen, p.MaxLen)
			}
		}
		if err2 := p.Check(normalised, ctxWord); !sameReason(err, err2) {
			t.Errorf("Check(%q) = %v but Check(NFKC form %q) = %v, want the same", password, err, normalised, err2)
		}
		if err == nil && strings.IndexFunc(normalised, func(r rune) bool { return !isAlnum(r) }) < 0 {
			if err := p.Check(password, password); err == nil {
				t.Errorf("Check(%q, itself) = nil, want a refusal", password)
			}
		}
	})
}

func sameReason(a, b error) bool {
	var pa, pb *PolicyError
	if !errors.As(a, &pa) || !errors.As(b, &pb) {
		return a == nil && b == nil
	}
	return pa.Reason == pb.Reason
}
