package emrtd

// Test PKIs: CSCA and document signer certificates built with crypto/x509
// (gmsm's smx509 for SM2, by hand for a key on an unnamed explicit curve).

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/netid/netid/internal/document/emrtd/ecc"
	"github.com/netid/netid/internal/document/emrtd/pki"
)

var (
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSM3    = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}
)

// testPKI is a CSCA and one document signer.
type testPKI struct {
	cscaKey crypto.Signer
	csca    *x509.Certificate
	cscaDER []byte
	dsKey   crypto.Signer
	ds      *x509.Certificate
	dsDER   []byte
	sm2     bool
	// explicitSign, when set, signs digests with a document signer key on
	// a curve given by explicit parameters (see newExplicitCurvePKI).
	explicitSign func(digest []byte) []byte
}

type pkiSpec struct {
	country            string
	cscaFrom, cscaTo   time.Time
	dsFrom, dsTo       time.Time
	dsKey              crypto.Signer // nil: a new P-256 key
	dsSerial           int64
	cscaSubjectKeyID   []byte
	omitAuthorityKeyID bool
}

func defaultPKISpec() pkiSpec {
	return pkiSpec{
		country:  "UT",
		cscaFrom: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		cscaTo:   time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC),
		dsFrom:   time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		dsTo:     time.Date(2035, 4, 1, 0, 0, 0, 0, time.UTC),
		dsSerial: 4242,
	}
}

func mustECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var testRSAKey *rsa.PrivateKey

// rsaKey returns one 2048-bit key shared by the tests (generation is slow).
func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	if testRSAKey == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		testRSAKey = k
	}
	return testRSAKey
}

func newTestPKI(t testing.TB, spec pkiSpec) *testPKI {
	t.Helper()
	cscaKey := mustECKey(t)
	skid := spec.cscaSubjectKeyID
	if skid == nil {
		skid = []byte(fmt.Sprintf("csca-%s-key", spec.country))
	}
	cscaTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Country: []string{spec.country}, Organization: []string{"Utopia"}, CommonName: "CSCA " + spec.country},
		NotBefore:             spec.cscaFrom,
		NotAfter:              spec.cscaTo,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          skid,
	}
	cscaDER, err := x509.CreateCertificate(rand.Reader, cscaTmpl, cscaTmpl, cscaKey.Public(), cscaKey)
	if err != nil {
		t.Fatal(err)
	}
	csca, err := x509.ParseCertificate(cscaDER)
	if err != nil {
		t.Fatal(err)
	}
	dsKey := spec.dsKey
	if dsKey == nil {
		dsKey = mustECKey(t)
	}
	dsTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(spec.dsSerial),
		Subject:      pkix.Name{Country: []string{spec.country}, Organization: []string{"Utopia"}, CommonName: "Document Signer " + spec.country},
		NotBefore:    spec.dsFrom,
		NotAfter:     spec.dsTo,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		SubjectKeyId: []byte("ds-key"),
	}
	parent := csca
	if spec.omitAuthorityKeyID {
		p := *csca
		p.SubjectKeyId = nil
		parent = &p
	}
	dsDER, err := x509.CreateCertificate(rand.Reader, dsTmpl, parent, dsKey.Public(), cscaKey)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := x509.ParseCertificate(dsDER)
	if err != nil {
		t.Fatal(err)
	}
	return &testPKI{cscaKey: cscaKey, csca: csca, cscaDER: cscaDER, dsKey: dsKey, ds: ds, dsDER: dsDER}
}

