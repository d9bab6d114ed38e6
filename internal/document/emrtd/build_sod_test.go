package emrtd

// Test security objects: the CMS SignedData, signed attributes and
// LDSSecurityObject encoded with encoding/asn1, independently of the
// parsing code under test.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"math/big"
	"sort"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/netid/netid/internal/document/emrtd/pki"
)

// sodSpec says how to build a security object.
type sodSpec struct {
	dataGroups  map[int][]byte
	signingTime time.Time
	// scheme is "ecdsa" (default for EC keys), "rsa", "rsa-pss",
	// "rsa-pss-mgf1-sha1" (MGF1 with SHA-1, salt 0: not expressible with
	// crypto/rsa) or "sm2".
	scheme string
	// wrongMessageDigest signs a messageDigest that is not the content's.
	wrongMessageDigest bool
	// bySubjectKeyID identifies the signer by subject key identifier.
	bySubjectKeyID bool
	ldsVersion     bool
}

type dgHashASN struct {
	Number int
	Hash   []byte
}

type ldsVersionASN struct {
	LDS     string `asn1:"printable"`
	Unicode string `asn1:"printable"`
}

type ldsV0ASN struct {
	Version int
	Alg     pkix.AlgorithmIdentifier
	Hashes  []dgHashASN
}

type ldsV1ASN struct {
	Version int
	Alg     pkix.AlgorithmIdentifier
	Hashes  []dgHashASN
	Info    ldsVersionASN
}

type attrASN struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rawOf(t testing.TB, v any) asn1.RawValue {
	t.Helper()
	return asn1.RawValue{FullBytes: mustMarshal(t, v)}
}

// derSet encodes elements as a DER SET OF (sorted encodings) with tag.
func derSet(tag uint32, elems [][]byte) []byte {
	sort.Slice(elems, func(i, j int) bool { return bytes.Compare(elems[i], elems[j]) < 0 })
	var body []byte
	for _, e := range elems {
		body = append(body, e...)
	}
	return tlvBytes(tag, body)
}

// tlvBytes encodes a DER/BER-TLV with a one- or two-byte tag.
func tlvBytes(tag uint32, value []byte) []byte {
	var out []byte
	if tag > 0xFF {
		out = append(out, byte(tag>>8), byte(tag))
	} else {
		out = append(out, byte(tag))
	}
	n := len(value)
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	case n < 0x10000:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, value...)
}

// buildSecurityObject returns EF.SOD (0x77-wrapped) for the data groups.
func buildSecurityObject(t testing.TB, p *testPKI, spec sodSpec) []byte {
	t.Helper()
	digestOID, hashFn := oidSHA256, crypto.SHA256.New
	if p.sm2 {
		digestOID, hashFn = oidSM3, pki.SM3.New
	}
	sum := func(b []byte) []byte { h := hashFn(); h.Write(b); return h.Sum(nil) }
	var hashes []dgHashASN
	for n := 1; n <= 16; n++ {
		if b, ok := spec.dataGroups[n]; ok {
			hashes = append(hashes, dgHashASN{n, sum(b)})
		}
	}
	alg := pkix.AlgorithmIdentifier{Algorithm: digestOID}
	var content []byte
	if spec.ldsVersion {
		content = mustMarshal(t, ldsV1ASN{1, alg, hashes, ldsVersionASN{"0108", "040000"}})
	} else {
		content = mustMarshal(t, ldsV0ASN{0, alg, hashes})
	}
	return append([]byte(nil), tlvBytes(TagSOD, buildSignedData(t, p, spec, OIDLDSSecurityObject, content, digestOID, sum))...)
}

// buildSignedData returns a DER ContentInfo with a SignedData over content.
func buildSignedData(t testing.TB, p *testPKI, spec sodSpec, contentType asn1.ObjectIdentifier, content []byte,
	digestOID asn1.ObjectIdentifier, sum func([]byte) []byte) []byte {
	t.Helper()
	md := sum(content)
	if spec.wrongMessageDigest {
		md = sum(append(content, 0))
	}
	attrs := [][]byte{
		mustMarshal(t, attrASN{oidContentType, []asn1.RawValue{rawOf(t, contentType)}}),
		mustMarshal(t, attrASN{oidMessageDigest, []asn1.RawValue{rawOf(t, md)}}),
	}
	if !spec.signingTime.IsZero() {
		attrs = append(attrs, mustMarshal(t, attrASN{oidSigningTime, []asn1.RawValue{rawOf(t, spec.signingTime.UTC())}}))
	}
	signedAttrs := derSet(0x31, attrs)
	sigAlg, sig := signForTest(t, p, spec.scheme, signedAttrs)

	var sid asn1.RawValue
	version := 1
	if spec.bySubjectKeyID {
		sid = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: p.ds.SubjectKeyId}
		version = 3
	} else {
		sid = rawOf(t, struct {
			Issuer asn1.RawValue
			Serial *big.Int
		}{asn1.RawValue{FullBytes: p.ds.RawIssuer}, p.ds.SerialNumber})
	}
	signedAttrsImplicit := append([]byte{0xA0}, signedAttrs[1:]...)
	signerInfo := mustMarshal(t, struct {
		Version     int
		SID         asn1.RawValue
		DigestAlg   pkix.AlgorithmIdentifier
		SignedAttrs asn1.RawValue
		SigAlg      pkix.AlgorithmIdentifier
		Signature   []byte
	}{version, sid, pkix.AlgorithmIdentifier{Algorithm: digestOID}, asn1.RawValue{FullBytes: signedAttrsImplicit}, sigAlg, sig})

	eContent := tlvBytes(0xA0, mustMarshal(t, content))
	encap := tlvBytes(0x30, append(mustMarshal(t, contentType), eContent...))
	certs := tlvBytes(0xA0, p.dsDER)
	var sd []byte
	sd = append(sd, mustMarshal(t, 3)...)
	sd = append(sd, derSet(0x31, [][]byte{mustMarshal(t, pkix.AlgorithmIdentifier{Algorithm: digestOID})})...)
	sd = append(sd, encap...)
	sd = append(sd, certs...)
	sd = append(sd, derSet(0x31, [][]byte{signerInfo})...)
	signedData := tlvBytes(0x30, sd)
	return tlvBytes(0x30, append(mustMarshal(t, oidSignedData), tlvBytes(0xA0, signedData)...))
}

