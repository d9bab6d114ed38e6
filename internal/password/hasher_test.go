package password

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// tiny are argon2id parameters that hash in microseconds, for tests.
var tiny = Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

func newTiny(t *testing.T, maxConcurrent int, opts ...Option) *Hasher {
	t.Helper()
	h, err := NewHasher(tiny, maxConcurrent, append([]Option{AllowWeakParams()}, opts...)...)
	if err != nil {
		t.Fatalf("NewHasher() error = %v", err)
	}
	return h
}

func TestHashVerifyRoundTrip(t *testing.T) {
	h := newTiny(t, 2)
	ctx := context.Background()
	for _, pw := range []string{"correct horse battery staple", "pässwörd", "我的密码是很长的一句话", "🐼🍜🚲🌧️🎻", "  spaces  ", ""} {
		t.Run(pw, func(t *testing.T) {
			encoded, err := h.Hash(ctx, pw)
			if err != nil {
				t.Fatalf("Hash() error = %v", err)
			}
			if !strings.HasPrefix(encoded, "$argon2id$v=19$m=64,t=1,p=1$") {
				t.Errorf("Hash() = %q, want prefix $argon2id$v=19$m=64,t=1,p=1$", encoded)
			}
			p, salt, key, err := decode(encoded)
			if err != nil {
				t.Fatalf("decode(Hash()) error = %v", err)
			}
			if p != tiny || len(salt) != 16 || len(key) != 32 {
				t.Errorf("decode(Hash()) = %+v, %d-byte salt, %d-byte key, want %+v, 16, 32", p, len(salt), len(key), tiny)
			}
			ok, rehash, err := h.Verify(ctx, pw, encoded)
			if !ok || rehash || err != nil {
				t.Errorf("Verify(right password) = %v, %v, %v, want true, false, nil", ok, rehash, err)
			}
			ok, rehash, err = h.Verify(ctx, pw+"x", encoded)
			if ok || rehash || err != nil {
				t.Errorf("Verify(wrong password) = %v, %v, %v, want false, false, nil", ok, rehash, err)
			}
			again, err := h.Hash(ctx, pw)
			if err != nil {
				t.Fatalf("Hash() again error = %v", err)
			}
			if again == encoded {
				t.Errorf("Hash() twice gave %q both times, want different salts", again)
			}
		})
	}
}

func TestVerifyReferenceVectors(t *testing.T) {
	h := newTiny(t, 4) // 256 KiB of slots: room for m=256
	ctx := context.Background()
	for _, v := range referenceVectors {
		t.Run(v.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, v.password, v.encoded)
			if err != nil || !ok {
				t.Fatalf("Verify(%q) = %v, %v, want true, nil", v.password, ok, err)
			}
			if want := v.params != tiny; rehash != want {
				t.Errorf("Verify() needsRehash = %v, want %v", rehash, want)
			}
			if ok, _, err := h.Verify(ctx, "Password", v.encoded); ok || err != nil {
				t.Errorf("Verify(other case) = %v, %v, want false, nil", ok, err)
			}
		})
	}
}

func TestVerifyDefaultParamsVector(t *testing.T) {
	h, err := NewHasher(DefaultParams(), 1)
	if err != nil {
		t.Fatalf("NewHasher() error = %v", err)
	}
	ok, rehash, err := h.Verify(context.Background(), "password", defaultVector)
	if !ok || rehash || err != nil {
		t.Errorf("Verify(defaultVector) = %v, %v, %v, want true, false, nil", ok, rehash, err)
	}
}

// Every field of a stored hash, changed to another well-formed value, makes
// the right password fail.
func TestVerifyTamperedFields(t *testing.T) {
	h := newTiny(t, 4)
	ctx := context.Background()
	encoded, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatalf("Hash() error = %v", err)
	}
	parts := strings.Split(encoded, "$") // "", argon2id, v=19, params, salt, key
	flip := func(s string) string {
		c := "A"
		if s[0] == 'A' {
			c = "B"
		}
		return c + s[1:]
	}
	tests := []struct{ name, encoded string }{
		{"memory", strings.Replace(encoded, "m=64,", "m=72,", 1)},
		{"time", strings.Replace(encoded, "t=1,", "t=2,", 1)},
		{"threads", strings.Replace(encoded, "p=1$", "p=2$", 1)},
		{"salt", strings.Join([]string{"", parts[1], parts[2], parts[3], flip(parts[4]), parts[5]}, "$")},
		{"key", strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], flip(parts[5])}, "$")},
		{"key shortened", strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], parts[5][:24]}, "$")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, "correct horse battery staple", tt.encoded)
			if ok || rehash || err != nil {
				t.Errorf("Verify(tampered %s) = %v, %v, %v, want false, false, nil", tt.name, ok, rehash, err)
			}
		})
	}
	if _, _, err := h.Verify(ctx, "correct horse battery staple", strings.Replace(encoded, "argon2id", "argon2i", 1)); !errors.Is(err, ErrMalformedHash) {
		t.Errorf("Verify(argon2i string) error = %v, want ErrMalformedHash", err)
	}
}

