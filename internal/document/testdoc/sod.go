package testdoc

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"hash"
	"sort"
	"time"
)

// Object identifiers of the SOD (RFC 5652; ICAO 9303 part 10, 4.6.2).
var (
	oidSignedData       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidLDSSecurityObj   = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}
	oidAttrContentType  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidAttrMsgDigest    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidAttrSigningTime  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	signerInfoVersionIS = 1 // sid is issuerAndSerialNumber
	signerInfoVersionKI = 3 // sid is subjectKeyIdentifier
)

// dataGroupHash and ldsSecurityObject follow ICAO 9303 part 10, 4.6.2.2:
//
//	LDSSecurityObject ::= SEQUENCE {
//	  version LDSSecurityObjectVersion,            -- v0
//	  hashAlgorithm DigestAlgorithmIdentifier,
//	  dataGroupHashValues SEQUENCE SIZE (2..ub-DataGroups) OF DataGroupHash }
type dataGroupHash struct {
	Number int
	Value  []byte
}

type ldsSecurityObject struct {
	Version       int
	HashAlgorithm pkix.AlgorithmIdentifier
	Hashes        []dataGroupHash
}

type encapContentInfo struct {
	EContentType asn1.ObjectIdentifier
	EContent     []byte `asn1:"explicit,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfo
	Certificates     asn1.RawValue   // [0] IMPLICIT CertificateSet, built by hand
	SignerInfos      []asn1.RawValue `asn1:"set"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue // [0] IMPLICIT SET OF Attribute
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial asn1.RawValue
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue // [0] EXPLICIT, built by hand
}

// sodInput is everything one EF.SOD depends on.
type sodInput struct {
	groups      map[int][]byte // data group number → file bytes as on the chip
	signer      *party
	signingTime time.Time
	useSKI      bool // identify the signer by subject key identifier instead of issuer and serial
	flipBit     bool // corrupt the signature (the bad-signature variant)
}

// buildSOD signs the data groups and returns EF.SOD: tag 77 around a CMS
// ContentInfo of SignedData (RFC 5652) version 3 whose encapsulated content
// is the LDSSecurityObject, with one SignerInfo carrying the signed
// attributes contentType, messageDigest and signingTime, and the document
// signer certificate in certificates.
func (iss *Issuer) buildSOD(in sodInput) ([]byte, error) {
	digestAlg, newHash := iss.digestAlgorithm()
	sum := func(b []byte) []byte { return hashOf(newHash, b) }

	numbers := make([]int, 0, len(in.groups))
	for n := range in.groups {
		numbers = append(numbers, n)
	}
	sort.Ints(numbers)
	lso := ldsSecurityObject{Version: 0, HashAlgorithm: digestAlg}
	for _, n := range numbers {
		lso.Hashes = append(lso.Hashes, dataGroupHash{Number: n, Value: sum(in.groups[n])})
	}
	lsoDER, err := asn1.Marshal(lso)
	if err != nil {
		return nil, fmt.Errorf("LDSSecurityObject: %w", err)
	}

	attrs, err := signedAttributes(sum(lsoDER), in.signingTime)
	if err != nil {
		return nil, err
	}
	// The signature covers the DER of the attributes with the SET OF tag
	// (RFC 5652, 5.4), not the [0] IMPLICIT tag they carry in SignerInfo.
	sig, err := iss.sign(in.signer.key, append(derHeader(asn1.TagSet, true, len(attrs)), attrs...))
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if in.flipBit {
		sig = clone(sig)
		sig[len(sig)-1] ^= 0x01 // inside the last integer: the DER stays well formed
	}
	sigAlg, err := iss.signatureAlgorithm()
	if err != nil {
		return nil, err
	}
	si := signerInfo{
		DigestAlgorithm:    digestAlg,
		SignedAttrs:        asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: attrs},
		SignatureAlgorithm: sigAlg,
		Signature:          sig,
	}
	if in.useSKI {
		si.Version = signerInfoVersionKI
		si.SID = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: in.signer.cert.ski}
	} else {
		si.Version = signerInfoVersionIS
		serial, err := asn1.Marshal(in.signer.cert.serial)
		if err != nil {
			return nil, err
		}
		sid, err := asn1.Marshal(issuerAndSerial{
			Issuer: asn1.RawValue{FullBytes: in.signer.cert.rawIssuer},
			Serial: asn1.RawValue{FullBytes: serial},
		})
		if err != nil {
			return nil, err
		}
		si.SID = asn1.RawValue{FullBytes: sid}
	}
	siDER, err := asn1.Marshal(si)
	if err != nil {
		return nil, fmt.Errorf("SignerInfo: %w", err)
	}
	sd := signedData{
		Version:          3, // RFC 5652 5.1: eContentType is not id-data
		DigestAlgorithms: []pkix.AlgorithmIdentifier{digestAlg},
		EncapContentInfo: encapContentInfo{EContentType: oidLDSSecurityObj, EContent: lsoDER},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: in.signer.der},
		SignerInfos:      []asn1.RawValue{{FullBytes: siDER}},
	}
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("SignedData: %w", err)
	}
	ciDER, err := asn1.Marshal(contentInfo{
		ContentType: oidSignedData,
		Content:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: sdDER},
	})
	if err != nil {
		return nil, fmt.Errorf("ContentInfo: %w", err)
	}
	return tlv(tagSOD, ciDER), nil
}