// signForTest signs the DER signed attributes with the document signer
// key and returns the SignerInfo signatureAlgorithm and signature.
func signForTest(t testing.TB, p *testPKI, scheme string, signed []byte) (pkix.AlgorithmIdentifier, []byte) {
	t.Helper()
	h := crypto.SHA256.New()
	h.Write(signed)
	digest := h.Sum(nil)
	if p.explicitSign != nil {
		return pkix.AlgorithmIdentifier{Algorithm: pki.OIDECDSAWithSHA256}, p.explicitSign(digest)
	}
	switch scheme {
	case "sm2":
		sig, err := sm2.SignASN1(rand.Reader, p.dsKey.(*sm2.PrivateKey), signed, sm2.DefaultSM2SignerOpts)
		if err != nil {
			t.Fatal(err)
		}
		return pkix.AlgorithmIdentifier{Algorithm: pki.OIDSM2WithSM3}, sig
	case "rsa":
		sig, err := rsa.SignPKCS1v15(rand.Reader, p.dsKey.(*rsa.PrivateKey), crypto.SHA256, digest)
		if err != nil {
			t.Fatal(err)
		}
		return pkix.AlgorithmIdentifier{Algorithm: pki.OIDSHA256WithRSA, Parameters: asn1.NullRawValue}, sig
	case "rsa-pss":
		sig, err := rsa.SignPSS(rand.Reader, p.dsKey.(*rsa.PrivateKey), crypto.SHA256, digest, &rsa.PSSOptions{SaltLength: 32})
		if err != nil {
			t.Fatal(err)
		}
		return pkix.AlgorithmIdentifier{Algorithm: pki.OIDRSASSAPSS, Parameters: pssParams(t, oidSHA256, oidSHA256, 32)}, sig
	case "rsa-pss-mgf1-sha1":
		sig := signPSSManually(t, p.dsKey.(*rsa.PrivateKey), digest, pki.SHA1, 0)
		return pkix.AlgorithmIdentifier{Algorithm: pki.OIDRSASSAPSS, Parameters: pssParams(t, oidSHA256, pki.OIDSHA1, 0)}, sig
	default:
		sig, err := ecdsa.SignASN1(rand.Reader, p.dsKey.(*ecdsa.PrivateKey), digest)
		if err != nil {
			t.Fatal(err)
		}
		return pkix.AlgorithmIdentifier{Algorithm: pki.OIDECDSAWithSHA256}, sig
	}
}

func pssParams(t testing.TB, hash, mgfHash asn1.ObjectIdentifier, salt int) asn1.RawValue {
	t.Helper()
	mgf := pkix.AlgorithmIdentifier{Algorithm: pki.OIDMGF1, Parameters: rawOf(t, pkix.AlgorithmIdentifier{Algorithm: mgfHash})}
	return rawOf(t, struct {
		Hash pkix.AlgorithmIdentifier `asn1:"explicit,tag:0"`
		MGF  pkix.AlgorithmIdentifier `asn1:"explicit,tag:1"`
		Salt int                      `asn1:"explicit,tag:2"`
	}{pkix.AlgorithmIdentifier{Algorithm: hash}, mgf, salt})
}

// signPSSManually is EMSA-PSS-ENCODE (RFC 8017 section 9.1.1) with an
// independent MGF1 hash and a zero salt, then RSASP1 with the raw private
// exponent: a signature crypto/rsa cannot produce.
func signPSSManually(t testing.TB, k *rsa.PrivateKey, mHash []byte, mgfHash *pki.Digest, saltLen int) []byte {
	t.Helper()
	modBits := k.N.BitLen()
	emBits := modBits - 1
	emLen := (emBits + 7) / 8
	hLen := len(mHash)
	salt := make([]byte, saltLen)
	mp := append(append(make([]byte, 8), mHash...), salt...)
	hh := crypto.SHA256.New()
	hh.Write(mp)
	h := hh.Sum(nil)
	db := make([]byte, emLen-hLen-1)
	db[len(db)-saltLen-1] = 0x01
	copy(db[len(db)-saltLen:], salt)
	var mask []byte
	for c := uint32(0); len(mask) < len(db); c++ {
		var ctr [4]byte
		binary.BigEndian.PutUint32(ctr[:], c)
		m := mgfHash.New()
		m.Write(h)
		m.Write(ctr[:])
		mask = m.Sum(mask)
	}
	for i := range db {
		db[i] ^= mask[i]
	}
	db[0] &= 0xff >> uint(8*emLen-emBits)
	em := append(append(db, h...), 0xbc)
	m := new(big.Int).SetBytes(em)
	s := new(big.Int).Exp(m, k.D, k.N)
	return s.FillBytes(make([]byte, (modBits+7)/8))
}
