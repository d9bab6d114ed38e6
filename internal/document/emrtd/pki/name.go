package pki

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Name is an X.501 distinguished name: its DER encoding, as in the
// certificate, and its decoded attributes.
//
// The attribute values are decoded leniently (a PrintableString holding
// '@' or '_', a T.61 string, a BMPString): real CSCA certificates contain
// such values, and crypto/x509 would refuse some of them. Equality of names
// (Equal) follows RFC 5280 section 7.1 in a simplified form.
type Name struct {
	// Raw is the DER encoding of the Name (an RDNSequence).
	Raw []byte
	// Attributes are the attribute type and value pairs, in order, one RDN
	// after the other (multi-valued RDNs are flattened).
	Attributes []Attribute
}

// Attribute is one AttributeTypeAndValue of a Name.
type Attribute struct {
	Type  asn1.ObjectIdentifier
	Value string
}

type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rawRDNSET is a SET OF AttributeTypeAndValue (encoding/asn1 reads a slice
// type whose name ends in SET as a SET).
type rawRDNSET []rawATV

// ParseName decodes a DER Name.
func ParseName(der []byte) (Name, error) {
	var rdns []rawRDNSET
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil {
		return Name{}, fmt.Errorf("%w: name: %v", ErrMalformed, err)
	}
	if len(rest) != 0 {
		return Name{}, fmt.Errorf("%w: name: trailing data", ErrMalformed)
	}
	n := Name{Raw: der}
	for _, rdn := range rdns {
		for _, atv := range rdn {
			v, err := decodeString(atv.Value)
			if err != nil {
				return Name{}, fmt.Errorf("%w: name attribute %v: %v", ErrMalformed, atv.Type, err)
			}
			n.Attributes = append(n.Attributes, Attribute{Type: atv.Type, Value: v})
		}
	}
	return n, nil
}

// decodeString decodes a directory string of any of the ASN.1 string
// types, without enforcing the character repertoire of PrintableString or
// IA5String.
func decodeString(v asn1.RawValue) (string, error) {
	if v.Class != asn1.ClassUniversal || v.IsCompound {
		return "", fmt.Errorf("value is not a string")
	}
	b := v.Bytes
	switch v.Tag {
	case asn1.TagUTF8String:
		if !utf8.Valid(b) {
			return "", fmt.Errorf("invalid UTF-8")
		}
		return string(b), nil
	case asn1.TagPrintableString, asn1.TagIA5String, asn1.TagNumericString, 26 /* VisibleString */ :
		return latin1(b), nil
	case asn1.TagT61String:
		// Teletex strings in certificates are, in practice, Latin-1.
		return latin1(b), nil
	case asn1.TagBMPString:
		if len(b)%2 != 0 {
			return "", fmt.Errorf("odd-length BMPString")
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(b[2*i:])
		}
		return string(utf16.Decode(u)), nil
	case 28: // UniversalString (UTF-32BE)
		if len(b)%4 != 0 {
			return "", fmt.Errorf("UniversalString length not a multiple of 4")
		}
		var sb strings.Builder
		for i := 0; i < len(b); i += 4 {
			sb.WriteRune(rune(binary.BigEndian.Uint32(b[i:])))
		}
		return sb.String(), nil
	}
	return "", fmt.Errorf("unsupported string type %d", v.Tag)
}

func latin1(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

var oidCountry = asn1.ObjectIdentifier{2, 5, 4, 6}

// Country returns the value of the first countryName attribute, upper
// case, or "".
func (n Name) Country() string {
	for _, a := range n.Attributes {
		if a.Type.Equal(oidCountry) {
			return strings.ToUpper(strings.TrimSpace(a.Value))
		}
	}
	return ""
}

// PKIX returns the name as a crypto/x509/pkix.Name (for its String form
// and common fields).
func (n Name) PKIX() pkix.Name {
	var rdns pkix.RDNSequence
	for _, a := range n.Attributes {
		rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: a.Type, Value: a.Value}})
	}
	var p pkix.Name
	p.FillFromRDNSequence(&rdns)
	return p
}

// String returns the RFC 2253 form of the name, e.g.
// "CN=csca-germany,OU=bsi,O=bund,C=DE".
func (n Name) String() string {
	var rdns pkix.RDNSequence
	for _, a := range n.Attributes {
		rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: a.Type, Value: a.Value}})
	}
	return rdns.String()
}

// Equal reports whether two names are the same distinguished name: equal
// encodings, or the same attribute types in the same order with values
// equal after case folding and whitespace compression (RFC 5280 section
// 7.1, simplified: the encodings of issuing states often differ between a
// CSCA's subject and its document signers' issuer, e.g. PrintableString
// against UTF8String).
func (n Name) Equal(m Name) bool {
	if string(n.Raw) == string(m.Raw) {
		return true
	}
	if len(n.Attributes) != len(m.Attributes) || len(n.Attributes) == 0 {
		return false
	}
	for i := range n.Attributes {
		a, b := n.Attributes[i], m.Attributes[i]
		if !a.Type.Equal(b.Type) || normalise(a.Value) != normalise(b.Value) {
			return false
		}
	}
	return true
}

// Key returns a string that is equal for Equal names that differ only in
// case, spacing or string type; usable as a map key.
func (n Name) Key() string {
	var sb strings.Builder
	for _, a := range n.Attributes {
		sb.WriteString(a.Type.String())
		sb.WriteByte('=')
		sb.WriteString(normalise(a.Value))
		sb.WriteByte(0)
	}
	return sb.String()
}

func normalise(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}
