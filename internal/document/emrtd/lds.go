package emrtd

import (
	"fmt"
	"strings"
)

// Application tags of the LDS1 elementary files (ICAO 9303 part 10 section
// 4.6, table 34).
const (
	TagCOM = 0x60
	TagDG1 = 0x61
	TagDG2 = 0x75
	TagSOD = 0x77
)

// dgTags maps data group numbers 1 to 16 to their application tags.
var dgTags = [17]uint32{
	0,
	0x61, 0x75, 0x63, 0x76, 0x65, 0x66, 0x67, 0x68,
	0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70,
}

// DataGroupTag returns the application tag of data group n (1 to 16), or 0.
func DataGroupTag(n int) uint32 {
	if n < 1 || n > 16 {
		return 0
	}
	return dgTags[n]
}

// DataGroupForTag returns the data group number of an application tag, or
// 0 when the tag is not a data group's.
func DataGroupForTag(tag uint32) int {
	for n := 1; n <= 16; n++ {
		if dgTags[n] == tag {
			return n
		}
	}
	return 0
}

// COM is EF.COM (ICAO 9303 part 10 section 4.6.1): the LDS and Unicode
// versions and the list of data groups present. EF.COM is not protected by
// the SOD: it is informative only.
type COM struct {
	// LDSVersion is "aa.bb", e.g. "01.07".
	LDSVersion string `json:"lds_version"`
	// UnicodeVersion is "aa.bb.cc", e.g. "04.00.00".
	UnicodeVersion string `json:"unicode_version"`
	// DataGroups are the data group numbers in the tag list, in order.
	DataGroups []int `json:"data_groups"`
}

// ParseCOM decodes EF.COM: 60 { 5F01 LDS version, 5F36 Unicode version,
// 5C tag list }.
func ParseCOM(b []byte) (*COM, error) {
	t, err := ParseTLV(b)
	if err != nil {
		return nil, fmt.Errorf("EF.COM: %w", err)
	}
	if t.Tag != TagCOM {
		return nil, malformed("EF.COM: tag %X, want 60", t.Tag)
	}
	com := &COM{}
	if v, ok := t.Child(0x5F01); ok {
		if len(v.Value) != 4 || !digits(v.Value) {
			return nil, malformed("EF.COM: LDS version %q is not 4 digits", v.Value)
		}
		com.LDSVersion = string(v.Value[:2]) + "." + string(v.Value[2:])
	}
	if v, ok := t.Child(0x5F36); ok {
		if len(v.Value) != 6 || !digits(v.Value) {
			return nil, malformed("EF.COM: Unicode version %q is not 6 digits", v.Value)
		}
		com.UnicodeVersion = string(v.Value[:2]) + "." + string(v.Value[2:4]) + "." + string(v.Value[4:])
	}
	list, ok := t.Child(0x5C)
	if !ok {
		return nil, malformed("EF.COM: no tag list (5C)")
	}
	for _, tag := range list.Value {
		n := DataGroupForTag(uint32(tag))
		if n == 0 {
			return nil, malformed("EF.COM: tag list holds %02X, not a data group tag", tag)
		}
		com.DataGroups = append(com.DataGroups, n)
	}
	return com, nil
}

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// DG1 is data group 1 (ICAO 9303 part 10 section 4.7.1): the MRZ as
// printed on the document.
type DG1 struct {
	// MRZ is the MRZ characters without line breaks.
	MRZ string
	// Lines is the MRZ split into its lines by the document format: 3 lines
	// of 30 (TD1), 2 of 36 (TD2, MRV-B) or 2 of 44 (TD3, MRV-A).
	Lines []string
}

// Text returns the MRZ lines joined by newlines, as ParseMRZAt accepts them.
func (d *DG1) Text() string { return strings.Join(d.Lines, "\n") }

// ParseDG1 decodes DG1: 61 { 5F1F MRZ }.
func ParseDG1(b []byte) (*DG1, error) {
	t, err := ParseTLV(b)
	if err != nil {
		return nil, fmt.Errorf("DG1: %w", err)
	}
	if t.Tag != TagDG1 {
		return nil, malformed("DG1: tag %X, want 61", t.Tag)
	}
	v, ok := t.Child(0x5F1F)
	if !ok {
		return nil, malformed("DG1: no MRZ data element (5F1F)")
	}
	mrz := string(v.Value)
	var lineLen int
	switch len(mrz) {
	case 90:
		lineLen = 30
	case 72:
		lineLen = 36
	case 88:
		lineLen = 44
	default:
		return nil, malformed("DG1: MRZ of %d characters, want 90, 72 or 88", len(mrz))
	}
	for i := 0; i < len(mrz); i++ {
		c := mrz[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '<') {
			return nil, malformed("DG1: MRZ character %q at position %d", c, i+1)
		}
	}
	d := &DG1{MRZ: mrz}
	for i := 0; i < len(mrz); i += lineLen {
		d.Lines = append(d.Lines, mrz[i:i+lineLen])
	}
	return d, nil
}
