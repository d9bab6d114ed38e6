package testdoc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// fixedNow is the clock of most tests: results must not depend on the day
// the tests run.
var fixedNow = time.Date(2026, time.March, 15, 10, 30, 0, 0, time.UTC)

func fixedClock() time.Time { return fixedNow }

// testIssuers are created once per suite: key generation is the slow part.
var testIssuers = map[string]*Issuer{}

func issuerFor(t *testing.T, name string) *Issuer {
	t.Helper()
	if iss, ok := testIssuers[name]; ok {
		return iss
	}
	var opts []Option
	suite := name
	if name == "intl-rsapss" {
		suite = SuiteIntl
		opts = append(opts, WithRSAPSS())
	}
	iss, err := NewIssuer(suite, "CN", append(opts, WithClock(fixedClock))...)
	if err != nil {
		t.Fatalf("NewIssuer(%q): %v", name, err)
	}
	testIssuers[name] = iss
	return iss
}

// readTLV splits one BER-TLV object with a one- or two-byte tag (two when
// the low five bits of the first are all set) into tag, value and rest.
func readTLV(b []byte) (tag int, value, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errors.New("short TLV")
	}
	tag = int(b[0])
	i := 1
	if b[0]&0x1F == 0x1F {
		tag = tag<<8 | int(b[1])
		i = 2
	}
	if i >= len(b) {
		return 0, nil, nil, errors.New("no length")
	}
	n := int(b[i])
	i++
	if n >= 0x80 {
		k := n & 0x7F
		if k == 0 || k > 3 || i+k > len(b) {
			return 0, nil, nil, fmt.Errorf("bad length form %#x", n)
		}
		n = 0
		for _, c := range b[i : i+k] {
			n = n<<8 | int(c)
		}
		i += k
	}
	if i+n > len(b) {
		return 0, nil, nil, fmt.Errorf("length %d overruns %d bytes", n, len(b)-i)
	}
	return tag, b[i : i+n], b[i+n:], nil
}

// mustTLV reads a TLV that must have the given tag and nothing after it.
func mustTLV(t *testing.T, b []byte, want int) []byte {
	t.Helper()
	tag, v, rest, err := readTLV(b)
	if err != nil {
		t.Fatalf("TLV %#x: %v", want, err)
	}
	if tag != want || len(rest) != 0 {
		t.Fatalf("TLV: got tag %#x with %d trailing bytes, want %#x alone", tag, len(rest), want)
	}
	return v
}

// tlvChildren splits a constructed value into its data objects by tag.
func tlvChildren(t *testing.T, b []byte) map[int][]byte {
	t.Helper()
	out := map[int][]byte{}
	for len(b) > 0 {
		tag, v, rest, err := readTLV(b)
		if err != nil {
			t.Fatalf("TLV children: %v", err)
		}
		out[tag] = v
		b = rest
	}
	return out
}

// parsedSOD is an EF.SOD read back with encoding/asn1 alone.
type parsedSOD struct {
	sd        signedData
	lso       ldsSecurityObject
	eContent  []byte
	si        signerInfo
	attrs     []attribute // in encoded order
	attrElems [][]byte    // the DER of each attribute, in encoded order
	cert      *smx509.Certificate
}

func parseSOD(t *testing.T, sod []byte) parsedSOD {
	t.Helper()
	var p parsedSOD
	var ci contentInfo
	rest, err := asn1.Unmarshal(mustTLV(t, sod, tagSOD), &ci)
	if err != nil || len(rest) != 0 {
		t.Fatalf("ContentInfo: %v (%d trailing bytes)", err, len(rest))
	}
	if !ci.ContentType.Equal(oidSignedData) {
		t.Fatalf("contentType: got %v, want %v", ci.ContentType, oidSignedData)
	}
	if ci.Content.Class != asn1.ClassContextSpecific || ci.Content.Tag != 0 {
		t.Fatalf("content: got class %d tag %d, want [0]", ci.Content.Class, ci.Content.Tag)
	}
	if rest, err = asn1.Unmarshal(ci.Content.Bytes, &p.sd); err != nil || len(rest) != 0 {
		t.Fatalf("SignedData: %v", err)
	}
	p.eContent = p.sd.EncapContentInfo.EContent
	if rest, err = asn1.Unmarshal(p.eContent, &p.lso); err != nil || len(rest) != 0 {
		t.Fatalf("LDSSecurityObject: %v", err)
	}
	if len(p.sd.SignerInfos) != 1 {
		t.Fatalf("signerInfos: got %d, want 1", len(p.sd.SignerInfos))
	}
	if _, err = asn1.Unmarshal(p.sd.SignerInfos[0].FullBytes, &p.si); err != nil {
		t.Fatalf("SignerInfo: %v", err)
	}
	for b := p.si.SignedAttrs.Bytes; len(b) > 0; {
		var a attribute
		r, err := asn1.Unmarshal(b, &a)
		if err != nil {
			t.Fatalf("signed attribute: %v", err)
		}
		p.attrElems = append(p.attrElems, b[:len(b)-len(r)])
		p.attrs = append(p.attrs, a)
		b = r
	}
	if p.sd.Certificates.Class != asn1.ClassContextSpecific || p.sd.Certificates.Tag != 0 {
		t.Fatalf("certificates: got class %d tag %d, want [0]", p.sd.Certificates.Class, p.sd.Certificates.Tag)
	}
	if p.cert, err = smx509.ParseCertificate(p.sd.Certificates.Bytes); err != nil {
		t.Fatalf("certificates: %v", err)
	}
	return p
}

// signedAttrsDER is what the signature covers: the attributes with the
// SET OF tag.
func (p parsedSOD) signedAttrsDER() []byte {
	return append(derHeader(asn1.TagSet, true, len(p.si.SignedAttrs.Bytes)), p.si.SignedAttrs.Bytes...)
}

// verifySignature checks the SignerInfo signature with the public key of
// the certificate in the SOD, using crypto/ecdsa, crypto/rsa or gmsm's sm2
// directly rather than any code of this package.
func (p parsedSOD) verifySignature() error {
	msg := p.signedAttrsDER()
	switch pub := p.cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if sm2.IsSM2PublicKey(pub) {
			if !p.si.SignatureAlgorithm.Algorithm.Equal(oidSM2WithSM3) {
				return fmt.Errorf("SM2 key with signature algorithm %v", p.si.SignatureAlgorithm.Algorithm)
			}
			if !sm2.VerifyASN1WithSM2(pub, nil, msg, p.si.Signature) {
				return errors.New("SM2 signature does not verify")
			}
			return nil
		}
		sum := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(pub, sum[:], p.si.Signature) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	case *rsa.PublicKey:
		sum := sha256.Sum256(msg)
		return rsa.VerifyPSS(pub, crypto.SHA256, sum[:], p.si.Signature, &rsa.PSSOptions{SaltLength: 32})
	default:
		return fmt.Errorf("unexpected key %T", pub)
	}
}

// digest hashes with the algorithm the LDSSecurityObject names.
func (p parsedSOD) digest(t *testing.T, b []byte) []byte {
	t.Helper()
	switch alg := p.lso.HashAlgorithm.Algorithm; {
	case alg.Equal(oidSHA256):
		s := sha256.Sum256(b)
		return s[:]
	case alg.Equal(oidSM3):
		s := sm3.Sum(b)
		return s[:]
	default:
		t.Fatalf("hash algorithm %v", alg)
		return nil
	}
}
