package credential

import (
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/netid/netid/internal/crypto/suite"
)

// OIDNetidArc is netid's private OID arc. It is under the Private
// Enterprise Number 32473, which RFC 5612 reserves for documentation: a
// placeholder until the project registers its own PEN with IANA, at which
// point this constant (and the extension OIDs below it) change before any
// production issuance. A UUID-based OID (2.25.<uuid>), which needs no
// registration, was the first choice but cannot be used: its 128-bit arc
// does not fit encoding/asn1 and crypto/x509 (nor many other parsers) refuse
// a certificate holding one.
var OIDNetidArc = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 32473}

// OIDCommitments identifies the internet certificate extension carrying
// salted commitments to identity attributes: netid arc .1 (certificate
// extensions) .1 (commitments). It is non-critical, so that a verifier that
// does not know it still accepts the certificate.
var OIDCommitments = append(slices.Clip(OIDNetidArc), 1, 1)

// Limits on the commitments extension, checked on both sides.
const (
	// MaxCommitments is the most attributes one certificate commits to.
	MaxCommitments = 32
	// SaltSize is the size of each attribute's random salt.
	SaltSize = 32
	// maxAttributeName is the longest attribute name.
	maxAttributeName = 64
)

// attributeName is what an attribute name looks like: lower case, like the
// OpenID Connect claim names it mirrors ("birthdate", "age_over_18").
var attributeName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Attribute is one identity attribute in the clear: what the CA commits to
// and never writes down. Value must be in the attribute's canonical form
// (a birth date as YYYY-MM-DD, say), since a disclosure must reproduce it
// byte for byte.
type Attribute struct {
	Name  string
	Value string
}

// Commitment is what an internet certificate carries for one attribute:
// its name, the hash algorithm and Hash(salt || len(name) || name || value)
// (see Commit), never the value.
type Commitment struct {
	// Attribute is the attribute name.
	Attribute string
	// Algorithm is the hash: "sha-256" (intl) or "sm3" (sm).
	Algorithm string
	// Digest is the 32-byte commitment.
	Digest []byte
}

// Opening is what the wallet keeps for one committed attribute, and what it
// discloses to a platform that the resident chose to show the value to: the
// value and the salt. The platform recomputes the commitment and compares it
// with the certificate's (Commitment.Verify).
type Opening struct {
	Attribute string
	Value     string
	Salt      []byte
}

// commitmentDigest computes the commitment of one attribute:
//
//	Hash( salt (32 bytes) || uint16 big-endian len(name) || name || value )
//
// The length prefix makes the split between name and value unambiguous;
// the salt, random and secret until disclosed, makes the digest reveal
// nothing about a value from a small set (a birth date, a sex) to anyone
// who lacks it.
func commitmentDigest(h hashAlg, name, value string, salt []byte) []byte {
	var n [2]byte
	binary.BigEndian.PutUint16(n[:], uint16(len(name)))
	return h.sum(salt, n[:], []byte(name), []byte(value))
}

// Commit draws a fresh 32-byte salt per attribute from r (crypto/rand when
// nil) and returns the commitments, with the suite's hash, for the
// certificate, and the openings for the wallet, both sorted by attribute
// name. Names must be unique and match ^[a-z][a-z0-9_]{0,63}$; at most
// MaxCommitments.
func Commit(s suite.Suite, r io.Reader, attrs []Attribute) ([]Commitment, []Opening, error) {
	if r == nil {
		r = rand.Reader
	}
	if len(attrs) > MaxCommitments {
		return nil, nil, fmt.Errorf("%w: %d attributes, at most %d", ErrCommitment, len(attrs), MaxCommitments)
	}
	sorted := slices.Clone(attrs)
	slices.SortFunc(sorted, func(a, b Attribute) int { return strings.Compare(a.Name, b.Name) })
	h := suiteHash(s)
	cs := make([]Commitment, 0, len(sorted))
	os := make([]Opening, 0, len(sorted))
	for i, a := range sorted {
		if !attributeName.MatchString(a.Name) {
			return nil, nil, fmt.Errorf("%w: attribute name %q", ErrCommitment, a.Name)
		}
		if i > 0 && sorted[i-1].Name == a.Name {
			return nil, nil, fmt.Errorf("%w: attribute %q given twice", ErrCommitment, a.Name)
		}
		salt := make([]byte, SaltSize)
		if _, err := io.ReadFull(r, salt); err != nil {
			return nil, nil, fmt.Errorf("credential: commitment salt: %w", err)
		}
		cs = append(cs, Commitment{Attribute: a.Name, Algorithm: h.name, Digest: commitmentDigest(h, a.Name, a.Value, salt)})
		os = append(os, Opening{Attribute: a.Name, Value: a.Value, Salt: salt})
	}
	return cs, os, nil
}

// Verify checks that o opens c: same attribute, and the value and salt
// reproduce the digest. It returns nil or an error wrapping ErrDisclosure
// (or ErrCommitment for an unknown algorithm). The comparison is in
// constant time.
func (c Commitment) Verify(o Opening) error {
	h, ok := hashByName(commitmentHashes, c.Algorithm)
	if !ok {
		return fmt.Errorf("%w: unknown algorithm %q", ErrCommitment, c.Algorithm)
	}
	if o.Attribute != c.Attribute {
		return fmt.Errorf("%w: opening is for %q, commitment for %q", ErrDisclosure, o.Attribute, c.Attribute)
	}
	if len(o.Salt) != SaltSize {
		return fmt.Errorf("%w: salt is %d bytes, want %d", ErrDisclosure, len(o.Salt), SaltSize)
	}
	if subtle.ConstantTimeCompare(commitmentDigest(h, o.Attribute, o.Value, o.Salt), c.Digest) != 1 {
		return fmt.Errorf("%w: attribute %q", ErrDisclosure, c.Attribute)
	}
	return nil
}

