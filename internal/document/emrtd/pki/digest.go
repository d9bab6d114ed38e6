package pki

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"hash"

	_ "crypto/sha1"   // registers crypto.SHA1
	_ "crypto/sha256" // registers crypto.SHA224, crypto.SHA256
	_ "crypto/sha512" // registers crypto.SHA384, crypto.SHA512

	"github.com/emmansun/gmsm/sm3"
)

// Digest is a hash algorithm a travel document may use for data-group
// hashes, CMS message digests and signatures.
type Digest struct {
	// Name is the algorithm's common name, e.g. "SHA-256".
	Name string
	// OID identifies the algorithm in an AlgorithmIdentifier.
	OID asn1.ObjectIdentifier
	// Hash is the crypto.Hash, or 0 for SM3 (which crypto does not know).
	Hash crypto.Hash
	// Size is the length of a digest in bytes.
	Size int

	newHash func() hash.Hash
}

// New returns a new hash.Hash computing the digest.
func (d *Digest) New() hash.Hash { return d.newHash() }

// Sum returns the digest of data.
func (d *Digest) Sum(data []byte) []byte {
	h := d.newHash()
	h.Write(data)
	return h.Sum(nil)
}

// String returns the digest's name.
func (d *Digest) String() string { return d.Name }

// The supported digests. SHA-1 is kept because CSCA certificates of the
// master lists are still signed with it (their own self-signatures); the
// reports name the digest, so a policy can refuse it.
var (
	SHA1   = &Digest{"SHA-1", OIDSHA1, crypto.SHA1, 20, crypto.SHA1.New}
	SHA224 = &Digest{"SHA-224", OIDSHA224, crypto.SHA224, 28, crypto.SHA224.New}
	SHA256 = &Digest{"SHA-256", OIDSHA256, crypto.SHA256, 32, crypto.SHA256.New}
	SHA384 = &Digest{"SHA-384", OIDSHA384, crypto.SHA384, 48, crypto.SHA384.New}
	SHA512 = &Digest{"SHA-512", OIDSHA512, crypto.SHA512, 64, crypto.SHA512.New}
	SM3    = &Digest{"SM3", OIDSM3, 0, 32, sm3.New}
)

var digests = []*Digest{SHA1, SHA224, SHA256, SHA384, SHA512, SM3}

// DigestByOID returns the digest algorithm with the given identifier, or an
// error wrapping ErrUnsupportedAlgorithm.
func DigestByOID(oid asn1.ObjectIdentifier) (*Digest, error) {
	for _, d := range digests {
		if d.OID.Equal(oid) {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: digest %v", ErrUnsupportedAlgorithm, oid)
}

// DigestFromAlgorithm returns the digest identified by an
// AlgorithmIdentifier whose parameters must be absent or NULL (RFC 5754
// section 2 allows both).
func DigestFromAlgorithm(ai pkix.AlgorithmIdentifier) (*Digest, error) {
	d, err := DigestByOID(ai.Algorithm)
	if err != nil {
		return nil, err
	}
	if !absentOrNull(ai.Parameters) {
		return nil, fmt.Errorf("%w: %s digest with parameters", ErrMalformed, d.Name)
	}
	return d, nil
}

// absentOrNull reports whether AlgorithmIdentifier parameters are absent or
// an ASN.1 NULL.
func absentOrNull(p asn1.RawValue) bool {
	if len(p.FullBytes) == 0 {
		return true
	}
	return p.Class == asn1.ClassUniversal && p.Tag == asn1.TagNull && len(p.Bytes) == 0
}
