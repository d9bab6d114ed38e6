package password

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// The stored form is the PHC string format as the argon2 reference
// implementation writes it:
//
//	$argon2id$v=19$m=65536,t=1,p=2$<salt>$<key>
//
// with salt and key in standard base64 without padding. Only version 19
// (0x13, the current Argon2 version) and only the three parameters m, t
// and p are accepted: the optional keyid and data parameters of the PHC
// format are never written by netid, so a string carrying them is not one
// of ours.

const (
	phcPrefix = "$argon2id$v=19$"
	// maxEncodedLen bounds the stored string before any parsing: the
	// longest string this package accepts (10-digit m and t, 3-digit p,
	// 64-byte salt and key) is about 220 characters.
	maxEncodedLen = 256
)

var b64 = base64.RawStdEncoding.Strict()

// encode returns the PHC string for a key derived with p and salt.
func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s", phcPrefix, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decode parses a stored PHC string. It accepts only the canonical form
// encode writes (decimal numbers without sign or leading zeros, base64
// without padding or line breaks), so every accepted string re-encodes to
// itself. The returned Params carry the salt and key lengths found. It
// checks structure only; the Hasher applies its own bounds on cost. Errors
// wrap ErrMalformedHash and never quote the string, which is a secret.
func decode(s string) (Params, []byte, []byte, error) {
	var p Params
	if len(s) > maxEncodedLen {
		return p, nil, nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformedHash, maxEncodedLen)
	}
	rest, ok := strings.CutPrefix(s, phcPrefix)
	if !ok {
		return p, nil, nil, fmt.Errorf("%w: not an argon2id version 19 string", ErrMalformedHash)
	}
	fields := strings.Split(rest, "$")
	if len(fields) != 3 {
		return p, nil, nil, fmt.Errorf("%w: want parameters, salt and key", ErrMalformedHash)
	}
	params := strings.Split(fields[0], ",")
	if len(params) != 3 {
		return p, nil, nil, fmt.Errorf("%w: want exactly the parameters m, t and p", ErrMalformedHash)
	}
	m, err := decodeParam(params[0], "m", 1<<32-1)
	if err != nil {
		return p, nil, nil, err
	}
	t, err := decodeParam(params[1], "t", 1<<32-1)
	if err != nil {
		return p, nil, nil, err
	}
	par, err := decodeParam(params[2], "p", 255)
	if err != nil {
		return p, nil, nil, err
	}
	p.Memory, p.Time, p.Threads = uint32(m), uint32(t), uint8(par)
	if p.Time < 1 || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) {
		return p, nil, nil, fmt.Errorf("%w: want t >= 1, p >= 1 and m >= 8p", ErrMalformedHash)
	}
	salt, err := decodeB64(fields[1], "salt")
	if err != nil {
		return p, nil, nil, err
	}
	key, err := decodeB64(fields[2], "key")
	if err != nil {
		return p, nil, nil, err
	}
	// RFC 9106 allows salts from 8 bytes; netid writes 16 or more, but an
	// 8-byte salt is still a valid argon2id hash and costs nothing to
	// accept.
	if len(salt) < 8 || len(salt) > MaxSaltLen {
		return p, nil, nil, fmt.Errorf("%w: salt of %d bytes, want 8 to %d", ErrMalformedHash, len(salt), MaxSaltLen)
	}
	if len(key) < MinKeyLen || len(key) > MaxKeyLen {
		return p, nil, nil, fmt.Errorf("%w: key of %d bytes, want %d to %d", ErrMalformedHash, len(key), MinKeyLen, MaxKeyLen)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// decodeParam parses "name=decimal" with the decimal in canonical form and
// at most limit.
func decodeParam(field, name string, limit uint64) (uint64, error) {
	v, ok := strings.CutPrefix(field, name+"=")
	if !ok {
		return 0, fmt.Errorf("%w: want parameter %s", ErrMalformedHash, name)
	}
	// ParseUint alone would accept leading zeros and, with base 0,
	// prefixes; canonical digits keep the string one-to-one with its
	// values.
	if v == "" || len(v) > 10 || (len(v) > 1 && v[0] == '0') || strings.Trim(v, "0123456789") != "" {
		return 0, fmt.Errorf("%w: parameter %s is not a canonical decimal number", ErrMalformedHash, name)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > limit {
		return 0, fmt.Errorf("%w: parameter %s out of range", ErrMalformedHash, name)
	}
	return n, nil
}

// decodeB64 decodes unpadded standard base64 and insists on the canonical
// encoding: the decoder skips line breaks and Strict only covers the
// trailing bits, so re-encoding is the simplest complete check.
func decodeB64(field, name string) ([]byte, error) {
	b, err := b64.DecodeString(field)
	if err != nil || b64.EncodeToString(b) != field {
		return nil, fmt.Errorf("%w: %s is not canonical unpadded base64", ErrMalformedHash, name)
	}
	return b, nil
}
