package suite

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"slices"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/netid/netid/internal/crypto/fixedkey"
)

// The fast path of VerifyChain.
//
// netid's internet certificates are signed directly by a CA certificate
// that the verifier holds as a root, so the chain is always {leaf, root}.
// For that shape, chain building (pools, candidate search, the policy
// graph) is overhead, and the root's key is known in advance, so its
// signature can be checked with a precomputed table (package fixedkey) at
// a third of the cost of crypto/ecdsa or gmsm.
//
// The fast path only accepts. Every condition below is one under which
// crypto/x509's Verify (resp. smx509's) would build exactly one chain,
// {leaf, root}, and accept it; a certificate that fails any of them, or
// that the fast path cannot judge, goes to the library as before, so
// every error, and every unusual chain, is the library's own. Where the
// library's rule is intricate (name constraints, policies, EKU nesting,
// several candidate issuers), the fast path does not mirror it: it steps
// aside. The differential and fuzz tests (fastpath_test.go) check that
// whatever it accepts the library accepts with the same chain.
//
// The conditions, against Certificate.Verify and buildChains of
// crypto/x509 (Go 1.26) and smx509 (gmsm v0.44.0), which agree on them:
//   - no intermediates are given, the leaf is not itself a root (the
//     library would return {leaf}), and the leaf is not self-issued (so the
//     root cannot be "already in the chain");
//   - among the roots, exactly one distinct certificate has the leaf's
//     issuer as subject (the library would try each and might return
//     several chains); when both identifiers are present it must carry
//     the leaf's authority key identifier;
//   - the root may sign certificates (CheckSignatureFrom: basic
//     constraints with cA, keyCertSign if key usage is present, a known
//     public-key algorithm), and the leaf's signature algorithm and the
//     root's key are the suite's: ecdsa-with-SHA256 and a P-256 key, or
//     SM2-with-SM3 and an SM2 key;
//   - both are within validity at opts.At and have no unhandled critical
//     extension (isValid; path length cannot fail with no intermediate);
//   - neither has name constraints (checkChainConstraints), the root has
//     no policy constraints or mappings, and the leaf does not require an
//     explicit policy: with a chain of two and no policy asked for,
//     policiesValid then holds;
//   - the root has no extended key usage, and the leaf's allows one of
//     opts.KeyUsages as checkChainForKeyUsage decides it (any usage asked,
//     no EKU in the leaf, anyExtendedKeyUsage in the leaf, or a usage
//     asked listed in the leaf);
//   - the signature verifies, with the function the library would call.

// certView is what the fast path reads of a certificate, taken from a
// crypto/x509 or an smx509 value (whose fields have the same meaning).
type certView struct {
	raw, rawSubject, rawIssuer   []byte
	subjectKeyID, authorityKeyID []byte
	notBefore, notAfter          time.Time
	basicConstraintsValid, isCA  bool
	keyUsage                     x509.KeyUsage
	unhandledCritical            bool
	// extKeyUsage is converted from smx509's numbering, which is the same.
	extKeyUsage        []x509.ExtKeyUsage
	unknownExtKeyUsage bool
	nameConstraints    bool
	// policyConstraints: policy constraints, mappings or inhibitAnyPolicy.
	policyConstraints         bool
	requireExplicitPolicyZero bool
}

var oidNameConstraints = asn1.ObjectIdentifier{2, 5, 29, 30}

func hasExtension(exts []pkix.Extension, oid asn1.ObjectIdentifier) bool {
	for _, e := range exts {
		if e.Id.Equal(oid) {
			return true
		}
	}
	return false
}

func viewX509(c *x509.Certificate) certView {
	return certView{
		raw: c.Raw, rawSubject: c.RawSubject, rawIssuer: c.RawIssuer,
		subjectKeyID: c.SubjectKeyId, authorityKeyID: c.AuthorityKeyId,
		notBefore: c.NotBefore, notAfter: c.NotAfter,
		basicConstraintsValid: c.BasicConstraintsValid, isCA: c.IsCA,
		keyUsage:           c.KeyUsage,
		unhandledCritical:  len(c.UnhandledCriticalExtensions) > 0,
		extKeyUsage:        c.ExtKeyUsage,
		unknownExtKeyUsage: len(c.UnknownExtKeyUsage) > 0,
		nameConstraints: hasExtension(c.Extensions, oidNameConstraints) || c.PermittedDNSDomainsCritical ||
			len(c.PermittedDNSDomains)+len(c.ExcludedDNSDomains)+len(c.PermittedIPRanges)+len(c.ExcludedIPRanges)+
				len(c.PermittedEmailAddresses)+len(c.ExcludedEmailAddresses)+len(c.PermittedURIDomains)+len(c.ExcludedURIDomains) > 0,
		policyConstraints: len(c.PolicyMappings) > 0 ||
			c.RequireExplicitPolicy > 0 || c.RequireExplicitPolicyZero ||
			c.InhibitPolicyMapping > 0 || c.InhibitPolicyMappingZero ||
			c.InhibitAnyPolicy > 0 || c.InhibitAnyPolicyZero,
		requireExplicitPolicyZero: c.RequireExplicitPolicyZero,
	}
}