// The password is hashed in NFKC form, so that canonically or
// compatibility-equivalent input verifies; case still matters.
func TestVerifyNormalisesNFKC(t *testing.T) {
	h := newTiny(t, 1)
	ctx := context.Background()
	tests := []struct {
		name, set, login string
		want             bool
	}{
		{"full-width letters and digits", "ｐａｓｓ１２３ｗｏｒｄ", "pass123word", true},
		{"decomposed accent", "cafe\u0301 au lait", "café au lait", true},
		{"ligature", "ﬁsh and chips", "fish and chips", true},
		{"ideographic space", "春眠\u3000不觉晓", "春眠 不觉晓", true},
		{"case differs", "Correct Horse", "correct horse", false},
		{"different accent", "café au lait", "cafè au lait", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			encoded, err := h.Hash(ctx, tt.set)
			if err != nil {
				t.Fatalf("Hash() error = %v", err)
			}
			ok, _, err := h.Verify(ctx, tt.login, encoded)
			if ok != tt.want || err != nil {
				t.Errorf("Verify(%q) against Hash(%q) = %v, %v, want %v, nil", tt.login, tt.set, ok, err, tt.want)
			}
		})
	}
}

func TestVerifyNeedsRehash(t *testing.T) {
	ctx := context.Background()
	old := newTiny(t, 4)
	encoded, err := old.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatalf("Hash() error = %v", err)
	}
	change := func(f func(*Params)) Params { p := tiny; f(&p); return p }
	tests := []struct {
		name string
		p    Params
		want bool
	}{
		{"same params", tiny, false},
		{"more memory", change(func(p *Params) { p.Memory = 128 }), true},
		{"less memory", change(func(p *Params) { p.Memory = 32 }), true},
		{"more passes", change(func(p *Params) { p.Time = 2 }), true},
		{"more lanes", change(func(p *Params) { p.Threads = 2 }), true},
		{"longer key", change(func(p *Params) { p.KeyLen = 64 }), true},
		{"longer salt", change(func(p *Params) { p.SaltLen = 32 }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHasher(tt.p, 4, AllowWeakParams())
			if err != nil {
				t.Fatalf("NewHasher() error = %v", err)
			}
			ok, rehash, err := h.Verify(ctx, "correct horse battery staple", encoded)
			if !ok || rehash != tt.want || err != nil {
				t.Errorf("Verify() = %v, %v, %v, want true, %v, nil", ok, rehash, err, tt.want)
			}
			// A wrong password never asks for a rehash.
			if ok, rehash, _ := h.Verify(ctx, "wrong", encoded); ok || rehash {
				t.Errorf("Verify(wrong) = %v, %v, want false, false", ok, rehash)
			}
		})
	}
}

// A tampered row cannot make Verify allocate or compute: absurd cost is
// refused before any slot is taken.
func TestVerifyRefusesAbsurdParams(t *testing.T) {
	b := newBlocker()
	h := newTiny(t, 2, withDerive(b.derive)) // 128 KiB of slots
	const tail = "$c29tZXNhbHRzb21lc2FsdA$55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM"
	tests := []struct{ name, params string }{
		{"4 GiB memory", "m=4294967295,t=1,p=1"},
		{"more memory than all slots", "m=192,t=1,p=1"},
		{"billions of passes", "m=64,t=4294967295,p=1"},
		{"just above the pass limit", "m=64,t=9,p=1"},
		{"255 lanes", "m=2040,t=1,p=255"},
		{"just above the lane limit", "m=136,t=1,p=17"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, _, err := h.Verify(context.Background(), "password", "$argon2id$v=19$"+tt.params+tail)
			if ok || !errors.Is(err, ErrParamsOutOfBounds) {
				t.Errorf("Verify(%s) = %v, %v, want false, ErrParamsOutOfBounds", tt.params, ok, err)
			}
		})
	}
	if n := b.calls.Load(); n != 0 {
		t.Errorf("argon2 ran %d times, want 0", n)
	}
	if s := h.Stats(); s.InUse != 0 {
		t.Errorf("Stats().InUse = %d after refusals, want 0", s.InUse)
	}
}

