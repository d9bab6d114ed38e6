package emrtd

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"

	"github.com/netid/netid/internal/document/emrtd/pki"
)

// Object identifiers of CMS (RFC 5652) and the ICAO/BSI content types.
var (
	oidSignedData    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}

	// OIDLDSSecurityObject is id-icao-mrtd-security-ldsSecurityObject (ICAO
	// 9303 part 10 section 4.6.2.1), the content of EF.SOD.
	OIDLDSSecurityObject = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 1}
	// OIDCscaMasterList is id-icao-cscaMasterList (ICAO 9303 part 12
	// section 9).
	OIDCscaMasterList = asn1.ObjectIdentifier{2, 23, 136, 1, 1, 2}
	// OIDSecurityObject is id-SecurityObject (BSI TR-03110 part 3 section
	// A.1.2.5), the content of EF.CardSecurity.
	OIDSecurityObject = asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 3, 2, 1}
)

// maxSignedDataCertificates bounds the certificates carried in one
// SignedData: a SOD carries its document signer, a master list its signer
// and perhaps that signer's CSCA.
const maxSignedDataCertificates = 16

// SignedData is a CMS SignedData (RFC 5652 section 5) as used by EF.SOD,
// EF.CardSecurity and CSCA master lists.
type SignedData struct {
	// ContentType is the eContentType of the encapsulated content.
	ContentType asn1.ObjectIdentifier
	// Content is the eContent octets: the signed document.
	Content []byte
	// Certificates are the certificates carried in the SignedData.
	Certificates []*pki.Certificate
	// Signer is the one SignerInfo.
	Signer *SignerInfo
}

// SignerInfo is a CMS SignerInfo (RFC 5652 section 5.3).
type SignerInfo struct {
	Version int
	// IssuerName and SerialNumber identify the signer's certificate when
	// sid is an IssuerAndSerialNumber; SubjectKeyID when it is a
	// SubjectKeyIdentifier.
	IssuerName   *pki.Name
	SerialNumber *big.Int
	SubjectKeyID []byte

	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte

	// SignedAttributes is the DER of the signed attributes re-tagged as a
	// SET (0x31): the bytes the signature covers (RFC 5652 section 5.4).
	SignedAttributes []byte
	// ContentType and MessageDigest are the values of the mandatory
	// signed attributes.
	ContentType   asn1.ObjectIdentifier
	MessageDigest []byte
	// SigningTime is the signingTime attribute; zero when absent.
	SigningTime time.Time
}

