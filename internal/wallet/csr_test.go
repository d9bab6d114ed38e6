package wallet

import (
	"crypto/rand"
	"errors"
	"testing"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
)

// The device key of either suite makes a certification request that the
// CA accepts as proof of possession for the enrolment's nonce; an SM2 key
// is for an sm CA only.
func TestDeviceKeyCSR(t *testing.T) {
	const nonce = "enrolment-nonce-0123456789"
	tests := []struct {
		device, ca suite.Name
		wantErr    error
	}{
		{suite.Intl, suite.Intl, nil},
		{suite.Intl, suite.SM, nil},
		{suite.SM, suite.SM, nil},
		{suite.SM, suite.Intl, credential.ErrDeviceKey},
	}
	for _, tt := range tests {
		t.Run(string(tt.device)+"-key/"+string(tt.ca)+"-ca", func(t *testing.T) {
			w := newTestWallet(t, tt.device)
			re, err := Open(w.Dir())
			if err != nil {
				t.Fatal(err)
			}
			der, err := credential.CreateCSR(rand.Reader, re.Signer(), nonce)
			if err != nil {
				t.Fatalf("CreateCSR() error = %v", err)
			}
			ca, err := suite.New(tt.ca)
			if err != nil {
				t.Fatal(err)
			}
			csr, err := credential.ParseCSR(ca, der, nonce)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseCSR() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			spki, err := re.Suite().MarshalPublicKey(re.Signer().Public())
			if err != nil {
				t.Fatal(err)
			}
			if string(csr.PublicKeyDER) != string(spki) {
				t.Errorf("the request is for another key than the wallet's")
			}
			if _, err := credential.ParseCSR(ca, der, nonce+"x"); !errors.Is(err, credential.ErrCSRNonce) {
				t.Errorf("ParseCSR(other nonce) error = %v, want ErrCSRNonce", err)
			}
		})
	}
}