// newSM2PKI builds an SM2 CSCA and document signer with gmsm's smx509.
func newSM2PKI(t testing.TB) *testPKI {
	t.Helper()
	cscaKey, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dsKey, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spec := defaultPKISpec()
	cscaTmpl := &smx509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Country: []string{"CN"}, CommonName: "CSCA SM2 test"},
		NotBefore:             spec.cscaFrom,
		NotAfter:              spec.cscaTo,
		KeyUsage:              smx509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          []byte("sm2-csca"),
	}
	cscaDER, err := smx509.CreateCertificate(rand.Reader, cscaTmpl, cscaTmpl, cscaKey.Public(), cscaKey)
	if err != nil {
		t.Fatal(err)
	}
	csca, err := smx509.ParseCertificate(cscaDER)
	if err != nil {
		t.Fatal(err)
	}
	dsTmpl := &smx509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{Country: []string{"CN"}, CommonName: "DS SM2 test"},
		NotBefore:    spec.dsFrom,
		NotAfter:     spec.dsTo,
		KeyUsage:     smx509.KeyUsageDigitalSignature,
	}
	dsDER, err := smx509.CreateCertificate(rand.Reader, dsTmpl, csca, dsKey.Public(), cscaKey)
	if err != nil {
		t.Fatal(err)
	}
	// The x509.Certificate views carry only what the SOD builder needs.
	return &testPKI{
		cscaKey: cscaKey, cscaDER: cscaDER,
		csca:  &x509.Certificate{Raw: cscaDER},
		dsKey: dsKey, dsDER: dsDER,
		ds:  &x509.Certificate{Raw: dsDER, RawIssuer: mustIssuer(t, dsDER), SerialNumber: big.NewInt(7)},
		sm2: true,
	}
}

func mustIssuer(t testing.TB, der []byte) []byte {
	t.Helper()
	c, err := pki.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c.Issuer.Raw
}

// trustFor returns a trust store holding only p's CSCA.
func trustFor(t testing.TB, p *testPKI) *TrustStore {
	t.Helper()
	c, err := pki.ParseCertificate(p.cscaDER)
	if err != nil {
		t.Fatal(err)
	}
	s := NewTrustStore()
	if _, err := s.AddCSCA(c, "test CSCA", true); err != nil {
		t.Fatal(err)
	}
	return s
}

// unnamedCurve returns brainpoolP256r1 with 2·G as its generator: a valid
// prime-order group that matches no named curve, so that only the generic
// arithmetic of package ecc can verify on it.
func unnamedCurve(t testing.TB) *ecc.Curve {
	t.Helper()
	b := ecc.BrainpoolP256r1
	gx, gy, ok := b.ScalarBaseMult(big.NewInt(2))
	if !ok {
		t.Fatal("2G is the point at infinity")
	}
	return &ecc.Curve{P: b.P, A: b.A, B: b.B, Gx: gx, Gy: gy, N: b.N, H: big.NewInt(1)}
}

// explicitSPKI encodes an id-ecPublicKey SubjectPublicKeyInfo with
// explicit ECParameters (RFC 3279 section 2.3.5).
func explicitSPKI(t testing.TB, c *ecc.Curve, x, y *big.Int) []byte {
	t.Helper()
	size := c.ByteSize()
	fe := func(v *big.Int) []byte { return v.FillBytes(make([]byte, size)) }
	params := mustMarshal(t, struct {
		Version int
		Field   struct {
			Type  asn1.ObjectIdentifier
			Prime *big.Int
		}
		Curve    struct{ A, B []byte }
		Base     []byte
		Order    *big.Int
		Cofactor *big.Int
	}{
		Version: 1,
		Field: struct {
			Type  asn1.ObjectIdentifier
			Prime *big.Int
		}{asn1.ObjectIdentifier{1, 2, 840, 10045, 1, 1}, c.P},
		Curve:    struct{ A, B []byte }{fe(c.A), fe(c.B)},
		Base:     append(append([]byte{4}, fe(c.Gx)...), fe(c.Gy)...),
		Order:    c.N,
		Cofactor: c.H,
	})
	point := append(append([]byte{4}, fe(x)...), fe(y)...)
	return mustMarshal(t, struct {
		Alg pkix.AlgorithmIdentifier
		Key asn1.BitString
	}{pkix.AlgorithmIdentifier{Algorithm: pki.OIDECPublicKey, Parameters: asn1.RawValue{FullBytes: params}},
		asn1.BitString{Bytes: point, BitLength: 8 * len(point)}})
}

