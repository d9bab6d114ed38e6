package emrtd

import (
	"fmt"
	"strings"

	"github.com/netid/netid/internal/document"
)

// ChipReport is the outcome of a successful VerifyChip, shaped for JSON
// output ("netid document verify").
type ChipReport struct {
	SOD *SODReport `json:"sod"`
	// COM is EF.COM when the dump has it (informative: EF.COM is not
	// signed).
	COM *COM `json:"com,omitempty"`
	// DataGroups lists every data group of the SOD, and whether it was read
	// and verified.
	DataGroups []DataGroupStatus `json:"data_groups"`
	// MRZ is DG1, parsed and checked.
	MRZ *document.MRZ `json:"mrz"`
	// Portrait is the first face of DG2, when DG2 was read and decoded.
	Portrait *FaceImage `json:"portrait,omitempty"`
	// Warnings note what was authentic but could not be interpreted: a
	// DG2 in an encoding this package does not decode, an EF.COM that does
	// not parse. They do not affect the verdict.
	Warnings []string `json:"warnings,omitempty"`
}

// VerifyChip performs full passive authentication of a chip dump (ICAO
// 9303 part 11 section 5.1):
//
//  1. VerifySOD on the dump's EF.SOD (every check and error of VerifySOD);
//  2. every data group present hashes to the SOD's value, and is listed
//     there — ErrDataGroupHash (errors.As a *DataGroupError for which);
//     data groups listed but not read are reported, not refused;
//  3. DG1 is present and holds a well-formed MRZ — ErrMalformed (wrapping
//     the document package's error for a bad MRZ);
//  4. when opts.PrintedMRZ is set, it equals DG1's MRZ, ignoring line
//     breaks and surrounding spaces — ErrMRZMismatch;
//  5. the document has not expired at opts.Now (it is valid through its
//     expiry date) — ErrDocumentExpired;
//  6. DG2, when present, is decoded for the report (format, size). A DG2
//     whose hash matched but whose facial record this package cannot
//     decode (the ISO/IEC 39794-5 encoding, say) is a warning, not a
//     refusal: the chip is authentic, and a caller that needs the portrait
//     finds Portrait nil. The same holds for EF.COM, which is not signed.
//
// The order matters: authenticity (1, 2) is established before any content
// is believed.
func VerifyChip(dump ChipDump, trust *TrustStore, opts VerifyOptions) (*ChipReport, error) {
	sodBytes, ok := dump.Files["SOD"]
	if !ok {
		return nil, malformed("chip dump has no EF.SOD")
	}
	sod, sodReport, err := verifySOD(sodBytes, trust, opts)
	if err != nil {
		return nil, err
	}
	if sod.LDS == nil {
		return nil, malformed("EF.SOD holds SecurityInfos, not an LDS security object")
	}
	report := &ChipReport{SOD: sodReport}
	if report.DataGroups, err = checkDataGroups(dump, sod.LDS); err != nil {
		return nil, err
	}

	dg1Bytes, ok := dump.Files["DG1"]
	if !ok {
		return nil, malformed("chip dump has no DG1: the MRZ is needed")
	}
	dg1, err := ParseDG1(dg1Bytes)
	if err != nil {
		return nil, err
	}
	now := opts.now()
	mrz, err := document.ParseMRZAt(dg1.Text(), now)
	if err != nil {
		return nil, fmt.Errorf("%w: DG1: %w", ErrMalformed, err)
	}
	report.MRZ = mrz
	if opts.PrintedMRZ != "" {
		if printed := normaliseMRZ(opts.PrintedMRZ); printed != dg1.MRZ {
			return nil, fmt.Errorf("%w: %s", ErrMRZMismatch, describeMRZDifference(printed, dg1))
		}
	}
	if mrz.Expired(now) {
		return nil, fmt.Errorf("%w: expiry date %s is before %s", ErrDocumentExpired, mrz.Expiry, document.NewDate(now))
	}

	if b, ok := dump.Files["DG2"]; ok {
		if dg2, err := ParseDG2(b); err != nil {
			report.Warnings = append(report.Warnings, "portrait not decoded: "+err.Error())
		} else {
			face := dg2.Faces[0]
			report.Portrait = &face
		}
	}
	if b, ok := dump.Files["COM"]; ok {
		if report.COM, err = ParseCOM(b); err != nil {
			report.Warnings = append(report.Warnings, "EF.COM ignored: "+err.Error())
		}
	}
	return report, nil
}

// normaliseMRZ removes whitespace (line breaks, spaces an OCR engine may
// insert) from a printed MRZ.
func normaliseMRZ(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

// describeMRZDifference locates the first differing character, as "line
// L, column C", without echoing personal data.
func describeMRZDifference(printed string, dg1 *DG1) string {
	if len(printed) != len(dg1.MRZ) {
		return fmt.Sprintf("the printed MRZ has %d characters, the chip's %d", len(printed), len(dg1.MRZ))
	}
	lineLen := len(dg1.Lines[0])
	for i := 0; i < len(printed); i++ {
		if printed[i] != dg1.MRZ[i] {
			return fmt.Sprintf("first difference at line %d, column %d", i/lineLen+1, i%lineLen+1)
		}
	}
	return "no difference"
}
