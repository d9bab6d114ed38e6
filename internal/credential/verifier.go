package credential

import (
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
)

// Verifier is VerifyCertificate for a fixed set of CA certificates, with a
// memory of the certificates it has verified. A relying party sees the
// same residents' certificates again and again (every login presents the
// same one), and the outcome of checking a chain's signatures and profile
// never changes for the same bytes and the same roots: only time does. So
// a certificate verified once is, until it drops out of the memory,
// checked again by a hash and a comparison of times, without a signature
// verification. Failures are not remembered, so that a flood of bad
// certificates cannot evict good ones.
//
// A Verifier is safe for concurrent use. Make a new one when the CA
// certificates change (GET /ca.pem after a CA key rotation).
type Verifier struct {
	suite suite.Suite
	roots []*x509.Certificate
	max   int

	mu   sync.Mutex
	seen map[[32]byte]verified
}

// verified is a remembered outcome: the result and the span of times at
// which the whole chain (leaf and root) is valid.
type verified struct {
	cert       *VerifiedCertificate
	from, till time.Time
}

// NewVerifier returns a Verifier of suite s trusting caCerts, remembering
// up to cacheSize certificates (0: none, every call verifies).
func NewVerifier(s suite.Suite, caCerts []*x509.Certificate, cacheSize int) (*Verifier, error) {
	if s == nil || len(caCerts) == 0 {
		return nil, errors.New("credential: NewVerifier needs a suite and at least one CA certificate")
	}
	if cacheSize < 0 {
		return nil, fmt.Errorf("credential: NewVerifier: cache size %d, want 0 or more", cacheSize)
	}
	return &Verifier{suite: s, roots: slices.Clone(caCerts), max: cacheSize, seen: make(map[[32]byte]verified)}, nil
}

// Verify is VerifyCertificate(s, cert, caCerts, at) with the memory
// described on Verifier. The result is the caller's to modify.
func (v *Verifier) Verify(cert *x509.Certificate, at time.Time) (*VerifiedCertificate, error) {
	if cert == nil || v.max == 0 {
		return VerifyCertificate(v.suite, cert, v.roots, at)
	}
	key := sha256.Sum256(cert.Raw)
	v.mu.Lock()
	hit, ok := v.seen[key]
	v.mu.Unlock()
	if ok && !at.Before(hit.from) && !at.After(hit.till) {
		return hit.cert.clone(), nil
	}
	out, chains, err := verifyCertificate(v.suite, cert, v.roots, at)
	if err != nil {
		return nil, err
	}
	// The chains all start at the leaf; a root in any chain is one of the
	// trusted roots. Validity is that of the leaf and of the root of the
	// first chain (with several roots of the same key, another chain could
	// be valid longer; missing that costs only a verification).
	e := verified{cert: out.clone(), from: cert.NotBefore, till: cert.NotAfter}
	if root := chains[0][len(chains[0])-1]; root != cert {
		if root.NotBefore.After(e.from) {
			e.from = root.NotBefore
		}
		if root.NotAfter.Before(e.till) {
			e.till = root.NotAfter
		}
	}
	v.mu.Lock()
	if len(v.seen) >= v.max {
		for k := range v.seen { // evict an arbitrary entry: O(1), no bookkeeping
			delete(v.seen, k)
			break
		}
	}
	v.seen[key] = e
	v.mu.Unlock()
	return out, nil
}

// clone copies c so that a caller cannot alter a remembered result through
// the one it was given. The public key is shared: keys are immutable.
func (c *VerifiedCertificate) clone() *VerifiedCertificate {
	cp := *c
	cp.Serial = new(big.Int).Set(c.Serial)
	if c.Commitments == nil {
		return &cp
	}
	cp.Commitments = make([]Commitment, len(c.Commitments))
	for i, x := range c.Commitments {
		x.Digest = slices.Clone(x.Digest)
		cp.Commitments[i] = x
	}
	return &cp
}