// signedAttributes returns the contents (without tag and length) of the
// DER SET OF Attribute holding contentType, messageDigest and signingTime.
// DER orders the elements of a SET OF by their encodings (X.690, 11.6); the
// signature is computed over exactly this order, so it must be right.
func signedAttributes(digest []byte, signingTime time.Time) ([]byte, error) {
	ct, err := asn1.Marshal(oidLDSSecurityObj)
	if err != nil {
		return nil, err
	}
	md, err := asn1.Marshal(digest)
	if err != nil {
		return nil, err
	}
	// RFC 5652 11.3: UTCTime for dates from 1950 through 2049, which
	// encoding/asn1 chooses by itself for a time.Time.
	st, err := asn1.Marshal(signingTime.UTC().Truncate(time.Second))
	if err != nil {
		return nil, err
	}
	var encoded [][]byte
	for _, a := range []attribute{
		{Type: oidAttrContentType, Values: []asn1.RawValue{{FullBytes: ct}}},
		{Type: oidAttrMsgDigest, Values: []asn1.RawValue{{FullBytes: md}}},
		{Type: oidAttrSigningTime, Values: []asn1.RawValue{{FullBytes: st}}},
	} {
		der, err := asn1.Marshal(a)
		if err != nil {
			return nil, err
		}
		encoded = append(encoded, der)
	}
	sortDERSet(encoded)
	return bytes.Join(encoded, nil), nil
}

// sortDERSet sorts encodings as X.690 11.6 orders a SET OF: ascending as
// octet strings, the shorter one padded at its end with zero octets.
func sortDERSet(elems [][]byte) {
	sort.SliceStable(elems, func(i, j int) bool { return derSetLess(elems[i], elems[j]) })
}

func derSetLess(a, b []byte) bool {
	n := max(len(a), len(b))
	for k := 0; k < n; k++ {
		var x, y byte
		if k < len(a) {
			x = a[k]
		}
		if k < len(b) {
			y = b[k]
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// derHeader returns the identifier and length octets of a universal-class
// DER element.
func derHeader(tag int, compound bool, length int) []byte {
	id := byte(tag)
	if compound {
		id |= 0x20
	}
	switch {
	case length < 0x80:
		return []byte{id, byte(length)}
	case length <= 0xFF:
		return []byte{id, 0x81, byte(length)}
	case length <= 0xFFFF:
		return []byte{id, 0x82, byte(length >> 8), byte(length)}
	default:
		return []byte{id, 0x83, byte(length >> 16), byte(length >> 8), byte(length)}
	}
}

func hashOf(newHash func() hash.Hash, b []byte) []byte {
	h := newHash()
	h.Write(b)
	return h.Sum(nil)
}