type contentInfoASN struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type signedDataASN struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo encapContentInfoASN
	Certificates     asn1.RawValue   `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue   `asn1:"optional,tag:1"`
	SignerInfos      []asn1.RawValue `asn1:"set"`
}

type encapContentInfoASN struct {
	EContentType asn1.ObjectIdentifier
	EContent     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type signerInfoASN struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerialASN struct {
	Issuer asn1.RawValue
	Serial asn1.RawValue
}

type attributeASN struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

// ParseSignedData decodes a DER ContentInfo holding a SignedData with
// encapsulated content and exactly one signer.
func ParseSignedData(der []byte) (*SignedData, error) {
	var ci contentInfoASN
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return nil, malformed("CMS ContentInfo: %v", err)
	}
	if len(rest) != 0 {
		return nil, malformed("CMS ContentInfo: %d bytes of trailing data", len(rest))
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, malformed("CMS content type %v is not signedData", ci.ContentType)
	}
	var sd signedDataASN
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) != 0 {
		return nil, malformed("CMS SignedData: %v", err)
	}
	if sd.Version < 1 || sd.Version > 5 {
		return nil, malformed("CMS SignedData version %d", sd.Version)
	}
	out := &SignedData{ContentType: sd.EncapContentInfo.EContentType}
	if len(sd.EncapContentInfo.EContent.FullBytes) == 0 {
		return nil, malformed("CMS SignedData without encapsulated content")
	}
	if rest, err := asn1.Unmarshal(sd.EncapContentInfo.EContent.Bytes, &out.Content); err != nil || len(rest) != 0 {
		return nil, malformed("CMS eContent is not a DER OCTET STRING")
	}
	if len(sd.Certificates.FullBytes) != 0 {
		if out.Certificates, err = parseCertificateSet(sd.Certificates.Bytes); err != nil {
			return nil, err
		}
	}
	if len(sd.SignerInfos) != 1 {
		return nil, malformed("CMS SignedData has %d signers, want 1", len(sd.SignerInfos))
	}
	if out.Signer, err = parseSignerInfo(sd.SignerInfos[0].FullBytes); err != nil {
		return nil, err
	}
	return out, nil
}

// parseCertificateSet decodes CertificateChoices, keeping the X.509
// certificates (SEQUENCE) and refusing the obsolete and other formats.
func parseCertificateSet(b []byte) ([]*pki.Certificate, error) {
	var certs []*pki.Certificate
	for len(b) > 0 {
		if len(certs) >= maxSignedDataCertificates {
			return nil, malformed("CMS SignedData carries more than %d certificates", maxSignedDataCertificates)
		}
		var raw asn1.RawValue
		var err error
		if b, err = asn1.Unmarshal(b, &raw); err != nil {
			return nil, malformed("CMS certificates: %v", err)
		}
		if raw.Class != asn1.ClassUniversal || raw.Tag != asn1.TagSequence {
			return nil, malformed("CMS certificates: choice [%d] is not an X.509 certificate", raw.Tag)
		}
		c, err := pki.ParseCertificate(raw.FullBytes)
		if err != nil {
			return nil, fmt.Errorf("CMS certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

func parseSignerInfo(der []byte) (*SignerInfo, error) {
	var si signerInfoASN
	if rest, err := asn1.Unmarshal(der, &si); err != nil || len(rest) != 0 {
		return nil, malformed("CMS SignerInfo: %v", err)
	}
	out := &SignerInfo{
		Version:            si.Version,
		DigestAlgorithm:    si.DigestAlgorithm,
		SignatureAlgorithm: si.SignatureAlgorithm,
		Signature:          si.Signature,
	}
	switch {
	case si.SID.Class == asn1.ClassUniversal && si.SID.Tag == asn1.TagSequence:
		var ias issuerAndSerialASN
		if rest, err := asn1.Unmarshal(si.SID.FullBytes, &ias); err != nil || len(rest) != 0 {
			return nil, malformed("CMS SignerInfo issuerAndSerialNumber: %v", err)
		}
		name, err := pki.ParseName(ias.Issuer.FullBytes)
		if err != nil {
			return nil, fmt.Errorf("CMS SignerInfo issuer: %w", err)
		}
		out.IssuerName = &name
		if out.SerialNumber, err = pkiInteger(ias.Serial); err != nil {
			return nil, malformed("CMS SignerInfo serial number: %v", err)
		}
	case si.SID.Class == asn1.ClassContextSpecific && si.SID.Tag == 0 && !si.SID.IsCompound:
		out.SubjectKeyID = si.SID.Bytes
	default:
		return nil, malformed("CMS SignerInfo: unknown signer identifier")
	}
	if len(si.SignedAttrs.FullBytes) == 0 {
		// ICAO 9303 part 10 section 4.6.2.2 makes signed attributes
		// mandatory; without them the signature would cover the content
		// directly and no content type would be bound.
		return nil, malformed("CMS SignerInfo without signed attributes")
	}
	if !si.SignedAttrs.IsCompound {
		return nil, malformed("CMS signed attributes are not constructed")
	}
	// The signature covers the DER of the SET OF Attribute: the bytes as
	// read, with the [0] IMPLICIT tag replaced by the SET tag.
	out.SignedAttributes = append([]byte{0x31}, si.SignedAttrs.FullBytes[1:]...)
	if err := out.parseSignedAttributes(si.SignedAttrs.Bytes); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *SignerInfo) parseSignedAttributes(b []byte) error {
	seen := map[string]bool{}
	for len(b) > 0 {
		var a attributeASN
		var err error
		if b, err = asn1.Unmarshal(b, &a); err != nil {
			return malformed("CMS signed attribute: %v", err)
		}
		id := a.Type.String()
		single := a.Type.Equal(oidContentType) || a.Type.Equal(oidMessageDigest) || a.Type.Equal(oidSigningTime)
		if single {
			// RFC 5652 section 5.3: one instance, one value.
			if seen[id] || len(a.Values) != 1 {
				return malformed("CMS signed attribute %s must occur once with one value", id)
			}
			seen[id] = true
		}
		switch {
		case a.Type.Equal(oidContentType):
			if err := unmarshalExact(a.Values[0].FullBytes, &s.ContentType); err != nil {
				return malformed("CMS contentType attribute: %v", err)
			}
		case a.Type.Equal(oidMessageDigest):
			if err := unmarshalExact(a.Values[0].FullBytes, &s.MessageDigest); err != nil {
				return malformed("CMS messageDigest attribute: %v", err)
			}
		case a.Type.Equal(oidSigningTime):
			if err := unmarshalExact(a.Values[0].FullBytes, &s.SigningTime); err != nil {
				return malformed("CMS signingTime attribute: %v", err)
			}
		}
	}
	if !seen[oidContentType.String()] || !seen[oidMessageDigest.String()] {
		return malformed("CMS signed attributes lack contentType or messageDigest")
	}
	return nil
}

func unmarshalExact(der []byte, v any) error {
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("trailing data")
	}
	return nil
}

// pkiInteger decodes an INTEGER of any sign, tolerating non-minimal
// encodings (serial numbers in the wild have them).
func pkiInteger(v asn1.RawValue) (*big.Int, error) {
	if v.Class != asn1.ClassUniversal || v.Tag != asn1.TagInteger || len(v.Bytes) == 0 || len(v.Bytes) > 64 {
		return nil, fmt.Errorf("not an INTEGER")
	}
	n := new(big.Int).SetBytes(v.Bytes)
	if v.Bytes[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(v.Bytes))))
	}
	return n, nil
}

// SignerCertificate returns the certificate among sd.Certificates that the
// SignerInfo's sid designates.
func (sd *SignedData) SignerCertificate() (*pki.Certificate, error) {
	s := sd.Signer
	for _, c := range sd.Certificates {
		switch {
		case s.IssuerName != nil:
			if c.SerialNumber.Cmp(s.SerialNumber) == 0 && c.Issuer.Equal(*s.IssuerName) {
				return c, nil
			}
		case len(c.SubjectKeyID) > 0 && bytes.Equal(c.SubjectKeyID, s.SubjectKeyID):
			return c, nil
		}
	}
	return nil, malformed("the signer's certificate is not in the SignedData")
}

// SignatureCheck is the outcome of checking a SignedData's own signature.
type SignatureCheck struct {
	Signer    *pki.Certificate
	Digest    *pki.Digest
	Algorithm pki.SignatureAlgorithm
}

// VerifySignature checks the SignedData's signature with the key of its
// signer certificate: the contentType attribute equals eContentType, the
// messageDigest attribute equals the digest of eContent (else
// ErrDigestMismatch), and the signature over the signed attributes
// verifies (else ErrSignatureInvalid). It does not check the signer
// certificate's chain or validity.
func (sd *SignedData) VerifySignature() (*SignatureCheck, error) {
	s := sd.Signer
	cert, err := sd.SignerCertificate()
	if err != nil {
		return nil, err
	}
	if !s.ContentType.Equal(sd.ContentType) {
		return nil, malformed("contentType attribute %v differs from eContentType %v", s.ContentType, sd.ContentType)
	}
	digest, err := pki.DigestFromAlgorithm(s.DigestAlgorithm)
	if err != nil {
		return nil, fmt.Errorf("CMS digest algorithm: %w", err)
	}
	if got := digest.Sum(sd.Content); !bytes.Equal(got, s.MessageDigest) {
		return nil, fmt.Errorf("%w: %s of the content is %X, the signed messageDigest attribute is %X",
			ErrDigestMismatch, digest, got, s.MessageDigest)
	}
	alg, err := pki.ResolveSignatureAlgorithm(s.SignatureAlgorithm, digest)
	if err != nil {
		return nil, fmt.Errorf("CMS signature algorithm: %w", err)
	}
	if cert.PublicKey == nil {
		return nil, fmt.Errorf("signer key: %w", cert.PublicKeyErr)
	}
	if err := pki.VerifySignature(cert.PublicKey, alg, s.SignedAttributes, s.Signature); err != nil {
		return nil, fmt.Errorf("signature by %s: %w", cert.Subject, err)
	}
	return &SignatureCheck{Signer: cert, Digest: digest, Algorithm: alg}, nil
}
