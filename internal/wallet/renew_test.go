package wallet_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/wallet"
)

// The wallet and the server sign and check the same renewal message.
func TestRenewMessageMatchesServer(t *testing.T) {
	spki := []byte("a SubjectPublicKeyInfo")
	if got, want := wallet.RenewMessage("challenge", spki), enrol.RenewMessage("challenge", spki); !bytes.Equal(got, want) {
		t.Fatalf("wallet.RenewMessage = %x, enrol.RenewMessage = %x", got, want)
	}
}

// A refused renewal changes nothing in the wallet; a renewal moves the
// certificate to a new device key, verified before the key is replaced.
func TestRenew(t *testing.T) {
	for _, name := range []suite.Name{suite.Intl, suite.SM} {
		t.Run(string(name), func(t *testing.T) {
			srv := newTestServer(t, string(name))
			w, acct := srv.enrolAdult(name, "R00000001", 21, "+8613800138021")
			c := srv.client()
			ctx := context.Background()
			read := func(f string) []byte {
				b, err := os.ReadFile(filepath.Join(w.Dir(), f))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			key, state := read("device.key"), read("wallet.json")

			if _, err := wallet.Renew(ctx, w, c, "not the password"); !wallet.IsProblem(err, wallet.ProblemBadCredentials) {
				t.Fatalf("Renew(wrong password) error = %v, want bad-credentials", err)
			}
			if !bytes.Equal(read("device.key"), key) || !bytes.Equal(read("wallet.json"), state) {
				t.Error("a refused renewal changed the wallet")
			}
			if _, err := os.Stat(filepath.Join(w.Dir(), "device.key.new")); !os.IsNotExist(err) {
				t.Errorf("a refused renewal left device.key.new behind: %v", err)
			}

			r, err := wallet.Renew(ctx, w, c, goodPassword)
			if err != nil {
				t.Fatalf("Renew() error = %v", err)
			}
			if bytes.Equal(read("device.key"), key) {
				t.Error("the device key was not replaced")
			}
			cert, err := w.Certificate()
			if err != nil {
				t.Fatal(err)
			}
			if cert.SerialNumber.Text(16) != r.Serial || r.Serial == acct.Serial {
				t.Errorf("wallet certificate serial %x, renewed %s, old %s", cert.SerialNumber, r.Serial, acct.Serial)
			}
			// The new certificate is for the wallet's new key and verifies.
			if _, err := wallet.VerifyAccount(w.State().Account, w.Signer().Public(), time.Now()); err != nil {
				t.Errorf("the renewed account does not verify: %v", err)
			}
		})
	}
}
