package translog

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// HashSize is the size of every hash in the log: SHA-256 and SM3 both
// give 32 bytes.
const HashSize = 32

// LeafVersion is the first byte of every leaf this package writes.
const LeafVersion = 1

// LogID is a resident's pseudonymous log id: the base64url encoding
// (unpadded, 43 characters) of a 32-byte MAC of the resident id under a
// service key (Log.LogID). It links a resident's entries to each other
// and to nothing else: without the key, no one can compute it from a
// resident id or an internet number, or invert it.
type LogID string

// Valid reports whether id is the canonical encoding of 32 bytes.
func (id LogID) Valid() bool {
	_, err := id.bytes()
	return err == nil
}

func (id LogID) bytes() ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(string(id))
	if err != nil || len(b) != HashSize {
		return nil, fmt.Errorf("%w: log id %q is not the base64url encoding of %d bytes", ErrMalformed, id, HashSize)
	}
	return b, nil
}

// Leaf is what one leaf of the log holds: an entry, the pseudonymous log
// id of the resident it concerns, the resident's sequence number (1 for
// their first entry) and the leaf hash of their previous entry (empty for
// the first). Sequence and previous hash let a resident who lists their
// entries see one that is missing (Auditor.VerifyResidentChain).
type Leaf struct {
	LogID LogID
	Seq   uint64
	Prev  []byte
	Entry Entry
}

// Validate reports what makes l unfit for the log, each error wrapping
// ErrInvalidEntry or ErrMalformed.
func (l Leaf) Validate() error {
	var errs []error
	if !l.LogID.Valid() {
		errs = append(errs, fmt.Errorf("%w: log id %q", ErrMalformed, l.LogID))
	}
	switch {
	case l.Seq == 0 || l.Seq > math.MaxInt64:
		errs = append(errs, fmt.Errorf("%w: sequence number %d, want 1 to 2^63-1", ErrMalformed, l.Seq))
	case l.Seq == 1 && len(l.Prev) != 0:
		errs = append(errs, fmt.Errorf("%w: first entry with a previous hash", ErrMalformed))
	case l.Seq > 1 && len(l.Prev) != HashSize:
		errs = append(errs, fmt.Errorf("%w: previous hash of %d bytes, want %d", ErrMalformed, len(l.Prev), HashSize))
	}
	return errors.Join(append(errs, l.Entry.Validate())...)
}

// Encode returns the canonical bytes of l, the leaf data that the Merkle
// tree hashes (RFC 6962 section 2.1: leaf hash = H(0x00 || bytes)). The
// encoding, version 1, is length-prefixed binary, big-endian:
//
//	u8  version (1)
//	32  log id (the MAC bytes)
//	u64 sequence number
//	u8  length of the previous hash (0 or 32), then the hash
//	u8  kind code (1 disclosure ... 7 lawful-access, in the order of kinds)
//	i64 time, Unix microseconds
//	str id, str client id
//	u8  number of claims, then each as str
//	str level, str event, str reference, str authority, str legal basis
//	u8  0, or 1 followed by i64 notice date (Unix microseconds)
//
// where str is a u8 length followed by that many bytes. Every field has
// exactly one encoding, and DecodeLeaf accepts nothing else.
func (l Leaf) Encode() ([]byte, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l.appendTo(make([]byte, 0, 160)), nil
}

func (l Leaf) appendTo(b []byte) []byte {
	id, _ := l.LogID.bytes() // validated
	e := l.Entry
	b = append(b, LeafVersion)
	b = append(b, id...)
	b = binary.BigEndian.AppendUint64(b, l.Seq)
	b = append(append(b, byte(len(l.Prev))), l.Prev...)
	b = append(b, kindCode(e.Kind))
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixMicro()))
	b = appendStr(appendStr(b, e.ID), e.ClientID)
	b = append(b, byte(len(e.Claims)))
	for _, c := range e.Claims {
		b = appendStr(b, c)
	}
	for _, s := range []string{string(e.Level), string(e.Event), e.Ref, e.Authority, e.LegalBasis} {
		b = appendStr(b, s)
	}
	if e.NoticeDelayedUntil.IsZero() {
		return append(b, 0)
	}
	return binary.BigEndian.AppendUint64(append(b, 1), uint64(e.NoticeDelayedUntil.UnixMicro()))
}

// appendStr appends a u8-length-prefixed string; Validate bounds every
// string below 256 bytes.
func appendStr(b []byte, s string) []byte { return append(append(b, byte(len(s))), s...) }

func kindCode(k Kind) byte {
	for i, x := range kinds {
		if x == k {
			return byte(i + 1)
		}
	}
	return 0
}

// DecodeLeaf parses leaf bytes from the log, which a client must treat as
// outside data. It accepts exactly the output of Leaf.Encode: a valid leaf
// in its one canonical encoding. Errors wrap ErrMalformed or
// ErrInvalidEntry.
func DecodeLeaf(b []byte) (Leaf, error) {
	d := decoder{b: b}
	if v := d.u8(); v != LeafVersion {
		return Leaf{}, fmt.Errorf("%w: leaf version %d, want %d", ErrMalformed, v, LeafVersion)
	}
	var l Leaf
	l.LogID = LogID(base64.RawURLEncoding.EncodeToString(d.n(HashSize)))
	l.Seq = d.u64()
	l.Prev = d.n(int(d.u8()))
	code := d.u8()
	if code >= 1 && int(code) <= len(kinds) {
		l.Entry.Kind = kinds[code-1]
	} else {
		d.fail(fmt.Sprintf("kind code %d", code))
	}
	l.Entry.Time = time.UnixMicro(int64(d.u64())).UTC()
	l.Entry.ID, l.Entry.ClientID = d.str(), d.str()
	if n := int(d.u8()); n > 0 {
		l.Entry.Claims = make([]string, 0, min(n, MaxClaims))
		for range n {
			if d.err != nil {
				break
			}
			l.Entry.Claims = append(l.Entry.Claims, d.str())
		}
	}
	l.Entry.Level, l.Entry.Event = Level(d.str()), Event(d.str())
	l.Entry.Ref, l.Entry.Authority, l.Entry.LegalBasis = d.str(), d.str(), d.str()
	switch flag := d.u8(); flag {
	case 0:
	case 1:
		l.Entry.NoticeDelayedUntil = time.UnixMicro(int64(d.u64())).UTC()
	default:
		d.fail(fmt.Sprintf("notice flag %d", flag))
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Sprintf("%d bytes after the leaf", len(d.b)))
	}
	if d.err != nil {
		return Leaf{}, d.err
	}
	if len(l.Prev) == 0 {
		l.Prev = nil
	}
	if err := l.Validate(); err != nil {
		return Leaf{}, err
	}
	// Validate admits one value per field and the layout one encoding per
	// value, so this only guards the two against drifting apart.
	if !bytes.Equal(l.appendTo(nil), b) {
		return Leaf{}, fmt.Errorf("%w: leaf is not in canonical form", ErrMalformed)
	}
	return l, nil
}

// decoder reads big-endian fields, remembering the first error; reads
// after an error return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: leaf: %s", ErrMalformed, what)
	}
}

func (d *decoder) n(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.fail("truncated")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u8() byte {
	if v := d.n(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if v := d.n(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) str() string { return string(d.n(int(d.u8()))) }
