package wallet

import (
	"context"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/netid/netid/internal/credential"
)

// ErrRenewNotSaved: the server renewed the certificate but the wallet
// could not install the new key or certificate. The new key stays in
// device.key.new, which holds the only key of the new certificate.
var ErrRenewNotSaved = errors.New("the certificate was renewed but the wallet could not save it; keep device.key.new")

// pendingKeyFile holds the new device key of a renewal until the server
// has issued its certificate: device.key is replaced only then.
const pendingKeyFile = KeyFile + ".new"

// renewMessageDomain: see RenewMessage.
const renewMessageDomain = "netid renew v1\x00"

// RenewMessage is what the current device key signs to approve a renewal:
// "netid renew v1\x00" || challenge || SHA-256(new key's
// SubjectPublicKeyInfo DER). The server (enrol.RenewMessage) builds the
// same bytes; a test checks that they agree.
func RenewMessage(challenge string, newKeySPKI []byte) []byte {
	sum := sha256.Sum256(newKeySPKI)
	msg := append([]byte(renewMessageDomain), challenge...)
	return append(msg, sum[:]...)
}

// RenewChallengeRequest is the body of POST
// /v1/residents/certificate/challenge.
type RenewChallengeRequest = ResidentChallengeRequest

// RenewChallenge is its answer.
type RenewChallenge = ResidentChallenge

// RenewRequest is the body of POST /v1/residents/certificate/renew.
type RenewRequest struct {
	Resident           ResidentLogin `json:"resident"`
	Challenge          string        `json:"challenge"`
	CSR                string        `json:"csr"`
	OldDeviceSignature []byte        `json:"old_device_signature"`
}

// Renewed is the answer to a renewal.
type Renewed struct {
	CertificatePEM string `json:"certificate_pem"`
	Serial         string `json:"serial"`
	CAPEM          string `json:"ca_pem"`
}

// RequestRenewChallenge logs in as login and asks for a renewal challenge.
// Refusals are *Problem: bad-credentials, account-pending, throttled.
func (c *Client) RequestRenewChallenge(ctx context.Context, login ResidentLogin) (*RenewChallenge, error) {
	return c.residentChallenge(ctx, "/v1/residents/certificate/challenge", "renewal", login)
}

// RenewCertificate sends a renewal. Refusals are *Problem:
// bad-credentials, renew-challenge, bad-csr, device-signature,
// same-device-key, no-current-certificate, old-device-required, throttled.
func (c *Client) RenewCertificate(ctx context.Context, req RenewRequest) (*Renewed, error) {
	var out Renewed
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/residents/certificate/renew", in: req, out: &out,
		want: []int{http.StatusCreated}}); err != nil {
		return nil, err
	}
	if out.CertificatePEM == "" || out.Serial == "" || out.CAPEM == "" {
		return nil, errorf(ErrResponse, "the renewal's answer lacks the certificate, serial or CA certificates")
	}
	return &out, nil
}

// Renew moves the wallet's certificate to a new device key: it draws the
// key, keeps it in device.key.new, asks the server for a renewal
// challenge, sends a CSR of the new key for it with the current key's
// signature of RenewMessage, verifies the new certificate (VerifyAccount
// with the new key), and only then replaces device.key and records the
// certificate. A refusal leaves device.key and wallet.json as they were.
// It needs an enrolled wallet (ErrNotEnrolled) of c's server
// (ErrOtherServer) and the password (*InputNeededError); it holds the
// wallet's lock throughout.
func Renew(ctx context.Context, w *Wallet, c *Client, password string) (*Renewed, error) {
	acct, unlock, err := w.lockAccount(c)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if password == "" {
		return nil, &InputNeededError{Input: InputPassword, For: "the renewal"}
	}
	key, err := w.suite.GenerateSigner(nil)
	if err != nil {
		return nil, fmt.Errorf("generating the new device key: %w", err)
	}
	der, err := w.suite.MarshalPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the new device key: %w", err)
	}
	spki, err := w.suite.MarshalPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := writeFileAtomic(w.dir, pendingKeyFile, keyPEM); err != nil {
		return nil, fmt.Errorf("saving the new device key: %w", err)
	}
	issued := false
	defer func() {
		if !issued {
			os.Remove(filepath.Join(w.dir, pendingKeyFile))
		}
	}()
	login := ResidentLogin{InternetNumber: acct.InternetNumber, Password: password}
	ch, err := c.RequestRenewChallenge(ctx, login)
	if err != nil {
		return nil, err
	}
	csr, err := credential.CreateCSR(nil, key, ch.Challenge)
	if err != nil {
		return nil, err
	}
	sig, err := w.suite.Sign(nil, w.key, RenewMessage(ch.Challenge, spki))
	if err != nil {
		return nil, fmt.Errorf("signing the renewal: %w", err)
	}
	out, err := c.RenewCertificate(ctx, RenewRequest{Resident: login, Challenge: ch.Challenge,
		CSR: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr})), OldDeviceSignature: sig})
	if err != nil {
		return nil, err
	}
	// From here the old certificate is revoked: the new key must survive.
	issued = true
	next := *acct
	next.CertificatePEM, next.Serial, next.CAPEM = out.CertificatePEM, out.Serial, out.CAPEM
	if _, err := VerifyAccount(&next, key.Public(), time.Now()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRenewNotSaved, err)
	}
	if err := os.Rename(filepath.Join(w.dir, pendingKeyFile), filepath.Join(w.dir, KeyFile)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRenewNotSaved, err)
	}
	if err := syncDir(w.dir); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRenewNotSaved, err)
	}
	w.key = key
	err = w.update(func(s *State) error {
		a := *s.Account
		a.CertificatePEM, a.Serial, a.CAPEM = out.CertificatePEM, out.Serial, out.CAPEM
		s.Account = &a
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRenewNotSaved, err)
	}
	return out, nil
}
