package document

import (
	"fmt"
	"strings"
)

// DocType is a kind of identity document netid accepts for enrolment. Each
// type has its own number rules (ValidateNumber) and its own evidence
// pathways (TypeInfo.Evidence).
type DocType string

// The document types netid accepts. The values are stable: they are stored
// with enrolments and appear in the API and on the command line.
const (
	// ResidentIDCard is the resident identity card (居民身份证), numbered
	// with a GB 11643-1999 citizen identity number.
	ResidentIDCard DocType = "resident-id-card"
	// HKMacaoResidencePermit is the residence permit for Hong Kong and
	// Macao residents (港澳居民居住证), numbered with a GB 11643 number whose
	// address code is 810000 or 820000.
	HKMacaoResidencePermit DocType = "hk-macao-residence-permit"
	// TaiwanResidencePermit is the residence permit for Taiwan residents
	// (台湾居民居住证), numbered with a GB 11643 number whose address code
	// is 830000.
	TaiwanResidencePermit DocType = "taiwan-residence-permit"
	// HKMacaoTravelPermit is the mainland travel permit for Hong Kong and
	// Macao residents (港澳居民来往内地通行证, 回乡证): H (Hong Kong) or M
	// (Macao) and an 8-digit lifelong number, on older permits followed by
	// a 2-digit issue count.
	HKMacaoTravelPermit DocType = "hk-macao-travel-permit"
	// TaiwanTravelPermit is the mainland travel permit for Taiwan
	// residents (台湾居民来往大陆通行证, 台胞证): an 8-digit lifelong number,
	// on permits issued before 25 September 2008 followed by a 2-digit
	// issue count and sometimes a parenthesised issuing office code.
	TaiwanTravelPermit DocType = "taiwan-travel-permit"
	// ForeignPermanentResidentCard is the foreign permanent resident ID card
	// (外国人永久居留身份证): 15 characters on the 2004 and 2017 versions,
	// 18 digits on the version issued since 1 December 2023.
	ForeignPermanentResidentCard DocType = "foreign-permanent-resident-card"
	// Passport is a passport of any state, read through its ICAO 9303 MRZ.
	Passport DocType = "passport"
)

// Evidence is an evidence pathway by which a document establishes an
// identity. The values are the DESIGN.md vocabulary.
type Evidence string

// Evidence pathways a document type can offer. The registrar-assisted
// pathway ("assisted") does not depend on a document and is not listed.
const (
	// EvidenceChip is NFC passive authentication of an ICAO 9303 chip
	// against the issuer's CSCA certificate.
	EvidenceChip Evidence = "document-chip"
	// EvidenceAuthority is online verification with the issuing
	// authority through an Authority.
	EvidenceAuthority Evidence = "document-authority"
)

// TypeInfo describes a document type for enrolment code and user interfaces.
type TypeInfo struct {
	Type DocType `json:"type"`
	// Name and NameZH are the document's English and Chinese names.
	Name   string `json:"name"`
	NameZH string `json:"name_zh"`
	// Evidence lists the pathways this document supports, preferred first.
	Evidence []Evidence `json:"evidence"`
	// MRZ tells whether the document carries an ICAO 9303 MRZ that a
	// wallet can read (and that opens the chip's basic access control).
	MRZ bool `json:"mrz"`
	// NumberFormat describes the accepted number shapes for people.
	NumberFormat string `json:"number_format"`
}

// types lists the document types in the order user interfaces show them.
//
// The resident identity card and the residence permits carry a chip whose
// format is not public, hence authority verification only. Passports carry
// ICAO 9303 chips. The card-format travel permits (回乡证 since 2013, 台胞证
// since 2015) carry chips and MRZs too; chip evidence for them assumes an
// ICAO 9303 chip and a CSCA certificate the service trusts, which we have
// not been able to confirm from public sources, so they list the
// authority pathway as well. The foreign permanent resident card of 2023
// follows the resident identity card's technology (NIA, 2023), so it too
// is verified with its authority.
var types = []TypeInfo{
	{ResidentIDCard, "Resident identity card", "居民身份证", []Evidence{EvidenceAuthority}, false,
		"18 characters: 17 digits and a check digit or X"},
	{HKMacaoResidencePermit, "Residence permit for Hong Kong and Macao residents", "港澳居民居住证", []Evidence{EvidenceAuthority}, false,
		"18 characters starting 810000 (Hong Kong) or 820000 (Macao)"},
	{TaiwanResidencePermit, "Residence permit for Taiwan residents", "台湾居民居住证", []Evidence{EvidenceAuthority}, false,
		"18 characters starting 830000"},
	{HKMacaoTravelPermit, "Mainland travel permit for Hong Kong and Macao residents", "港澳居民来往内地通行证", []Evidence{EvidenceChip, EvidenceAuthority}, true,
		"H or M and 8 digits, or 10 digits on older permits"},
	{TaiwanTravelPermit, "Mainland travel permit for Taiwan residents", "台湾居民来往大陆通行证", []Evidence{EvidenceChip, EvidenceAuthority}, true,
		"8 digits, or 10 digits and an office code such as (B) on older permits"},
	{ForeignPermanentResidentCard, "Foreign permanent resident ID card", "外国人永久居留身份证", []Evidence{EvidenceAuthority}, false,
		"18 digits starting with 9, or 3 letters and 12 digits on cards issued before December 2023"},
	{Passport, "Passport", "护照", []Evidence{EvidenceChip}, true,
		"1 to 9 letters and digits, as in the machine-readable zone"},
}

// DocTypes returns the accepted document types with their descriptions, in
// display order. The slice is a fresh copy.
func DocTypes() []TypeInfo {
	out := make([]TypeInfo, len(types))
	for i, t := range types {
		t.Evidence = append([]Evidence(nil), t.Evidence...)
		out[i] = t
	}
	return out
}

// Info returns the description of t, and false if t is not a known type.
func (t DocType) Info() (TypeInfo, bool) {
	for _, info := range types {
		if info.Type == t {
			info.Evidence = append([]Evidence(nil), info.Evidence...)
			return info, true
		}
	}
	return TypeInfo{}, false
}

// Accepts reports whether documents of type t support evidence pathway e.
func (t DocType) Accepts(e Evidence) bool {
	info, _ := t.Info()
	for _, x := range info.Evidence {
		if x == e {
			return true
		}
	}
	return false
}

// ParseDocType returns the DocType named s (surrounding whitespace and case
// ignored). An unknown or empty name is refused with an error wrapping
// ErrDocType that lists the accepted types.
func ParseDocType(s string) (DocType, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for _, info := range types {
		if string(info.Type) == name {
			return info.Type, nil
		}
	}
	names := make([]string, len(types))
	for i, info := range types {
		names[i] = string(info.Type)
	}
	if name == "" {
		return "", fmt.Errorf("document type is missing; want one of %s: %w", strings.Join(names, ", "), ErrDocType)
	}
	if len(name) > 64 {
		name = name[:64] + "..."
	}
	return "", fmt.Errorf("document type %q is not accepted; want one of %s: %w", name, strings.Join(names, ", "), ErrDocType)
}

// String returns the type's stable name.
func (t DocType) String() string { return string(t) }