func TestWithVerifyLimits(t *testing.T) {
	ctx := context.Background()
	strong := Params{Memory: 64, Time: 12, Threads: 1, KeyLen: 32, SaltLen: 16}
	hs, err := NewHasher(strong, 1, AllowWeakParams())
	if err != nil {
		t.Fatalf("NewHasher() error = %v", err)
	}
	encoded, err := hs.Hash(ctx, "password")
	if err != nil {
		t.Fatalf("Hash() error = %v", err)
	}
	// t=12 is above the default limit of max(4*1, 8) for a t=1 hasher...
	if _, _, err := newTiny(t, 1).Verify(ctx, "password", encoded); !errors.Is(err, ErrParamsOutOfBounds) {
		t.Errorf("Verify(t=12) with default limits error = %v, want ErrParamsOutOfBounds", err)
	}
	// ...and accepted when the operator raises the limit.
	h := newTiny(t, 1, WithVerifyLimits(64, 12, 1))
	if ok, rehash, err := h.Verify(ctx, "password", encoded); !ok || !rehash || err != nil {
		t.Errorf("Verify(t=12) with raised limits = %v, %v, %v, want true, true, nil", ok, rehash, err)
	}
	// Limits that would refuse the hasher's own hashes are a configuration error.
	if _, err := NewHasher(tiny, 1, AllowWeakParams(), WithVerifyLimits(32, 1, 1)); err == nil {
		t.Error("NewHasher(limits below own params) error = nil, want an error")
	}
}

func TestDummyVerify(t *testing.T) {
	b := newBlocker()
	h := newTiny(t, 1, withDerive(b.derive))
	for _, pw := range []string{"password", "correct horse battery staple", ""} {
		if err := h.DummyVerify(context.Background(), pw); err != nil {
			t.Errorf("DummyVerify(%q) = %v, want nil", pw, err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.params) != 3 {
		t.Fatalf("DummyVerify ran argon2 %d times, want 3", len(b.params))
	}
	for _, p := range b.params {
		if p != tiny {
			t.Errorf("DummyVerify computed with %+v, want the hasher's %+v", p, tiny)
		}
	}
}

func TestInputTooLong(t *testing.T) {
	b := newBlocker()
	h := newTiny(t, 1, withDerive(b.derive))
	ctx := context.Background()
	long := strings.Repeat("a", MaxInputBytes+1)
	if _, err := h.Hash(ctx, long); !errors.Is(err, ErrInputTooLong) {
		t.Errorf("Hash(%d bytes) error = %v, want ErrInputTooLong", len(long), err)
	}
	if ok, _, err := h.Verify(ctx, long, referenceVectors[0].encoded); ok || err != nil {
		t.Errorf("Verify(%d bytes) = %v, %v, want false, nil", len(long), ok, err)
	}
	if err := h.DummyVerify(ctx, long); err != nil {
		t.Errorf("DummyVerify(%d bytes) = %v, want nil", len(long), err)
	}
	if got := b.calls.Load(); got != 0 {
		t.Errorf("argon2 ran %d times, want 0", got)
	}
	if _, err := h.Hash(ctx, long[:MaxInputBytes]); err != nil {
		t.Errorf("Hash(%d bytes) error = %v, want nil", MaxInputBytes, err)
	}
}

func TestRandomFailure(t *testing.T) {
	broken := errors.New("entropy source failed")
	if _, err := NewHasher(tiny, 1, AllowWeakParams(), WithRandom(iotest.ErrReader(broken))); !errors.Is(err, broken) {
		t.Errorf("NewHasher(broken random) error = %v, want %v", err, broken)
	}
	// Enough for the dummy salt and key, then failing.
	r := io.MultiReader(bytes.NewReader(make([]byte, tiny.SaltLen+tiny.KeyLen)), iotest.ErrReader(broken))
	h := newTiny(t, 1, WithRandom(r))
	if _, err := h.Hash(context.Background(), "password"); !errors.Is(err, broken) {
		t.Errorf("Hash(broken random) error = %v, want %v", err, broken)
	}
}

func TestNewHasherReportsEveryProblem(t *testing.T) {
	_, err := NewHasher(Params{}, 1, WithMaxQueue(-1), WithMaxWait(0))
	if err == nil {
		t.Fatal("NewHasher() error = nil, want problems")
	}
	for _, want := range []string{"max queue -1", "max wait 0s", "time 0", "salt length 0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("NewHasher() error = %q, want it to contain %q", err, want)
		}
	}
}
