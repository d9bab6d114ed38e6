package emrtd

import (
	"encoding/json"
	"fmt"
	"sort"
)

// ChipDumpFormat is the value of the "format" member of a chip dump file.
const ChipDumpFormat = "netid-chip/1"

// MaxChipDumpSize bounds the size of a chip dump file we are willing to
// parse. A real eMRTD holds well under 100 KiB; DG2 portraits are the bulk.
const MaxChipDumpSize = 4 << 20

// ChipDump is the content of an eMRTD chip as read over NFC: the elementary
// files of the LDS1 application, each exactly as read from the chip
// (including its application tag: 0x60 for EF.COM, 0x61 for DG1, 0x75 for
// DG2, 0x77 for EF.SOD).
//
// On disk a chip dump is a JSON object:
//
//	{"format": "netid-chip/1", "files": {"COM": "<base64>", "DG1": "<base64>", "DG2": "<base64>", "SOD": "<base64>"}}
//
// File names are "COM", "SOD" and "DG1" to "DG16"; values are standard
// base64 (RFC 4648 section 4, with padding).
type ChipDump struct {
	Files map[string][]byte
}

type chipDumpJSON struct {
	Format string            `json:"format"`
	Files  map[string][]byte `json:"files"`
}

// validFileName reports whether name is one of the elementary files a chip
// dump may hold.
func validFileName(name string) bool {
	switch name {
	case "COM", "SOD":
		return true
	}
	for i := 1; i <= 16; i++ {
		if name == fmt.Sprintf("DG%d", i) {
			return true
		}
	}
	return false
}

// MarshalJSON writes the chip dump in its file format.
func (d ChipDump) MarshalJSON() ([]byte, error) {
	return json.Marshal(chipDumpJSON{Format: ChipDumpFormat, Files: d.Files})
}

// UnmarshalJSON reads a chip dump, refusing unknown formats and file names.
func (d *ChipDump) UnmarshalJSON(b []byte) error {
	var v chipDumpJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("chip dump: %w", err)
	}
	if v.Format != ChipDumpFormat {
		return fmt.Errorf("chip dump: format %q is not %q", v.Format, ChipDumpFormat)
	}
	for name := range v.Files {
		if !validFileName(name) {
			return fmt.Errorf("chip dump: unknown elementary file %q (want COM, SOD or DG1 to DG16)", name)
		}
	}
	d.Files = v.Files
	return nil
}

// ParseChipDump decodes a chip dump file.
func ParseChipDump(b []byte) (ChipDump, error) {
	if len(b) > MaxChipDumpSize {
		return ChipDump{}, fmt.Errorf("chip dump: %d bytes exceeds the limit of %d", len(b), MaxChipDumpSize)
	}
	var d ChipDump
	if err := json.Unmarshal(b, &d); err != nil {
		return ChipDump{}, err
	}
	return d, nil
}

// DataGroups returns the numbers of the data groups present, ascending.
func (d ChipDump) DataGroups() []int {
	var out []int
	for i := 1; i <= 16; i++ {
		if _, ok := d.Files[fmt.Sprintf("DG%d", i)]; ok {
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out
}
