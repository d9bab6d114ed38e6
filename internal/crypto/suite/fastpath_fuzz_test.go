package suite

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// FuzzVerifyChainFastPath checks that whatever VerifyChain's fast path
// accepts, the library accepts with the same chain, and that VerifyChain
// answers as the library does. The fuzzer mutates the TBSCertificate of a
// leaf, which the test then signs with the CA key, so that the mutated
// leaves carry valid signatures and reach every check of the fast path
// (validity, extensions, EKU, issuer, algorithms); it also picks the
// algorithm of the outer signature, the roots (CA certificates for the same
// key that differ in one property: EKU, name constraints, validity, basic
// constraints, key usage, SKID, policy constraints, critical extensions,
// a second CA with the same name), the usages asked and the time.
func FuzzVerifyChainFastPath(f *testing.F) {
	envs := map[Name]*fastEnv{Intl: newFastEnv(f, Intl), SM: newFastEnv(f, SM)}
	type sigAlg struct {
		n     Name
		hash  crypto.Hash
		algID []byte // the outer AlgorithmIdentifier, DER
	}
	var algs []sigAlg
	seedTBS := map[int][][]byte{}
	for _, a := range []struct {
		n    Name
		hash crypto.Hash
	}{{Intl, crypto.SHA256}, {Intl, crypto.SHA384}, {SM, 0}} {
		e := envs[a.n]
		var leaves []*x509.Certificate
		mods := []func(*x509.Certificate){
			nil,
			func(c *x509.Certificate) { c.ExtKeyUsage = nil },
			func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} },
			func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageAny} },
			func(c *x509.Certificate) {
				c.UnknownExtKeyUsage = []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 99999, 2}}
			},
			func(c *x509.Certificate) {
				c.ExtraExtensions = []pkix.Extension{{Id: oidUnknownCritical, Critical: true, Value: []byte{5, 0}}}
			},
			func(c *x509.Certificate) {
				c.ExtraExtensions = []pkix.Extension{{Id: oidPolicyConstraints, Critical: true, Value: requireExplicitPolicyZero}}
			},
			func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"example.org"} },
			func(c *x509.Certificate) { c.DNSNames = []string{"a.example.com"} },
			func(c *x509.Certificate) { c.BasicConstraintsValid, c.IsCA = true, true },
			func(c *x509.Certificate) {
				c.NotBefore, c.NotAfter = certEpoch.AddDate(2, 0, 0), certEpoch.AddDate(3, 0, 0)
			},
		}
		for _, mod := range mods {
			if a.hash == crypto.SHA384 {
				leaves = append(leaves, sha384Leaf(f, e, mod))
			} else {
				leaves = append(leaves, e.leaf(f, mod))
			}
		}
		leaves = append(leaves, e.leafUnder(f, e.roots["other name"], nil))
		algID, err := outerAlgorithm(leaves[0].Raw)
		if err != nil {
			f.Fatal(err)
		}
		algs = append(algs, sigAlg{a.n, a.hash, algID})
		for _, l := range leaves {
			seedTBS[len(algs)-1] = append(seedTBS[len(algs)-1], l.RawTBSCertificate)
		}
	}
	const sixMonths = 24 * 182
	for alg, tbss := range seedTBS {
		for i, tbs := range tbss {
			f.Add(tbs, uint8(alg), uint8(i), uint8(i), int16(sixMonths), i == 3)
			f.Add(tbs, uint8(alg), uint8(0), uint8(0), int16(sixMonths), false)
		}
	}
	usages := [][]x509.ExtKeyUsage{
		{x509.ExtKeyUsageClientAuth},
		{x509.ExtKeyUsageAny},
		{x509.ExtKeyUsageServerAuth},
		{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		{x509.ExtKeyUsageCodeSigning, x509.ExtKeyUsageAny},
	}

	f.Fuzz(func(t *testing.T, tbs []byte, alg, rootSel, usageSel uint8, hours int16, flipSig bool) {
		a := algs[int(alg)%len(algs)]
		e := envs[a.n]
		var sig []byte
		var err error
		if a.n == SM {
			sig, err = e.s.Sign(rand.Reader, e.rootKey, tbs)
		} else {
			h := a.hash.New()
			h.Write(tbs)
			sig, err = e.rootKey.Sign(rand.Reader, h.Sum(nil), a.hash)
		}
		if err != nil {
			return // SM2 refuses to sign an empty message, which no certificate is
		}
		if flipSig {
			sig[len(sig)/2] ^= 1
		}
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddBytes(tbs)
			b.AddBytes(a.algID)
			b.AddASN1BitString(sig)
		})
		der, err := b.Bytes()
		if err != nil {
			return
		}
		leaf, err := e.s.ParseCertificate(der)
		if err != nil {
			return
		}
		checkFastPath(t, e.n, leaf, VerifyOptions{
			Roots:     e.rootSets[int(rootSel)%len(e.rootSets)],
			At:        certEpoch.Add(time.Duration(hours) * time.Hour),
			KeyUsages: usages[int(usageSel)%len(usages)],
		})
	})
}

// sha384Leaf is e.leaf signed with ECDSA and SHA-384, which the intl suite
// never issues but crypto/x509 verifies.
func sha384Leaf(t testing.TB, e *fastEnv, mod func(*x509.Certificate)) *x509.Certificate {
	t.Helper()
	return e.newLeaf(t, mod, func(tmpl *x509.Certificate, pub crypto.PublicKey) ([]byte, error) {
		tmpl.SignatureAlgorithm = x509.ECDSAWithSHA384
		return x509.CreateCertificate(rand.Reader, tmpl, e.roots["ca"], pub, e.rootKey)
	}, x509.ParseCertificate)
}

// outerAlgorithm returns the signatureAlgorithm AlgorithmIdentifier of a
// certificate, DER.
func outerAlgorithm(der []byte) ([]byte, error) {
	var cert, alg cryptobyte.String
	in := cryptobyte.String(der)
	if !in.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.SkipASN1(cbasn1.SEQUENCE) || !cert.ReadASN1Element(&alg, cbasn1.SEQUENCE) {
		return nil, errors.New("malformed certificate")
	}
	return alg, nil
}
