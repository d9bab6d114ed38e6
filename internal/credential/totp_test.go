package credential

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"hash"
	"testing"
	"time"
)

// TestDynamicCodeRFC6238 checks the test vectors of RFC 6238 appendix B.
func TestDynamicCodeRFC6238(t *testing.T) {
	seed20 := []byte("12345678901234567890")
	seed32 := []byte("12345678901234567890123456789012")
	seed64 := []byte("1234567890123456789012345678901234567890123456789012345678901234")
	algs := []struct {
		name string
		h    func() hash.Hash
		seed []byte
	}{
		{"SHA1", sha1.New, seed20},
		{"SHA256", sha256.New, seed32},
		{"SHA512", sha512.New, seed64},
	}
	vectors := []struct {
		unix int64
		want [3]string
	}{
		{59, [3]string{"94287082", "46119246", "90693936"}},
		{1111111109, [3]string{"07081804", "68084774", "25091201"}},
		{1111111111, [3]string{"14050471", "67062674", "99943326"}},
		{1234567890, [3]string{"89005924", "91819424", "93441116"}},
		{2000000000, [3]string{"69279037", "90698825", "38618901"}},
		{20000000000, [3]string{"65353130", "77737706", "47863826"}},
	}
	for _, v := range vectors {
		for i, a := range algs {
			d := DynamicCode{Secret: a.seed, Digits: 8, Period: 30 * time.Second, Hash: a.h}
			if got := d.Code(time.Unix(v.unix, 0)); got != v.want[i] {
				t.Errorf("%s at %d: got %s, want %s", a.name, v.unix, got, v.want[i])
			}
		}
	}
}

func TestDynamicCodeVerify(t *testing.T) {
	d := NewDynamicCode([]byte("an example secret of 32 bytes!!!"))
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name     string
		codeAt   time.Time
		wantStep int64
		wantErr  error
	}{
		{"current step", now, d.Step(now), nil},
		{"previous step within skew", now.Add(-30 * time.Second), d.Step(now) - 1, nil},
		{"next step within skew", now.Add(30 * time.Second), d.Step(now) + 1, nil},
		{"two steps old", now.Add(-60 * time.Second), 0, ErrDynamicCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, err := d.Verify(d.Code(tt.codeAt), now, 1)
			if !errors.Is(err, tt.wantErr) || step != tt.wantStep {
				t.Errorf("Verify = %d, %v; want %d, %v", step, err, tt.wantStep, tt.wantErr)
			}
		})
	}
	for _, bad := range []string{"", "1234567", "123456789", "abcdefgh"} {
		if _, err := d.Verify(bad, now, 1); !errors.Is(err, ErrDynamicCode) {
			t.Errorf("Verify(%q) = %v, want ErrDynamicCode", bad, err)
		}
	}
}
