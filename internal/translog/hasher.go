package translog

import (
	"hash"

	"github.com/transparency-dev/merkle"

	"github.com/netid/netid/internal/crypto/suite"
)

// Hasher is the RFC 6962 (RFC 9162 section 2.1.1) Merkle tree hasher over
// the suite's hash: SHA-256 for intl, SM3 for sm. The domain-separation
// prefixes are RFC 6962's, 0x00 for leaves and 0x01 for interior nodes,
// in both suites. With SHA-256 it computes exactly what
// github.com/transparency-dev/merkle/rfc6962 does (a test checks); that
// package only takes a crypto.Hash, and SM3 has none, hence this type.
type Hasher struct {
	newHash func() hash.Hash
	name    string
}

var _ merkle.LogHasher = (*Hasher)(nil)

// NewHasher returns the tree hasher of suite s.
func NewHasher(s suite.Suite) *Hasher {
	return &Hasher{newHash: s.NewHash, name: s.Algorithms().Hash}
}

// Name returns the hash algorithm's name as the suite gives it ("sha-256"
// or "sm3"); the store records it so that a log is never continued with
// another hash.
func (h *Hasher) Name() string { return h.name }

// EmptyRoot returns the root of the empty tree: the hash of the empty
// string.
func (h *Hasher) EmptyRoot() []byte { return h.newHash().Sum(nil) }

// HashLeaf returns H(0x00 || leaf).
func (h *Hasher) HashLeaf(leaf []byte) []byte {
	d := h.newHash()
	d.Write([]byte{0})
	d.Write(leaf)
	return d.Sum(nil)
}

// HashChildren returns H(0x01 || l || r).
func (h *Hasher) HashChildren(l, r []byte) []byte {
	d := h.newHash()
	d.Write([]byte{1})
	d.Write(l)
	d.Write(r)
	return d.Sum(nil)
}

// Size returns the hash size, HashSize in both suites.
func (h *Hasher) Size() int { return HashSize }
