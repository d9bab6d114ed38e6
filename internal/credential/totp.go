package credential

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"time"
)

// DynamicCode computes and checks the wallet's dynamic code: a TOTP (RFC
// 6238) of 8 digits changing every 30 seconds, from a secret provisioned to
// the wallet at enrolment. It is the device factor a resident can type when
// approving in the wallet is not possible.
type DynamicCode struct {
	// Secret is the shared key (at least 20 bytes: RFC 4226 section 4).
	Secret []byte
	// Digits is the code length; netid uses 8.
	Digits int
	// Period is the time step; netid uses 30 seconds.
	Period time.Duration
	// Hash is the HMAC hash; netid uses SHA-256 (RFC 6238 allows SHA-1,
	// SHA-256 and SHA-512).
	Hash func() hash.Hash
}

// NewDynamicCode returns netid's parameters for secret: 8 digits, 30 s,
// HMAC-SHA-256.
func NewDynamicCode(secret []byte) DynamicCode {
	return DynamicCode{Secret: secret, Digits: 8, Period: 30 * time.Second, Hash: sha256.New}
}

// ErrDynamicCode is returned when a code does not match any allowed step.
var ErrDynamicCode = errors.New("dynamic code: incorrect or expired code")

var pow10 = [...]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// Step returns the time step that t falls in.
func (d DynamicCode) Step(t time.Time) int64 {
	return t.Unix() / int64(d.Period/time.Second)
}

// CodeAt returns the code of time step step (RFC 4226 section 5.3).
func (d DynamicCode) CodeAt(step int64) string {
	h := d.Hash
	if h == nil {
		h = sha1.New
	}
	mac := hmac.New(h, d.Secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", d.Digits, bin%pow10[d.Digits])
}

// Code returns the code valid at t.
func (d DynamicCode) Code(t time.Time) string { return d.CodeAt(d.Step(t)) }

// Verify checks code against the steps from skew before to skew after the
// step of t (RFC 6238 section 5.2 recommends at most one step of network
// delay), in constant time per candidate. It returns the matching step,
// which the caller MUST record and refuse to accept again or earlier: a code
// is single use (RFC 6238 section 5.2).
func (d DynamicCode) Verify(code string, t time.Time, skew int) (int64, error) {
	if len(code) != d.Digits {
		return 0, ErrDynamicCode
	}
	now := d.Step(t)
	matched, step := 0, int64(0)
	for s := now - int64(skew); s <= now+int64(skew); s++ {
		if subtle.ConstantTimeCompare([]byte(d.CodeAt(s)), []byte(code)) == 1 {
			matched, step = 1, s
		}
	}
	if matched == 0 {
		return 0, ErrDynamicCode
	}
	return step, nil
}