// checkCommitments validates commitments for issuance by suite s: well
// formed, unique names, and the suite's hash.
func checkCommitments(s suite.Suite, cs []Commitment) error {
	if len(cs) > MaxCommitments {
		return fmt.Errorf("%w: %d commitments, at most %d", ErrCommitment, len(cs), MaxCommitments)
	}
	want := suiteHash(s).name
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		switch {
		case !attributeName.MatchString(c.Attribute):
			return fmt.Errorf("%w: attribute name %q", ErrCommitment, c.Attribute)
		case seen[c.Attribute]:
			return fmt.Errorf("%w: attribute %q given twice", ErrCommitment, c.Attribute)
		case c.Algorithm != want:
			return fmt.Errorf("%w: attribute %q uses %q, the %s suite commits with %q", ErrCommitment, c.Attribute, c.Algorithm, s.Name(), want)
		case len(c.Digest) != 32:
			return fmt.Errorf("%w: attribute %q digest is %d bytes, want 32", ErrCommitment, c.Attribute, len(c.Digest))
		}
		seen[c.Attribute] = true
	}
	return nil
}

// marshalCommitments encodes the extension value, sorted by attribute name
// so that the same commitments always encode the same way:
//
//	Commitments ::= SEQUENCE SIZE (1..32) OF Commitment
//	Commitment  ::= SEQUENCE {
//	    attribute   UTF8String (SIZE (1..64)),
//	    algorithm   OBJECT IDENTIFIER,   -- sha-256 or sm3
//	    commitment  OCTET STRING (SIZE (32)) }
func marshalCommitments(cs []Commitment) ([]byte, error) {
	sorted := slices.Clone(cs)
	slices.SortFunc(sorted, func(a, b Commitment) int { return strings.Compare(a.Attribute, b.Attribute) })
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, c := range sorted {
			h, ok := hashByName(commitmentHashes, c.Algorithm)
			if !ok {
				b.SetError(fmt.Errorf("%w: unknown algorithm %q", ErrCommitment, c.Algorithm))
				return
			}
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(c.Attribute)) })
				b.AddASN1ObjectIdentifier(h.oid)
				b.AddASN1OctetString(c.Digest)
			})
		}
	})
	return b.Bytes()
}

// parseCommitmentsValue decodes the extension value, checking every limit
// that marshalCommitments respects.
func parseCommitmentsValue(der []byte) ([]Commitment, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, fmt.Errorf("%w: not a DER SEQUENCE", ErrCommitment)
	}
	var out []Commitment
	seen := make(map[string]bool)
	for !seq.Empty() {
		if len(out) == MaxCommitments {
			return nil, fmt.Errorf("%w: more than %d commitments", ErrCommitment, MaxCommitments)
		}
		var item, name cryptobyte.String
		var oid asn1.ObjectIdentifier
		var digest []byte
		if !seq.ReadASN1(&item, cbasn1.SEQUENCE) ||
			!item.ReadASN1(&name, cbasn1.UTF8String) ||
			!item.ReadASN1ObjectIdentifier(&oid) ||
			!item.ReadASN1Bytes(&digest, cbasn1.OCTET_STRING) || !item.Empty() {
			return nil, fmt.Errorf("%w: malformed commitment %d", ErrCommitment, len(out))
		}
		h, ok := hashByOID(commitmentHashes, oid)
		switch n := string(name); {
		case !attributeName.MatchString(n):
			return nil, fmt.Errorf("%w: attribute name %q", ErrCommitment, n)
		case seen[n]:
			return nil, fmt.Errorf("%w: attribute %q appears twice", ErrCommitment, n)
		case !ok:
			return nil, fmt.Errorf("%w: attribute %q: unknown hash %v", ErrCommitment, n, oid)
		case len(digest) != 32:
			return nil, fmt.Errorf("%w: attribute %q: digest is %d bytes, want 32", ErrCommitment, n, len(digest))
		}
		seen[string(name)] = true
		out = append(out, Commitment{Attribute: string(name), Algorithm: h.name, Digest: slices.Clone(digest)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty commitments extension", ErrCommitment)
	}
	return out, nil
}

// ParseCommitments returns the commitments an internet certificate carries,
// or none (and no error) if it carries no commitments extension. It does
// not verify the certificate: call VerifyCertificate first.
func ParseCommitments(cert *x509.Certificate) ([]Commitment, error) {
	var value []byte
	found := false
	for _, e := range cert.Extensions {
		if !e.Id.Equal(OIDCommitments) {
			continue
		}
		if found {
			return nil, fmt.Errorf("%w: extension appears twice", ErrCommitment)
		}
		if e.Critical {
			return nil, fmt.Errorf("%w: extension marked critical", ErrCommitment)
		}
		value, found = e.Value, true
	}
	if !found {
		return nil, nil
	}
	return parseCommitmentsValue(value)
}
