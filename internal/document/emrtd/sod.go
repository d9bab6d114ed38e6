package emrtd

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"sort"

	"github.com/netid/netid/internal/document/emrtd/pki"
)

// MaxSODSize bounds the size of an EF.SOD or EF.CardSecurity file. Real
// ones are 1.5 to 5 KiB.
const MaxSODSize = 64 << 10

// SOD is a parsed document security object: EF.SOD (ICAO 9303 part 10
// section 4.6.2), whose signed content is an LDSSecurityObject, or
// EF.CardSecurity (BSI TR-03110 part 3 section A.1.2.5), whose signed
// content is SecurityInfos. Exactly one of LDS and SecurityInfos is set.
type SOD struct {
	SignedData    *SignedData
	LDS           *LDSSecurityObject
	SecurityInfos []SecurityInfo
}

// LDSSecurityObject is the signed content of EF.SOD: the hash of every
// data group of the chip.
type LDSSecurityObject struct {
	// Version is 0 (LDS 1.7 and before) or 1 (LDS 1.8, with versions).
	Version       int
	HashAlgorithm *pki.Digest
	// Hashes maps data group numbers (1 to 16) to their hash values.
	Hashes map[int][]byte
	// LDSVersion and UnicodeVersion are the ldsVersionInfo of a version 1
	// object, e.g. "0108" and "040000"; empty for version 0.
	LDSVersion, UnicodeVersion string
}

