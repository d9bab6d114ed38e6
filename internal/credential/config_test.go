package credential_test

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/credential"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  credential.Config
		want []string
	}{
		{"defaults", credential.Config{BaseURL: "https://id.example.org/"}, nil},
		{"http and a path", credential.Config{BaseURL: "http://localhost:8080/netid"}, nil},
		{"no base URL", credential.Config{}, []string{"base URL is empty"}},
		{"relative", credential.Config{BaseURL: "/netid"}, []string{"absolute"}},
		{"query", credential.Config{BaseURL: "https://id.example.org/?x=1"}, []string{"no user, query or fragment"}},
		{"everything wrong", credential.Config{
			BaseURL: "ftp://x", Validity: time.Millisecond, CAValidity: -1, Backdate: -1,
			CRLValidity: time.Minute, CRLRefresh: time.Hour, OCSPValidity: -time.Hour, MaxOCSPRequest: 10,
		}, []string{"absolute", "validity 1ms", "CA validity", "backdate", "OCSP validity", "CRL refresh 1h0m0s must be shorter", "max OCSP request"}},
		{"validity beyond the CA", credential.Config{BaseURL: "https://x", Validity: 30 * 365 * 24 * time.Hour}, []string{"shorter than CA validity"}},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if (err != nil) != (len(tt.want) > 0) {
			t.Fatalf("%s: Validate() = %v, want errors %q", tt.name, err, tt.want)
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Validate() = %q, want it to contain %q", tt.name, err, w)
			}
		}
	}
}

func TestSerials(t *testing.T) {
	tests := []struct {
		in   string
		want string // FormatSerial of the result; "" for an error
	}{
		{"1", "1"},
		{"00ff", "ff"},
		{"0x7F3A", "7f3a"},
		{"7f:3a", "7f3a"},
		{strings.Repeat("7f", 20), strings.Repeat("7f", 20)},
		{strings.Repeat("ff", 20), ""}, // 20 octets but negative in DER: 21 needed
		{"0", ""},
		{"", ""},
		{"-1", ""},
		{"+1", ""},
		{"xyz", ""},
		{"1_0", ""},
	}
	for _, tt := range tests {
		got, err := credential.ParseSerial(tt.in)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("ParseSerial(%q) = %v, want an error", tt.in, got)
		case tt.want != "" && (err != nil || credential.FormatSerial(got) != tt.want):
			t.Errorf("ParseSerial(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
	if got := credential.FormatSerial(big.NewInt(0xABC)); got != "abc" {
		t.Errorf("FormatSerial(0xabc) = %q, want abc", got)
	}
	for _, r := range []credential.RevocationReason{credential.ReasonUnspecified, credential.ReasonKeyCompromise, credential.ReasonSuperseded,
		credential.ReasonAffiliationChanged, credential.ReasonCessationOfOperation, credential.ReasonPrivilegeWithdrawn} {
		got, err := credential.ParseRevocationReason(r.String())
		if err != nil || got != r || !r.Valid() {
			t.Errorf("ParseRevocationReason(%q) = %v, %v; want %d, valid", r.String(), got, err, int(r))
		}
	}
	for _, r := range []credential.RevocationReason{2, 6, 7, 8, 10, -1} {
		if r.Valid() {
			t.Errorf("RevocationReason(%d).Valid() = true, want false", int(r))
		}
	}
	if _, err := credential.ParseRevocationReason("certificateHold"); err == nil {
		t.Error("ParseRevocationReason(certificateHold) = nil error, want one")
	}
}
