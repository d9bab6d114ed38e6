package wallet

import (
	"errors"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
)

// The dynamic code follows RFC 6238 Appendix B (8 digits, 30 s steps),
// with each hash's seed of the appendix.
func TestDynamicCodeRFC6238(t *testing.T) {
	seeds := map[string][]byte{
		"SHA1":   []byte("12345678901234567890"),
		"SHA256": []byte("12345678901234567890123456789012"),
		"SHA512": []byte("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	tests := []struct {
		unix int64
		alg  string
		want string
	}{
		{59, "SHA1", "94287082"},
		{59, "SHA256", "46119246"},
		{59, "SHA512", "90693936"},
		{1111111109, "SHA256", "68084774"},
		{1111111111, "SHA256", "67062674"},
		{1234567890, "SHA256", "91819424"},
		{2000000000, "SHA256", "90698825"},
		{20000000000, "SHA256", "77737706"},
		{20000000000, "SHA512", "47863826"},
	}
	for _, tt := range tests {
		t.Run(tt.alg+"@"+time.Unix(tt.unix, 0).UTC().Format(time.RFC3339), func(t *testing.T) {
			w := newTestWallet(t, suite.Intl)
			w.state.Account = &Account{InternetNumber: "x", CertificatePEM: "x",
				DynamicCode: DynamicCodeParams{Secret: seeds[tt.alg], Digits: 8, Period: 30, Algorithm: tt.alg}}
			got, err := w.DynamicCode(time.Unix(tt.unix, 0))
			if err != nil {
				t.Fatalf("DynamicCode() error = %v", err)
			}
			if got.Code != tt.want {
				t.Errorf("code = %s, want %s", got.Code, tt.want)
			}
			step := tt.unix / 30
			if want := time.Unix((step+1)*30, 0).UTC(); !got.ValidUntil.Equal(want) {
				t.Errorf("ValidUntil = %v, want %v", got.ValidUntil, want)
			}
		})
	}
}

func TestDynamicCodeRefusesBadParams(t *testing.T) {
	good := DynamicCodeParams{Secret: make([]byte, 20), Digits: 8, Period: 30, Algorithm: "SHA256"}
	tests := []struct {
		name   string
		change func(*DynamicCodeParams)
	}{
		{"short secret", func(p *DynamicCodeParams) { p.Secret = p.Secret[:15] }},
		{"5 digits", func(p *DynamicCodeParams) { p.Digits = 5 }},
		{"10 digits", func(p *DynamicCodeParams) { p.Digits = 10 }},
		{"zero period", func(p *DynamicCodeParams) { p.Period = 0 }},
		{"hour period", func(p *DynamicCodeParams) { p.Period = 3600 }},
		{"MD5", func(p *DynamicCodeParams) { p.Algorithm = "MD5" }},
	}
	if _, err := good.generator(); err != nil {
		t.Fatalf("generator(good) error = %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := good
			tt.change(&p)
			if _, err := p.generator(); err == nil {
				t.Errorf("generator() error = nil, want a refusal")
			}
		})
	}
	w := newTestWallet(t, suite.Intl)
	if _, err := w.DynamicCode(time.Now()); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("DynamicCode(not enrolled) error = %v, want ErrNotEnrolled", err)
	}
}
