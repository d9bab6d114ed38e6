package suite

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
	"time"
)

// The fast path of VerifyChain must only ever accept what the library
// (crypto/x509 or smx509) accepts, with the same chain. These tests call it
// and the library path separately.

// fastChain and libraryChains are the two halves of VerifyChain of suite n.
func fastChain(n Name, cert *x509.Certificate, opts VerifyOptions) []*x509.Certificate {
	if n == SM {
		return smFastChain(cert, opts)
	}
	return intlFastChain(cert, opts)
}

func libraryChains(n Name, cert *x509.Certificate, opts VerifyOptions) ([][]*x509.Certificate, error) {
	if n == SM {
		return smLibraryChains(cert, opts)
	}
	return intlLibraryChains(cert, opts)
}

// checkFastPath fails the test unless the fast path's answer is implied by
// the library's, and VerifyChain answers as the library does. It returns
// whether the fast path and the library accepted.
func checkFastPath(t testing.TB, n Name, cert *x509.Certificate, opts VerifyOptions) (fastOK, libOK bool) {
	t.Helper()
	fast := fastChain(n, cert, opts)
	lib, libErr := libraryChains(n, cert, opts)
	if fast != nil {
		if libErr != nil {
			t.Fatalf("fast path accepted a certificate the library rejects: %v", libErr)
		}
		if len(lib) != 1 || !sameChain(lib[0], fast) {
			t.Fatalf("fast path returned another chain than the library's (%d chains)", len(lib))
		}
	}
	got, err := mustSuite(t, n).VerifyChain(cert, opts)
	switch {
	case (err == nil) != (libErr == nil):
		t.Fatalf("VerifyChain error %v, library %v", err, libErr)
	case err != nil && err.Error() != libErr.Error():
		t.Fatalf("VerifyChain error %q, library %q", err, libErr)
	case len(got) != len(lib):
		t.Fatalf("VerifyChain returned %d chains, library %d", len(got), len(lib))
	}
	for i := range got {
		if !sameChain(got[i], lib[i]) {
			t.Fatalf("VerifyChain chain %d differs from the library's", i)
		}
	}
	return fast != nil, libErr == nil
}

// sameChain compares pointers: the chains hold the caller's values.
func sameChain(a, b []*x509.Certificate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// fastEnv is a CA key with certificates for it that differ in one property
// each, all with the same subject, and leaves it signed.
type fastEnv struct {
	n       Name
	s       Suite
	rootKey crypto.Signer
	roots   map[string]*x509.Certificate
	// rootSets are the root lists the fuzzer chooses from.
	rootSets [][]*x509.Certificate
}

var (
	oidUnknownCritical   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}
	oidPolicyConstraints = asn1.ObjectIdentifier{2, 5, 29, 36}
	// requireExplicitPolicy 0: SEQUENCE { [0] IMPLICIT INTEGER 0 }.
	requireExplicitPolicyZero = []byte{0x30, 0x03, 0x80, 0x01, 0x00}
)

const fastRootName = "netid fast-path CA"

func newFastEnv(t testing.TB, n Name) *fastEnv {
	t.Helper()
	s := mustSuite(t, n)
	key, err := s.GenerateSigner(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.GenerateSigner(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := &fastEnv{n: n, s: s, rootKey: key, roots: map[string]*x509.Certificate{}}
	root := func(name string, key crypto.Signer, mod func(*x509.Certificate)) {
		tmpl := caTemplate(fastRootName, int64(len(e.roots)+1))
		tmpl.SubjectKeyId = []byte("fast-root")
		if mod != nil {
			mod(tmpl)
		}
		der, err := s.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			t.Fatalf("root %s: %v", name, err)
		}
		c, err := s.ParseCertificate(der)
		if err != nil {
			t.Fatalf("root %s: %v", name, err)
		}
		e.roots[name] = c
	}
	root("ca", key, nil)
	root("other key", other, func(c *x509.Certificate) { c.SubjectKeyId = []byte("fast-root-2") })
	root("ekU clientAuth", key, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} })
	root("name constraints", key, func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"example.com"} })
	root("expired", key, func(c *x509.Certificate) { c.NotAfter = certEpoch.AddDate(0, 1, 0) })
	root("not a CA", key, func(c *x509.Certificate) { c.IsCA = false })
	root("no keyCertSign", key, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature })
	root("other SKID", key, func(c *x509.Certificate) { c.SubjectKeyId = []byte("another id") })
	root("policy constraints", key, func(c *x509.Certificate) {
		c.ExtraExtensions = []pkix.Extension{{Id: oidPolicyConstraints, Critical: true, Value: requireExplicitPolicyZero}}
	})
	root("unhandled critical", key, func(c *x509.Certificate) {
		c.ExtraExtensions = []pkix.Extension{{Id: oidUnknownCritical, Critical: true, Value: []byte{5, 0}}}
	})
	root("other name", key, func(c *x509.Certificate) { c.Subject.CommonName = "another CA" })
	dup, err := s.ParseCertificate(e.roots["ca"].Raw)
	if err != nil {
		t.Fatal(err)
	}
	e.roots["ca again"] = dup
	r := e.roots
	e.rootSets = [][]*x509.Certificate{
		{r["ca"]},
		{r["ca"], r["other key"]},
		{r["other key"], r["ca"]},
		{r["ca"], r["ca again"]},
		{r["ekU clientAuth"]},
		{r["name constraints"]},
		{r["expired"]},
		{r["not a CA"]},
		{r["no keyCertSign"]},
		{r["other SKID"]},
		{r["policy constraints"]},
		{r["unhandled critical"]},
		{r["other name"], r["ca"]},
	}
	return e
}

