package testdoc

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/document/emrtd"
)

// TestChipParsesWithEMRTD reads every generated chip, valid and broken,
// with the emrtd package's LDS parsers: each broken variant must fail
// verification for its own reason, not because a file is malformed.
func TestChipParsesWithEMRTD(t *testing.T) {
	portrait, err := Portrait(5)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"intl", "sm"} {
		iss := issuerFor(t, name)
		for _, v := range append([]Variant{VariantValid}, BrokenVariants()...) {
			t.Run(name+"/"+string(v), func(t *testing.T) {
				doc, err := iss.Issue(adultSpec(), portrait, WithVariant(v))
				if err != nil {
					t.Fatal(err)
				}
				com, err := emrtd.ParseCOM(doc.Chip.Files["COM"])
				if err != nil {
					t.Fatalf("ParseCOM: %v", err)
				}
				if diff := cmp.Diff(&emrtd.COM{LDSVersion: "01.07", UnicodeVersion: "04.00.00", DataGroups: []int{1, 2}}, com); diff != "" {
					t.Errorf("EF.COM (-want +got):\n%s", diff)
				}
				dg1, err := emrtd.ParseDG1(doc.Chip.Files["DG1"])
				if err != nil {
					t.Fatalf("ParseDG1: %v", err)
				}
				if match := dg1.Text() == doc.PrintedMRZ; match != (v != VariantMRZMismatch) {
					t.Errorf("DG1 MRZ %q against printed %q: match %v", dg1.Text(), doc.PrintedMRZ, match)
				}
				dg2, err := emrtd.ParseDG2(doc.Chip.Files["DG2"])
				if err != nil {
					t.Fatalf("ParseDG2: %v", err)
				}
				if len(dg2.Faces) != 1 {
					t.Fatalf("DG2: %d faces, want 1", len(dg2.Faces))
				}
				f := dg2.Faces[0]
				if f.Format != emrtd.ImageJPEG || f.Width != PortraitWidth || f.Height != PortraitHeight || !bytes.Equal(f.Data, doc.Portrait) {
					t.Errorf("DG2 face: got %s %dx%d, %d bytes, want the %dx%d JPEG portrait of %d bytes",
						f.Format, f.Width, f.Height, len(f.Data), PortraitWidth, PortraitHeight, len(doc.Portrait))
				}
			})
		}
	}
}