// DataGroups returns the numbers of the data groups the object lists,
// ascending.
func (l *LDSSecurityObject) DataGroups() []int {
	var out []int
	for n := range l.Hashes {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

type ldsSecurityObjectASN struct {
	Version             int
	HashAlgorithm       pkix.AlgorithmIdentifier
	DataGroupHashValues []dataGroupHashASN
	LDSVersionInfo      ldsVersionInfoASN `asn1:"optional"`
}

type dataGroupHashASN struct {
	DataGroupNumber    int
	DataGroupHashValue []byte
}

type ldsVersionInfoASN struct {
	LDSVersion     string `asn1:"printable"`
	UnicodeVersion string `asn1:"printable"`
}

// SecurityInfo is one entry of SecurityInfos (BSI TR-03110 part 3 section
// A.1.1): a protocol the chip supports (PACE, chip authentication, …).
type SecurityInfo struct {
	Protocol asn1.ObjectIdentifier
	// Name is the protocol family, e.g. "PACE", or "" when unknown.
	Name string
}

type securityInfoASN struct {
	Protocol     asn1.ObjectIdentifier
	RequiredData asn1.RawValue
	OptionalData asn1.RawValue `asn1:"optional"`
}

// ParseSOD decodes EF.SOD (the 0x77 application tag around a CMS
// ContentInfo) or EF.CardSecurity (the ContentInfo alone) and its signed
// content. It checks structure only; VerifySOD checks signatures.
func ParseSOD(b []byte) (*SOD, error) {
	if len(b) > MaxSODSize {
		return nil, malformed("security object of %d bytes exceeds %d", len(b), MaxSODSize)
	}
	if len(b) == 0 {
		return nil, malformed("empty security object")
	}
	der := b
	if b[0] == TagSOD {
		t, rest, err := ReadTLV(b)
		if err != nil {
			return nil, fmt.Errorf("EF.SOD: %w", err)
		}
		if len(rest) != 0 {
			return nil, malformed("EF.SOD: %d bytes after the 77 object", len(rest))
		}
		der = t.Value
	}
	sd, err := ParseSignedData(der)
	if err != nil {
		return nil, fmt.Errorf("security object: %w", err)
	}
	sod := &SOD{SignedData: sd}
	switch {
	case sd.ContentType.Equal(OIDLDSSecurityObject):
		if sod.LDS, err = parseLDSSecurityObject(sd.Content); err != nil {
			return nil, err
		}
	case sd.ContentType.Equal(OIDSecurityObject):
		if sod.SecurityInfos, err = parseSecurityInfos(sd.Content); err != nil {
			return nil, err
		}
	default:
		return nil, malformed("security object content type %v is neither an LDS security object nor SecurityInfos", sd.ContentType)
	}
	return sod, nil
}

func parseLDSSecurityObject(b []byte) (*LDSSecurityObject, error) {
	var v ldsSecurityObjectASN
	if rest, err := asn1.Unmarshal(b, &v); err != nil || len(rest) != 0 {
		return nil, malformed("LDSSecurityObject: %v", err)
	}
	digest, err := pki.DigestFromAlgorithm(v.HashAlgorithm)
	if err != nil {
		return nil, fmt.Errorf("LDSSecurityObject hash algorithm: %w", err)
	}
	lds := &LDSSecurityObject{Version: v.Version, HashAlgorithm: digest, Hashes: map[int][]byte{}}
	hasInfo := v.LDSVersionInfo.LDSVersion != "" || v.LDSVersionInfo.UnicodeVersion != ""
	switch {
	case v.Version == 0 && hasInfo:
		return nil, malformed("LDSSecurityObject version 0 with ldsVersionInfo")
	case v.Version == 1 && !hasInfo:
		return nil, malformed("LDSSecurityObject version 1 without ldsVersionInfo")
	case v.Version != 0 && v.Version != 1:
		return nil, malformed("LDSSecurityObject version %d", v.Version)
	}
	lds.LDSVersion, lds.UnicodeVersion = v.LDSVersionInfo.LDSVersion, v.LDSVersionInfo.UnicodeVersion
	if len(v.DataGroupHashValues) == 0 || len(v.DataGroupHashValues) > 16 {
		return nil, malformed("LDSSecurityObject lists %d data groups", len(v.DataGroupHashValues))
	}
	for _, h := range v.DataGroupHashValues {
		n := h.DataGroupNumber
		if n < 1 || n > 16 {
			return nil, malformed("LDSSecurityObject: data group number %d", n)
		}
		if _, dup := lds.Hashes[n]; dup {
			return nil, malformed("LDSSecurityObject: DG%d listed twice", n)
		}
		if len(h.DataGroupHashValue) != digest.Size {
			return nil, malformed("LDSSecurityObject: DG%d hash of %d bytes for %s", n, len(h.DataGroupHashValue), digest)
		}
		lds.Hashes[n] = h.DataGroupHashValue
	}
	return lds, nil
}

// securityProtocols names the protocol families of BSI TR-03110 part 3
// appendix A.1.1 by their OID prefix (bsi-de 0.4.0.127.0.7 protocols 2.2).
var securityProtocols = []struct {
	prefix asn1.ObjectIdentifier
	name   string
}{
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 1}, "ChipAuthenticationPublicKey"},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 2}, "TerminalAuthentication"},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 3}, "ChipAuthentication"},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 4}, "PACE"},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 5}, "RestrictedIdentification"},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 6}, "CardInfo"},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 7}, "eIDSecurity"},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 8}, "PrivilegedTerminal"},
	{asn1.ObjectIdentifier{0, 4, 0, 127, 0, 7, 2, 2, 11}, "PasswordAuthenticatedConnectionEstablishment (PSA)"},
	{asn1.ObjectIdentifier{2, 23, 136, 1, 1, 5}, "ActiveAuthentication"},
}

func protocolName(oid asn1.ObjectIdentifier) string {
	for _, p := range securityProtocols {
		if len(oid) >= len(p.prefix) && p.prefix.Equal(oid[:len(p.prefix)]) {
			return p.name
		}
	}
	return ""
}

// maxSecurityInfos bounds the entries of SecurityInfos; real chips list a
// handful.
const maxSecurityInfos = 64

// securityInfoSET makes encoding/asn1 read a SET OF SecurityInfo.
type securityInfoSET []securityInfoASN

func parseSecurityInfos(b []byte) ([]SecurityInfo, error) {
	var v securityInfoSET
	if rest, err := asn1.Unmarshal(b, &v); err != nil || len(rest) != 0 {
		return nil, malformed("SecurityInfos: %v", err)
	}
	if len(v) == 0 || len(v) > maxSecurityInfos {
		return nil, malformed("SecurityInfos holds %d entries", len(v))
	}
	out := make([]SecurityInfo, len(v))
	for i, s := range v {
		out[i] = SecurityInfo{Protocol: s.Protocol, Name: protocolName(s.Protocol)}
	}
	return out, nil
}