// leaf issues a certificate under the "ca" root for a fresh device key.
func (e *fastEnv) leaf(t testing.TB, mod func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	return e.leafUnder(t, e.roots["ca"], mod)
}

func (e *fastEnv) leafUnder(t testing.TB, parent *x509.Certificate, mod func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	return e.newLeaf(t, mod, func(tmpl *x509.Certificate, pub crypto.PublicKey) ([]byte, error) {
		return e.s.CreateCertificate(rand.Reader, tmpl, parent, pub, e.rootKey)
	}, e.s.ParseCertificate)
}

// newLeaf makes a leaf for a new device key from leafTemplate changed by
// mod, signed by create and parsed by parse.
func (e *fastEnv) newLeaf(t testing.TB, mod func(*x509.Certificate),
	create func(tmpl *x509.Certificate, pub crypto.PublicKey) ([]byte, error),
	parse func([]byte) (*x509.Certificate, error)) *x509.Certificate {
	t.Helper()
	device, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := leafTemplate("AB12CD34EF", 100)
	if mod != nil {
		mod(tmpl)
	}
	der, err := create(tmpl, device.Public())
	if err != nil {
		t.Fatal(err)
	}
	c, err := parse(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fastCase is a certificate to verify, whether the fast path should take
// it and whether the library accepts it.
type fastCase struct {
	name     string
	cert     *x509.Certificate
	opts     VerifyOptions
	wantFast bool
	wantLib  bool
}

// TestFastPathDifferential runs VerifyChain's fast path and the library on
// leaves and roots of odd shapes. For each it states whether the fast path
// should apply, so that the test shows the fast path is used for netid's
// certificates and steps aside for the rest.
func TestFastPathDifferential(t *testing.T) {
	for _, n := range Names() {
		t.Run(string(n), func(t *testing.T) {
			e := newFastEnv(t, n)
			r := e.roots
			at := certEpoch.AddDate(0, 6, 0)
			client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
			netid := e.leaf(t, nil)
			opts := func(roots ...*x509.Certificate) VerifyOptions {
				return VerifyOptions{Roots: roots, At: at, KeyUsages: client}
			}
			withUsages := func(o VerifyOptions, u ...x509.ExtKeyUsage) VerifyOptions {
				o.KeyUsages = u
				return o
			}
			withAt := func(o VerifyOptions, at time.Time) VerifyOptions {
				o.At = at
				return o
			}
			tampered := append([]byte(nil), netid.Raw...)
			tampered[len(tampered)-3] ^= 0x40
			tamperedLeaf, err := e.s.ParseCertificate(tampered)
			if err != nil {
				t.Fatal(err)
			}
			underOther := e.leafUnder(t, r["other name"], nil)

			cases := []fastCase{
				{"netid shape", netid, opts(r["ca"]), true, true},
				{"any usage asked", netid, withUsages(opts(r["ca"]), x509.ExtKeyUsageAny), true, true},
				{"one of two usages", netid, withUsages(opts(r["ca"]), x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth), true, true},
				{"usage not allowed", netid, withUsages(opts(r["ca"]), x509.ExtKeyUsageServerAuth), false, false},
				{"leaf without EKU", e.leaf(t, func(c *x509.Certificate) { c.ExtKeyUsage = nil }), withUsages(opts(r["ca"]), x509.ExtKeyUsageServerAuth), true, true},
				{"leaf with anyExtendedKeyUsage", e.leaf(t, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageAny} }), withUsages(opts(r["ca"]), x509.ExtKeyUsageCodeSigning), true, true},
				{"leaf with two EKUs", e.leaf(t, func(c *x509.Certificate) {
					c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
				}), opts(r["ca"]), true, true},
				{"leaf with another EKU", e.leaf(t, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection} }), opts(r["ca"]), false, false},
				{"leaf with an unknown EKU only", e.leaf(t, func(c *x509.Certificate) {
					c.ExtKeyUsage = nil
					c.UnknownExtKeyUsage = []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 99999, 2}}
				}), opts(r["ca"]), false, false},
				{"leaf with unknown and known EKU", e.leaf(t, func(c *x509.Certificate) {
					c.UnknownExtKeyUsage = []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 99999, 2}}
				}), opts(r["ca"]), true, true},
				{"leaf with a critical unknown extension", e.leaf(t, func(c *x509.Certificate) {
					c.ExtraExtensions = []pkix.Extension{{Id: oidUnknownCritical, Critical: true, Value: []byte{5, 0}}}
				}), opts(r["ca"]), false, false},
				{"leaf with a non-critical unknown extension", e.leaf(t, func(c *x509.Certificate) {
					c.ExtraExtensions = []pkix.Extension{{Id: oidUnknownCritical, Value: []byte{5, 0}}}
				}), opts(r["ca"]), true, true},
				{"leaf requiring an explicit policy", e.leaf(t, func(c *x509.Certificate) {
					c.ExtraExtensions = []pkix.Extension{{Id: oidPolicyConstraints, Critical: true, Value: requireExplicitPolicyZero}}
				}), opts(r["ca"]), false, false},
				{"leaf with name constraints", e.leaf(t, func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"example.org"} }), opts(r["ca"]), false, true},
				{"leaf expired", netid, withAt(opts(r["ca"]), certEpoch.AddDate(1, 0, 1)), false, false},
				{"leaf not yet valid", netid, withAt(opts(r["ca"]), certEpoch.Add(-time.Second)), false, false},
				{"leaf at its first second", netid, withAt(opts(r["ca"]), netid.NotBefore), true, true},
				{"leaf at its last second", netid, withAt(opts(r["ca"]), netid.NotAfter), true, true},
				{"tampered signature", tamperedLeaf, opts(r["ca"]), false, false},
				{"issuer not among the roots", underOther, opts(r["ca"]), false, false},
				{"issuer second among the roots", underOther, opts(r["ca"], r["other name"]), true, true},
				{"two roots with the leaf's issuer name", netid, opts(r["ca"], r["other key"]), false, true},
				{"the same root twice", netid, opts(r["ca"], r["ca again"]), true, true},
				{"the same root twice, other order", netid, opts(r["ca again"], r["ca"]), true, true},
				{"root with EKU", netid, opts(r["ekU clientAuth"]), false, true},
				{"root with name constraints", netid, opts(r["name constraints"]), false, true},
				{"root expired", netid, opts(r["expired"]), false, false},
				{"root not a CA", netid, opts(r["not a CA"]), false, false},
				{"root without keyCertSign", netid, opts(r["no keyCertSign"]), false, false},
				{"root with another SKID", netid, opts(r["other SKID"]), false, true},
				{"root with policy constraints", netid, opts(r["policy constraints"]), false, true},
				{"root with a critical unknown extension", netid, opts(r["unhandled critical"]), false, false},
				{"intermediates given", netid, VerifyOptions{Roots: []*x509.Certificate{r["ca"]}, Intermediates: []*x509.Certificate{r["other key"]}, At: at, KeyUsages: client}, false, true},
				{"the leaf is a root", r["ca"], opts(r["ca"]), false, true},
			}
			cases = append(cases, suiteSpecificCases(t, e, at)...)
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					fast, lib := checkFastPath(t, n, tc.cert, tc.opts)
					if fast != tc.wantFast || lib != tc.wantLib {
						t.Errorf("fast path accepted: %v, library accepted: %v; want %v, %v", fast, lib, tc.wantFast, tc.wantLib)
					}
				})
			}
		})
	}
}

