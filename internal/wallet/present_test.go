package wallet_test

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/wallet"
)

// A wallet's presentation verifies against the CA certificates it holds,
// for every combination of CA suite and device key, disclosing only what
// was asked.
func TestPresentVerifies(t *testing.T) {
	tests := []struct {
		server string
		device suite.Name
	}{
		{"intl", suite.Intl},
		{"sm", suite.SM},
		{"sm", suite.Intl},
	}
	const clientID = "rp-0123456789abcdef0123456789abcdef"
	challenge := []byte("a challenge of the platform")
	for _, tt := range tests {
		t.Run(tt.server+"-server/"+string(tt.device)+"-device", func(t *testing.T) {
			srv := newTestServer(t, tt.server)
			w, acct := srv.enrolAdult(tt.device, "E10000011", 21, "+8613800138011")
			if len(acct.Openings) == 0 {
				t.Fatal("the account has no openings to disclose")
			}
			attr := acct.Openings[0].Attribute
			now := time.Now()
			text, err := wallet.Present(w, clientID, challenge, []string{attr}, now)
			if err != nil {
				t.Fatalf("Present() error = %v", err)
			}
			s, err := suite.New(suite.Name(tt.server))
			if err != nil {
				t.Fatal(err)
			}
			got, err := credential.VerifyPresentation(s, text, parseRoots(t, s, acct.CAPEM),
				credential.PresentationExpectation{ClientID: clientID, Challenge: challenge, Now: now}, nil)
			if err != nil {
				t.Fatalf("VerifyPresentation() error = %v", err)
			}
			if string(got.Certificate.InternetNumber) != acct.InternetNumber {
				t.Errorf("internet number %q, want %q", got.Certificate.InternetNumber, acct.InternetNumber)
			}
			if len(got.Disclosed) != 1 || got.Disclosed[0].Attribute != attr || got.Disclosed[0].Value != acct.Openings[0].Value {
				t.Errorf("Disclosed = %+v, want only %s", got.Disclosed, attr)
			}
			if _, err := wallet.Present(w, clientID, challenge, []string{"shoe_size"}, now); !errors.Is(err, wallet.ErrNotDisclosable) {
				t.Errorf("Present(shoe_size) error = %v, want ErrNotDisclosable", err)
			}
		})
	}
}

func TestPresentNotEnrolled(t *testing.T) {
	w := newWallet(t, suite.Intl)
	if _, err := wallet.Present(w, "rp-x", []byte("0123456789abcdef"), nil, time.Now()); !errors.Is(err, wallet.ErrNotEnrolled) {
		t.Errorf("Present() error = %v, want ErrNotEnrolled", err)
	}
}

func parseRoots(t *testing.T, s suite.Suite, caPEM string) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	rest := []byte(caPEM)
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		c, err := s.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}
