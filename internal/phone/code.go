package phone

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
)

// Code lengths Verifier accepts. Six digits is the floor the issue sets
// (and NIST SP 800-63B section 5.1.3.1 for out-of-band codes); ten keeps a
// code easy to type.
const (
	DefaultCodeLength = 6
	MinCodeLength     = 6
	MaxCodeLength     = 10
)

// MinKeyLen is the minimum length of the secret key given to WithKey.
const MinKeyLen = 32

// Domain-separation labels: the same secret yields independent keys for
// code hashes and number blind indexes, and each MAC input starts with a
// label saying what it is.
const (
	labelCodeKey   = "netid/phone/code-key/v1"
	labelIndexKey  = "netid/phone/number-index-key/v1"
	labelCodeHash  = "netid/phone/code/v1"
	labelNumberIdx = "netid/phone/number/v1"
)

// hmacSHA256 is the default MAC.
func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// keys holds the two keys derived from the secret.
type keys struct {
	mac   func(key, msg []byte) []byte
	code  []byte
	index []byte
}

func deriveKeys(mac func(key, msg []byte) []byte, secret []byte) keys {
	return keys{
		mac:   mac,
		code:  mac(secret, []byte(labelCodeKey)),
		index: mac(secret, []byte(labelIndexKey)),
	}
}

// codeHash returns the keyed hash of code for bindingID and purpose:
// MAC(codeKey, label || lp(bindingID) || lp(purpose) || lp(code)), each
// field prefixed by its length (lp) so that no two different triples give
// the same input.
func (k keys) codeHash(bindingID, purpose, code string) []byte {
	msg := make([]byte, 0, len(labelCodeHash)+len(bindingID)+len(purpose)+len(code)+3*binary.MaxVarintLen64)
	msg = append(msg, labelCodeHash...)
	msg = appendField(msg, bindingID)
	msg = appendField(msg, purpose)
	msg = appendField(msg, code)
	return k.mac(k.code, msg)
}

// numberIndex returns the blind index of n: MAC(indexKey, label ||
// lp(E.164)). It is deterministic, so equal numbers have equal indexes
// (needed for the per-number limit), and reveals nothing about n without
// the key.
func (k keys) numberIndex(n Number) []byte {
	e := n.E164()
	msg := make([]byte, 0, len(labelNumberIdx)+len(e)+binary.MaxVarintLen64)
	msg = append(msg, labelNumberIdx...)
	msg = appendField(msg, e)
	return k.mac(k.index, msg)
}

func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// newCode returns n uniformly random decimal digits read from r. Each digit
// comes from one byte by rejection sampling: bytes 250 to 255 are thrown
// away and the rest taken modulo 10, so every digit has probability exactly
// 25/250 = 1/10 (a plain byte%10 would favour 0 to 5).
func newCode(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+4) // enough, almost always, for one read
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("phone: read random: %w", err)
		}
		for _, b := range buf {
			if b >= 250 {
				continue
			}
			out = append(out, '0'+b%10)
			if len(out) == n {
				break
			}
		}
	}
	return string(out), nil
}

// normaliseCode turns what a resident typed into the digits of a code:
// spaces and hyphens (people copy "123 456") are dropped and full-width
// digits become ASCII. ok is false if anything else is left or the length
// is outside [MinCodeLength, MaxCodeLength].
func normaliseCode(s string) (code string, ok bool) {
	if len(s) > 4*MaxCodeLength*3 { // generous: full-width digits take 3 bytes
		return "", false
	}
	out := make([]byte, 0, MaxCodeLength)
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			out = append(out, byte(r))
		case r >= '０' && r <= '９':
			out = append(out, byte('0'+r-'０'))
		case r == ' ' || r == '-' || r == '\u3000' || r == '\t':
			continue
		default:
			return "", false
		}
		if len(out) > MaxCodeLength {
			return "", false
		}
	}
	if len(out) < MinCodeLength {
		return "", false
	}
	return string(out), true
}
