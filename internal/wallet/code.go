package wallet

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strings"
	"time"

	"github.com/netid/netid/internal/credential"
)

// Bounds of the dynamic-code parameters the wallet accepts from a server.
const (
	// minCodeSecret: RFC 4226 section 4 requires 128 bits and recommends
	// 160.
	minCodeSecret = 16
	// minCodeDigits and maxCodeDigits: RFC 4226 section 5.3 asks for at
	// least 6; 9 is the most a 31-bit truncation fills.
	minCodeDigits, maxCodeDigits = 6, 9
	// maxCodePeriod: a step longer than ten minutes is a misconfiguration.
	maxCodePeriod = 600
)

// DynamicCode is the wallet's dynamic code at one moment.
type DynamicCode struct {
	Code string
	// ValidUntil is the end of the code's time step: the next code starts
	// then (a server accepts a code a little longer, to allow for delay).
	ValidUntil time.Time
}

// generator returns the credential.DynamicCode of p, refusing parameters
// that would make weak or unusable codes.
func (p DynamicCodeParams) generator() (credential.DynamicCode, error) {
	var h func() hash.Hash
	switch strings.ToUpper(strings.ReplaceAll(p.Algorithm, "-", "")) {
	case "SHA1":
		h = sha1.New
	case "SHA256":
		h = sha256.New
	case "SHA512":
		h = sha512.New
	default:
		return credential.DynamicCode{}, fmt.Errorf("dynamic code: unknown algorithm %q (want SHA1, SHA256 or SHA512)", cleanText(p.Algorithm))
	}
	switch {
	case len(p.Secret) < minCodeSecret:
		return credential.DynamicCode{}, fmt.Errorf("dynamic code: the secret has %d bytes, want at least %d", len(p.Secret), minCodeSecret)
	case p.Digits < minCodeDigits || p.Digits > maxCodeDigits:
		return credential.DynamicCode{}, fmt.Errorf("dynamic code: %d digits, want %d to %d", p.Digits, minCodeDigits, maxCodeDigits)
	case p.Period < 1 || p.Period > maxCodePeriod:
		return credential.DynamicCode{}, fmt.Errorf("dynamic code: period of %d s, want 1 to %d", p.Period, maxCodePeriod)
	}
	return credential.DynamicCode{Secret: p.Secret, Digits: p.Digits, Period: time.Duration(p.Period) * time.Second, Hash: h}, nil
}

// DynamicCode returns the dynamic code at now (RFC 6238: with netid's
// parameters 8 digits, a new code every 30 s, HMAC-SHA-256): the second
// factor a resident types at login. It returns ErrNotEnrolled before
// enrolment.
func (w *Wallet) DynamicCode(now time.Time) (DynamicCode, error) {
	a := w.state.Account
	if a == nil {
		return DynamicCode{}, ErrNotEnrolled
	}
	g, err := a.DynamicCode.generator()
	if err != nil {
		return DynamicCode{}, fmt.Errorf("%w: %w", ErrWalletFormat, err)
	}
	step := g.Step(now)
	return DynamicCode{Code: g.CodeAt(step), ValidUntil: time.Unix((step+1)*int64(a.DynamicCode.Period), 0).UTC()}, nil
}
