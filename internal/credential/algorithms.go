package credential

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"fmt"
	"hash"

	"github.com/netid/netid/internal/crypto/suite"
)

// hashAlg is a hash function as it appears on the wire: in commitments
// (the suite's hash) and in OCSP CertIDs (whatever the client chose).
type hashAlg struct {
	name string
	oid  asn1.ObjectIdentifier
	new  func() hash.Hash
}

func (h hashAlg) sum(parts ...[]byte) []byte {
	d := h.new()
	for _, p := range parts {
		d.Write(p)
	}
	return d.Sum(nil)
}

// smHash is SM3, taken from the sm suite so that this package needs no
// direct dependency on the SM library for hashing.
var smHash = func() func() hash.Hash {
	s, err := suite.New(suite.SM)
	if err != nil {
		panic(err) // the suite package always knows "sm"
	}
	return s.NewHash
}()

var (
	hashSHA1   = hashAlg{"sha-1", asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, sha1.New}
	hashSHA256 = hashAlg{"sha-256", asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, sha256.New}
	hashSHA384 = hashAlg{"sha-384", asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, sha512.New384}
	hashSHA512 = hashAlg{"sha-512", asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, sha512.New}
	// hashSM3 is SM3 as GM/T 0006-2012 numbers it.
	hashSM3 = hashAlg{"sm3", asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}, smHash}
)

// certIDHashes are the hashes accepted in OCSP CertIDs: SHA-1 (what most
// clients, OpenSSL included, still send; it is an identifier there, not a
// security mechanism), the SHA-2 family and SM3.
var certIDHashes = []hashAlg{hashSHA1, hashSHA256, hashSHA384, hashSHA512, hashSM3}

// commitmentHashes are the hashes a commitment may use: the hash of either
// suite, so that a verifier in one suite can check commitments of the other.
var commitmentHashes = []hashAlg{hashSHA256, hashSM3}

func hashByOID(list []hashAlg, oid asn1.ObjectIdentifier) (hashAlg, bool) {
	for _, h := range list {
		if h.oid.Equal(oid) {
			return h, true
		}
	}
	return hashAlg{}, false
}

func hashByName(list []hashAlg, name string) (hashAlg, bool) {
	for _, h := range list {
		if h.name == name {
			return h, true
		}
	}
	return hashAlg{}, false
}

// suiteHash returns the hash of suite s.
func suiteHash(s suite.Suite) hashAlg {
	h, ok := hashByName(commitmentHashes, s.Algorithms().Hash)
	if !ok {
		panic(fmt.Sprintf("credential: suite %s has unknown hash %q", s.Name(), s.Algorithms().Hash))
	}
	return h
}

// Signature algorithm identifiers of the two suites (RFC 5758 section 3.2;
// GM/T 0006-2012). Both are encoded without parameters.
var (
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidSM2WithSM3      = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}
)

// suiteSignatureOID returns the signature algorithm of suite s: what its
// Sign produces.
func suiteSignatureOID(s suite.Suite) asn1.ObjectIdentifier {
	if s.Name() == suite.SM {
		return oidSM2WithSM3
	}
	return oidECDSAWithSHA256
}