func viewSMX509(c *smx509.Certificate) certView {
	v := certView{
		raw: c.Raw, rawSubject: c.RawSubject, rawIssuer: c.RawIssuer,
		subjectKeyID: c.SubjectKeyId, authorityKeyID: c.AuthorityKeyId,
		notBefore: c.NotBefore, notAfter: c.NotAfter,
		basicConstraintsValid: c.BasicConstraintsValid, isCA: c.IsCA,
		keyUsage:           x509.KeyUsage(c.KeyUsage),
		unhandledCritical:  len(c.UnhandledCriticalExtensions) > 0,
		unknownExtKeyUsage: len(c.UnknownExtKeyUsage) > 0,
		nameConstraints: hasExtension(c.Extensions, oidNameConstraints) || c.PermittedDNSDomainsCritical ||
			len(c.PermittedDNSDomains)+len(c.ExcludedDNSDomains)+len(c.PermittedIPRanges)+len(c.ExcludedIPRanges)+
				len(c.PermittedEmailAddresses)+len(c.ExcludedEmailAddresses)+len(c.PermittedURIDomains)+len(c.ExcludedURIDomains) > 0,
		policyConstraints: len(c.PolicyMappings) > 0 ||
			c.RequireExplicitPolicy > 0 || c.RequireExplicitPolicyZero ||
			c.InhibitPolicyMapping > 0 || c.InhibitPolicyMappingZero ||
			c.InhibitAnyPolicy > 0 || c.InhibitAnyPolicyZero,
		requireExplicitPolicyZero: c.RequireExplicitPolicyZero,
	}
	for _, u := range c.ExtKeyUsage {
		v.extKeyUsage = append(v.extKeyUsage, x509.ExtKeyUsage(u))
	}
	return v
}

// fastRoot returns the index in roots of the one root under which the
// library would accept leaf as the chain {leaf, root}, judging everything
// but the signature algorithm, the key and the signature, which are the
// suite's; or -1 when the fast path does not apply.
func fastRoot(leaf certView, roots []certView, opts VerifyOptions) int {
	if len(opts.Intermediates) > 0 || len(leaf.raw) == 0 || bytes.Equal(leaf.rawIssuer, leaf.rawSubject) {
		return -1
	}
	idx := -1
	for i, r := range roots {
		if bytes.Equal(r.raw, leaf.raw) {
			return -1 // the leaf is a root: the library returns {leaf}
		}
		if !bytes.Equal(r.rawSubject, leaf.rawIssuer) {
			continue
		}
		switch {
		case idx < 0:
			idx = i
		case !bytes.Equal(roots[idx].raw, r.raw):
			return -1 // two candidate issuers
		}
	}
	if idx < 0 {
		return -1
	}
	root := roots[idx]
	within := func(c certView) bool { return !opts.At.Before(c.notBefore) && !opts.At.After(c.notAfter) }
	switch {
	case len(root.subjectKeyID) > 0 && len(leaf.authorityKeyID) > 0 && !bytes.Equal(root.subjectKeyID, leaf.authorityKeyID),
		!root.basicConstraintsValid || !root.isCA,
		root.keyUsage != 0 && root.keyUsage&x509.KeyUsageCertSign == 0,
		root.unhandledCritical || leaf.unhandledCritical,
		!within(root) || !within(leaf),
		root.nameConstraints || leaf.nameConstraints,
		root.policyConstraints || leaf.requireExplicitPolicyZero,
		len(root.extKeyUsage) > 0 || root.unknownExtKeyUsage,
		!leafUsageAllowed(leaf, opts.KeyUsages):
		return -1
	}
	return idx
}