// suiteSpecificCases are chains of the other algorithms a suite's library
// accepts, which the fast path leaves to it: ECDSA with SHA-384 and a P-384
// CA in intl, ECDSA P-256 in sm.
func suiteSpecificCases(t *testing.T, e *fastEnv, at time.Time) []fastCase {
	t.Helper()
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if e.n == SM {
		intl := newFastEnv(t, Intl)
		return []fastCase{
			{"ECDSA P-256 chain in the sm suite", intl.leaf(t, nil), VerifyOptions{Roots: []*x509.Certificate{intl.roots["ca"]}, At: at, KeyUsages: client}, false, true},
		}
	}
	sha384Leaf := sha384Leaf(t, e, nil)
	device, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := caTemplate("P-384 CA", 1)
	der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, p384.Public(), p384)
	if err != nil {
		t.Fatal(err)
	}
	p384Root, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	der, err = x509.CreateCertificate(rand.Reader, leafTemplate("AB12CD34EF", 8), p384Root, device.Public(), p384)
	if err != nil {
		t.Fatal(err)
	}
	p384Leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return []fastCase{
		{"ECDSA with SHA-384", sha384Leaf, VerifyOptions{Roots: []*x509.Certificate{e.roots["ca"]}, At: at, KeyUsages: client}, false, true},
		{"P-384 CA", p384Leaf, VerifyOptions{Roots: []*x509.Certificate{p384Root}, At: at, KeyUsages: client}, false, true},
	}
}
