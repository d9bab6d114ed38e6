package pki

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"time"
)

type authorityKeyIDASN struct {
	KeyID        []byte        `asn1:"optional,tag:0"`
	Issuer       asn1.RawValue `asn1:"optional,tag:1"`
	SerialNumber asn1.RawValue `asn1:"optional,tag:2"`
}

type privateKeyUsagePeriodASN struct {
	NotBefore time.Time `asn1:"optional,tag:0,generalized"`
	NotAfter  time.Time `asn1:"optional,tag:1,generalized"`
}

// parseExtensions interprets the extensions that chain building and the
// report need. A malformed known extension is an error; duplicates are
// refused (RFC 5280 section 4.2).
func (c *Certificate) parseExtensions() error {
	seen := map[string]bool{}
	for _, e := range c.Extensions {
		id := e.Id.String()
		if seen[id] {
			return fmt.Errorf("%w: duplicate extension %s", ErrMalformed, id)
		}
		seen[id] = true
		var err error
		switch {
		case e.Id.Equal(OIDExtSubjectKeyID):
			err = unmarshalExact(e.Value, &c.SubjectKeyID)
		case e.Id.Equal(OIDExtAuthorityKeyID):
			var aki authorityKeyIDASN
			if err = unmarshalExact(e.Value, &aki); err == nil {
				c.AuthorityKeyID = aki.KeyID
			}
		case e.Id.Equal(OIDExtBasicConstraints):
			c.IsCA, err = parseBasicConstraints(e.Value)
			c.BasicConstraintsValid = err == nil
		case e.Id.Equal(OIDExtKeyUsage):
			var bits asn1.BitString
			if err = unmarshalExact(e.Value, &bits); err == nil {
				c.KeyUsagePresent = true
				for i := 0; i < 9; i++ {
					if bits.At(i) != 0 {
						c.KeyUsage |= x509.KeyUsage(1 << uint(i))
					}
				}
			}
		case e.Id.Equal(OIDExtPrivateKeyUsagePeriod):
			var p privateKeyUsagePeriodASN
			if err = unmarshalExact(e.Value, &p); err == nil {
				c.PrivateKeyNotBefore, c.PrivateKeyNotAfter = p.NotBefore, p.NotAfter
			}
		default:
			if e.Critical {
				c.UnhandledCriticalExtensions = append(c.UnhandledCriticalExtensions, e.Id)
			}
		}
		if err != nil {
			return fmt.Errorf("%w: extension %s: %v", ErrMalformed, id, err)
		}
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

// parseBasicConstraints returns the cA flag of a BasicConstraints value
// (RFC 5280 section 4.2.1.9). It accepts a BER BOOLEAN (any non-zero
// octet is true): at least one CSCA in the German master list encodes
// TRUE as 0x01, which DER forbids.
func parseBasicConstraints(der []byte) (bool, error) {
	var seq asn1.RawValue
	if err := unmarshalExact(der, &seq); err != nil {
		return false, err
	}
	if seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence || !seq.IsCompound {
		return false, fmt.Errorf("not a SEQUENCE")
	}
	rest := seq.Bytes
	isCA := false
	if len(rest) > 0 && rest[0] == asn1.TagBoolean {
		var b asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &b); err != nil {
			return false, err
		}
		if len(b.Bytes) != 1 {
			return false, fmt.Errorf("BOOLEAN of %d bytes", len(b.Bytes))
		}
		isCA = b.Bytes[0] != 0
	}
	if len(rest) > 0 {
		var pathLen asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &pathLen); err != nil {
			return false, err
		}
		if pathLen.Tag != asn1.TagInteger || len(rest) != 0 {
			return false, fmt.Errorf("unexpected content")
		}
	}
	return isCA, nil
}