// leafUsageAllowed is checkChainForKeyUsage on the leaf of a chain whose
// root has no extended key usage: the leaf must allow one of the usages
// asked, unless the caller accepts any.
func leafUsageAllowed(leaf certView, usages []x509.ExtKeyUsage) bool {
	if slices.Contains(usages, x509.ExtKeyUsageAny) ||
		len(leaf.extKeyUsage) == 0 && !leaf.unknownExtKeyUsage ||
		slices.Contains(leaf.extKeyUsage, x509.ExtKeyUsageAny) {
		return true
	}
	for _, u := range usages {
		if slices.Contains(leaf.extKeyUsage, u) {
			return true
		}
	}
	return false
}

// intlFastChain returns the chain crypto/x509 would return for cert, when
// the fast path applies and accepts, and nil otherwise (the caller then
// runs crypto/x509). opts has been checked.
func intlFastChain(cert *x509.Certificate, opts VerifyOptions) []*x509.Certificate {
	roots := make([]certView, len(opts.Roots))
	for i, r := range opts.Roots {
		roots[i] = viewX509(r)
	}
	i := fastRoot(viewX509(cert), roots, opts)
	if i < 0 {
		return nil
	}
	root := opts.Roots[i]
	pub, ok := root.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() || root.PublicKeyAlgorithm != x509.ECDSA ||
		cert.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		return nil
	}
	v, err := fixedkey.ForKey(pub)
	if err != nil {
		return nil
	}
	digest := sha256.Sum256(cert.RawTBSCertificate)
	if !v.VerifyASN1(digest[:], cert.Signature) {
		return nil
	}
	return []*x509.Certificate{cert, root}
}

// smFastChain is intlFastChain for the sm suite. Like the smx509 path of
// VerifyChain, it judges the certificates by their DER, parsed again with
// smx509, not by the caller's crypto/x509 values (in which SM2-with-SM3
// shows as an unknown algorithm). Roots are parsed once and kept
// (smRoots); the leaf is parsed on every call.
func smFastChain(cert *x509.Certificate, opts VerifyOptions) []*x509.Certificate {
	if len(opts.Intermediates) > 0 {
		return nil // before parsing anything
	}
	parsed := make([]*smx509.Certificate, len(opts.Roots))
	roots := make([]certView, len(opts.Roots))
	for i, r := range opts.Roots {
		sc := smRoots.get(r.Raw)
		if sc == nil {
			return nil // the library will report the parse error
		}
		parsed[i], roots[i] = sc, viewSMX509(sc)
	}
	leaf, err := smx509.ParseCertificate(cert.Raw)
	if err != nil {
		return nil
	}
	i := fastRoot(viewSMX509(leaf), roots, opts)
	if i < 0 {
		return nil
	}
	root := parsed[i]
	pub, ok := root.PublicKey.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) || root.PublicKeyAlgorithm != smx509.ECDSA ||
		leaf.SignatureAlgorithm != smx509.SM2WithSM3 {
		return nil
	}
	// What smx509's checkSignature calls for SM2-with-SM3,
	// sm2.VerifyASN1WithSM2 with the default user ID, with the root key's
	// tables (fixedkey.SM2 gives the same answers).
	v, err := fixedkey.SM2ForKey(pub)
	if err != nil || !v.VerifyASN1WithSM2(leaf.RawTBSCertificate, leaf.Signature) {
		return nil
	}
	return []*x509.Certificate{cert, opts.Roots[i]}
}

// smRootCacheSize bounds smRoots. Roots are few; the bound only stops a
// process that meets many from growing without limit.
const smRootCacheSize = 64

// smRoots keeps the smx509 parse of root certificates, keyed by their DER,
// so that the fast path does not parse the same roots on every call. A
// parse depends on the DER alone, so a kept value is what parsing again
// would give.
var smRoots = &smRootCache{byDER: make(map[string]*smx509.Certificate)}

type smRootCache struct {
	mu    sync.Mutex
	byDER map[string]*smx509.Certificate
	order []string
}

// get returns the parse of der, or nil if smx509 refuses it (not kept).
func (c *smRootCache) get(der []byte) *smx509.Certificate {
	c.mu.Lock()
	sc, ok := c.byDER[string(der)]
	c.mu.Unlock()
	if ok {
		return sc
	}
	// A copy: the parse keeps slices of its input, which the caller owns.
	sc, err := smx509.ParseCertificate(bytes.Clone(der))
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.byDER[string(der)]; ok {
		return prev
	}
	if len(c.order) >= smRootCacheSize {
		delete(c.byDER, c.order[0])
		c.order = append(c.order[:0], c.order[1:]...)
	}
	key := string(der)
	c.byDER[key] = sc
	c.order = append(c.order, key)
	return sc
}
