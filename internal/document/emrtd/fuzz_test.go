package emrtd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The fuzz targets below run their seeds as plain unit tests. Seeds come
// from the real security objects and master lists of the shared test data
// (read at test time, never copied into the repository) when present, and
// from synthetic files built in process.

// addRealSeeds adds every file of the shared test data directory sub
// whose name ends in one of the suffixes.
// Without the shared test data the synthetic seeds still run (under
// CI=true its absence fails, as everywhere).
func addRealSeeds(f *testing.F, sub string, suffixes ...string) {
	f.Helper()
	td, ok := sharedTestdataDir()
	if !ok {
		if os.Getenv("CI") == "true" {
			f.Fatalf("shared test data is missing (CI=true)")
		}
		f.Logf("shared test data is missing: fuzzing with synthetic seeds only")
		return
	}
	dir := filepath.Join(td, sub)
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		for _, s := range suffixes {
			if strings.HasSuffix(e.Name(), s) {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b)
			}
		}
	}
}

func syntheticChip(f *testing.F) *testChip {
	f.Helper()
	return newTestChip(f, chipSpec{pki: defaultPKISpec()})
}

func FuzzTLV(f *testing.F) {
	c := syntheticChip(f)
	for _, name := range []string{"COM", "DG1", "DG2", "SOD"} {
		f.Add(c.dump.Files[name])
	}
	f.Add([]byte{0x5F, 0x81, 0x01, 0x00})
	f.Add([]byte{0x61, 0x84, 0x7F, 0xFF, 0xFF, 0xFF})
	addRealSeeds(f, "sod", ".sod", ".cardsecurity")
	f.Fuzz(func(t *testing.T, b []byte) {
		tlv, err := ParseTLV(b)
		if err != nil {
			return
		}
		if !bytes.Equal(tlv.Raw, b) {
			t.Fatalf("Raw = %X, want the whole input %X", tlv.Raw, b)
		}
		checkChildren(t, tlv, 0)
	})
}

// checkChildren verifies that the children of a constructed object tile
// its value exactly.
func checkChildren(t *testing.T, tlv TLV, depth int) {
	if depth > MaxTLVDepth {
		t.Fatalf("nesting depth %d exceeds MaxTLVDepth", depth)
	}
	if !tlv.Constructed {
		if len(tlv.Children) != 0 {
			t.Fatalf("primitive object %X has children", tlv.Tag)
		}
		return
	}
	var joined []byte
	for _, c := range tlv.Children {
		joined = append(joined, c.Raw...)
		checkChildren(t, c, depth+1)
	}
	if !bytes.Equal(joined, tlv.Value) {
		t.Fatalf("children of %X do not tile its value", tlv.Tag)
	}
}

func FuzzParseDG1(f *testing.F) {
	f.Add(buildDG1(mrzTD3(f, "340101")))
	f.Add(buildDG1("I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<"))
	f.Add(buildDG1(strings.Repeat("<", 72)))
	f.Fuzz(func(t *testing.T, b []byte) {
		dg1, err := ParseDG1(b)
		if err != nil {
			return
		}
		if strings.Join(dg1.Lines, "") != dg1.MRZ {
			t.Fatalf("Lines %q do not join to MRZ %q", dg1.Lines, dg1.MRZ)
		}
		for _, l := range dg1.Lines {
			if len(l) != len(dg1.Lines[0]) {
				t.Fatalf("lines of different lengths: %q", dg1.Lines)
			}
		}
	})
}

func FuzzParseDG2(f *testing.F) {
	f.Add(buildDG2(buildFacialRecord(testJPEG, 0, 480, 640)))
	f.Add(buildDG2(buildFacialRecord(append([]byte{0xFF, 0x4F, 0xFF, 0x51}, make([]byte, 20)...), 1, 2, 3)))
	f.Add(syntheticChip(f).dump.Files["DG2"])
	f.Fuzz(func(t *testing.T, b []byte) {
		dg2, err := ParseDG2(b)
		if err != nil {
			return
		}
		for _, face := range dg2.Faces {
			if face.Size != len(face.Data) || len(face.Data) > len(b) || sniffImage(face.Data) != face.Format {
				t.Fatalf("face %+v inconsistent with its data", face)
			}
		}
	})
}

func FuzzParseCOM(f *testing.F) {
	f.Add(buildCOM(1, 2, 11, 12, 14, 15))
	f.Fuzz(func(t *testing.T, b []byte) {
		com, err := ParseCOM(b)
		if err != nil {
			return
		}
		for _, n := range com.DataGroups {
			if n < 1 || n > 16 {
				t.Fatalf("data group %d out of range", n)
			}
		}
	})
}

func FuzzParseSOD(f *testing.F) {
	c := syntheticChip(f)
	f.Add(c.dump.Files["SOD"])
	rsaChip := newTestChip(f, chipSpec{pki: func() pkiSpec { s := defaultPKISpec(); s.dsKey = rsaKey(f); return s }(), sod: sodSpec{scheme: "rsa-pss"}})
	f.Add(rsaChip.dump.Files["SOD"])
	addRealSeeds(f, "sod", ".sod", ".cardsecurity")
	empty := NewTrustStore()
	f.Fuzz(func(t *testing.T, b []byte) {
		sod, err := ParseSOD(b)
		if err != nil {
			return
		}
		if (sod.LDS == nil) == (sod.SecurityInfos == nil) {
			t.Fatalf("want exactly one of LDS and SecurityInfos")
		}
		// Signature checks on parsed input must not panic either; with no
		// trusted CSCA nothing may verify.
		if _, err := VerifySOD(b, empty, VerifyOptions{Now: trustTime}); err == nil {
			t.Fatalf("VerifySOD() with an empty trust store = nil error")
		}
	})
}

func FuzzParseMasterList(f *testing.F) {
	root := newTestPKI(f, defaultPKISpec())
	f.Add(buildMasterList(f, root, [][]byte{root.cscaDER, {0x30, 0x00}}))
	addRealSeeds(f, "trust", ".ml")
	f.Fuzz(func(t *testing.T, b []byte) {
		ml, err := ParseMasterList(b)
		if err != nil {
			return
		}
		if len(ml.Certificates)+len(ml.Skipped) > maxMasterListEntries {
			t.Fatalf("%d entries exceed the bound", len(ml.Certificates)+len(ml.Skipped))
		}
		_, _ = ml.VerifySignature() // must not panic
	})
}

func FuzzParseChipDump(f *testing.F) {
	c := syntheticChip(f)
	b, err := json.Marshal(c.dump)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"format":"netid-chip/1","files":{"DG1":"YQA="}}`))
	f.Add([]byte(`{"format":"netid-chip/1","files":{"DG17":""}}`))
	trust := trustFor(f, c.pki)
	f.Fuzz(func(t *testing.T, b []byte) {
		dump, err := ParseChipDump(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(dump)
		if err != nil {
			t.Fatalf("Marshal() = %v", err)
		}
		back, err := ParseChipDump(again)
		if err != nil {
			t.Fatalf("ParseChipDump(Marshal()) = %v", err)
		}
		if diff := cmp.Diff(dump, back); diff != "" {
			t.Fatalf("round trip mismatch (-first +second):\n%s", diff)
		}
		_, _ = VerifyChip(dump, trust, VerifyOptions{Now: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)})
	})
}
