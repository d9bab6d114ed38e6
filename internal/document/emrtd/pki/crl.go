package pki

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"time"
)

// MaxCRLSize bounds the DER size of a CRL. CSCA CRLs are small (ICAO 9303
// part 12 section 7.2); the bound keeps hostile input cheap.
const MaxCRLSize = 8 << 20

// CRL is an X.509 certificate revocation list (RFC 5280 section 5) issued
// by a CSCA.
type CRL struct {
	Raw            []byte
	RawTBSCertList []byte
	Issuer         Name
	ThisUpdate     time.Time
	// NextUpdate is zero when the CRL does not say.
	NextUpdate time.Time
	// Revoked holds the serial numbers of the revoked certificates, keyed
	// by their decimal string.
	Revoked        map[string]time.Time
	AuthorityKeyID []byte

	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
}

type crlASN struct {
	TBS                asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
}

type tbsCertListASN struct {
	Version            int `asn1:"optional"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Issuer             asn1.RawValue
	ThisUpdate         time.Time
	NextUpdate         time.Time        `asn1:"optional"`
	Revoked            []revokedASN     `asn1:"optional"`
	Extensions         []pkix.Extension `asn1:"optional,explicit,tag:0"`
}

type revokedASN struct {
	Serial     asn1.RawValue
	Date       time.Time
	Extensions []pkix.Extension `asn1:"optional"`
}

// ParseCRL decodes a DER CRL. It does not verify the signature: see
// CheckSignatureFrom.
func ParseCRL(der []byte) (*CRL, error) {
	if len(der) > MaxCRLSize {
		return nil, fmt.Errorf("%w: CRL of %d bytes", ErrMalformed, len(der))
	}
	var outer crlASN
	rest, err := asn1.Unmarshal(der, &outer)
	if err != nil {
		return nil, fmt.Errorf("%w: CRL: %v", ErrMalformed, err)
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: CRL: trailing data", ErrMalformed)
	}
	var tbs tbsCertListASN
	if rest, err := asn1.Unmarshal(outer.TBS.FullBytes, &tbs); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: tbsCertList: %v", ErrMalformed, err)
	}
	if !tbs.SignatureAlgorithm.Algorithm.Equal(outer.SignatureAlgorithm.Algorithm) {
		return nil, fmt.Errorf("%w: CRL signature algorithms differ", ErrMalformed)
	}
	if outer.Signature.BitLength%8 != 0 {
		return nil, fmt.Errorf("%w: CRL signature is not a whole number of bytes", ErrMalformed)
	}
	c := &CRL{
		Raw:                der,
		RawTBSCertList:     outer.TBS.FullBytes,
		ThisUpdate:         tbs.ThisUpdate,
		NextUpdate:         tbs.NextUpdate,
		Revoked:            map[string]time.Time{},
		SignatureAlgorithm: outer.SignatureAlgorithm,
		Signature:          outer.Signature.Bytes,
	}
	if c.Issuer, err = ParseName(tbs.Issuer.FullBytes); err != nil {
		return nil, fmt.Errorf("CRL issuer: %w", err)
	}
	for _, r := range tbs.Revoked {
		serial, err := integer(r.Serial)
		if err != nil {
			return nil, fmt.Errorf("%w: CRL entry serial: %v", ErrMalformed, err)
		}
		c.Revoked[serial.String()] = r.Date
	}
	for _, e := range tbs.Extensions {
		if e.Id.Equal(OIDExtAuthorityKeyID) {
			var aki authorityKeyIDASN
			if err := unmarshalExact(e.Value, &aki); err != nil {
				return nil, fmt.Errorf("%w: CRL authority key identifier: %v", ErrMalformed, err)
			}
			c.AuthorityKeyID = aki.KeyID
		}
	}
	return c, nil
}

// IsRevoked reports whether the CRL lists the serial number.
func (c *CRL) IsRevoked(serial *big.Int) bool {
	_, ok := c.Revoked[serial.String()]
	return ok
}

// CheckSignatureFrom verifies that issuer's key signed the CRL.
func (c *CRL) CheckSignatureFrom(issuer *Certificate) error {
	alg, err := ResolveSignatureAlgorithm(c.SignatureAlgorithm, nil)
	if err != nil {
		return err
	}
	if issuer.PublicKey == nil {
		return fmt.Errorf("%w: issuer key: %v", ErrUnsupportedAlgorithm, issuer.PublicKeyErr)
	}
	return VerifySignature(issuer.PublicKey, alg, c.RawTBSCertList, c.Signature)
}