type tbsCertificateASN struct {
	Version    int `asn1:"explicit,tag:0"`
	Serial     *big.Int
	SigAlg     pkix.AlgorithmIdentifier
	Issuer     asn1.RawValue
	Validity   struct{ NotBefore, NotAfter time.Time }
	Subject    asn1.RawValue
	SPKI       asn1.RawValue
	Extensions []pkix.Extension `asn1:"explicit,tag:3"`
}

// newExplicitCurvePKI is newTestPKI with a document signer whose key lies
// on an unnamed curve given by explicit parameters; the certificate is
// assembled by hand, as crypto/x509 cannot.
func newExplicitCurvePKI(t testing.TB) *testPKI {
	t.Helper()
	p := newTestPKI(t, defaultPKISpec())
	c := unnamedCurve(t)
	d, err := rand.Int(rand.Reader, new(big.Int).Sub(c.N, big.NewInt(1)))
	if err != nil {
		t.Fatal(err)
	}
	d.Add(d, big.NewInt(1))
	qx, qy, _ := c.ScalarBaseMult(d)
	spec := defaultPKISpec()
	subject := mustMarshal(t, pkix.Name{Country: []string{spec.country}, CommonName: "Document Signer on an explicit curve"}.ToRDNSequence())
	skid := []byte("explicit-ds")
	tbs := mustMarshal(t, tbsCertificateASN{
		Version: 2, Serial: big.NewInt(5150),
		SigAlg:   pkix.AlgorithmIdentifier{Algorithm: pki.OIDECDSAWithSHA256},
		Issuer:   asn1.RawValue{FullBytes: p.csca.RawSubject},
		Validity: struct{ NotBefore, NotAfter time.Time }{spec.dsFrom, spec.dsTo},
		Subject:  asn1.RawValue{FullBytes: subject},
		SPKI:     asn1.RawValue{FullBytes: explicitSPKI(t, c, qx, qy)},
		Extensions: []pkix.Extension{
			{Id: pki.OIDExtAuthorityKeyID, Value: mustMarshal(t, struct {
				ID []byte `asn1:"tag:0"`
			}{p.csca.SubjectKeyId})},
			{Id: pki.OIDExtSubjectKeyID, Value: mustMarshal(t, skid)},
		},
	})
	h := crypto.SHA256.New()
	h.Write(tbs)
	sig, err := ecdsa.SignASN1(rand.Reader, p.cscaKey.(*ecdsa.PrivateKey), h.Sum(nil))
	if err != nil {
		t.Fatal(err)
	}
	p.dsDER = mustMarshal(t, struct {
		TBS    asn1.RawValue
		SigAlg pkix.AlgorithmIdentifier
		Sig    asn1.BitString
	}{asn1.RawValue{FullBytes: tbs}, pkix.AlgorithmIdentifier{Algorithm: pki.OIDECDSAWithSHA256}, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	p.ds = &x509.Certificate{Raw: p.dsDER, RawIssuer: p.csca.RawSubject, SerialNumber: big.NewInt(5150), SubjectKeyId: skid}
	p.dsKey = nil
	p.explicitSign = func(digest []byte) []byte {
		// Textbook ECDSA (SEC 1 section 4.1.3) on the unnamed curve.
		for {
			k, err := rand.Int(rand.Reader, c.N)
			if err != nil || k.Sign() == 0 {
				continue
			}
			x, _, _ := c.ScalarBaseMult(k)
			r := new(big.Int).Mod(x, c.N)
			if r.Sign() == 0 {
				continue
			}
			s := new(big.Int).Mul(r, d)
			s.Add(s, new(big.Int).SetBytes(digest))
			s.Mul(s, new(big.Int).ModInverse(k, c.N))
			s.Mod(s, c.N)
			if s.Sign() == 0 {
				continue
			}
			return mustMarshal(t, struct{ R, S *big.Int }{r, s})
		}
	}
	return p
}
