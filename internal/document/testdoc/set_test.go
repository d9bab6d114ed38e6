package testdoc

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
)

func TestWriteSet(t *testing.T) {
	for _, suite := range []string{SuiteIntl, SuiteSM} {
		t.Run(suite, func(t *testing.T) {
			dir := t.TempDir()
			m, err := WriteSet(dir, SetConfig{Suite: suite, Country: "CN", Now: fixedClock})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			var onDisk Manifest
			if err := json.Unmarshal(raw, &onDisk); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(*m, onDisk); diff != "" {
				t.Errorf("manifest.json differs from the returned manifest (-returned +file):\n%s", diff)
			}

			wantFiles := []string{"adult", "child", "youth"}
			for _, v := range BrokenVariants() {
				wantFiles = append(wantFiles, "broken-"+string(v))
			}
			var gotFiles []string
			ages := map[string]int{}
			for _, c := range m.Chips {
				gotFiles = append(gotFiles, filepath.Base(c.File[:len(c.File)-len(".json")]))
				b, err := os.ReadFile(filepath.Join(dir, c.File))
				if err != nil {
					t.Fatal(err)
				}
				dump, err := emrtd.ParseChipDump(b)
				if err != nil {
					t.Fatalf("%s: %v", c.File, err)
				}
				if got := dump.DataGroups(); !cmp.Equal(got, []int{1, 2}) {
					t.Errorf("%s: data groups %v, want [1 2]", c.File, got)
				}
				if _, err := document.ParseMRZAt(c.PrintedMRZ, fixedNow); err != nil {
					t.Errorf("%s: printed MRZ: %v", c.File, err)
				}
				if _, err := os.Stat(filepath.Join(dir, c.Portrait)); err != nil {
					t.Errorf("%s: %v", c.File, err)
				}
				if wantExpect := map[bool]string{true: "valid", false: "refused"}[c.Variant == VariantValid]; c.Expect != wantExpect {
					t.Errorf("%s: expect %q, want %q", c.File, c.Expect, wantExpect)
				}
				if c.Variant == VariantValid {
					ages[c.Person] = c.AgeYears
				}
			}
			if diff := cmp.Diff(wantFiles, gotFiles); diff != "" {
				t.Errorf("chip files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(map[string]int{"adult": 35, "child": 10, "youth": 16}, ages); diff != "" {
				t.Errorf("ages (-want +got):\n%s", diff)
			}
			trust, _ := os.ReadDir(filepath.Join(dir, m.TrustDir))
			if len(trust) != 2 {
				t.Errorf("trust dir holds %d files, want the CSCA and its CRL", len(trust))
			}
			checkAuthority(t, filepath.Join(dir, m.AuthorityRecords), m.AuthorityCases)
		})
	}
}

// checkAuthority loads the records into package document's simulated
// authority and checks that every case gets the status the manifest says.
func checkAuthority(t *testing.T, path string, cases []AuthorityCase) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := document.ReadRecords(f, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := document.NewSimulatedAuthority(recs, document.WithSimulatedClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, c := range cases {
		res, err := auth.Verify(context.Background(), c.Query)
		if err != nil {
			t.Fatalf("%s: %v", c.Label, err)
		}
		if res.Status != c.Expect {
			t.Errorf("%s: got %s, want %s", c.Label, res.Status, c.Expect)
		}
		statuses = append(statuses, string(c.Expect))
	}
	sort.Strings(statuses)
	want := []string{"expired", "mismatch", "not-found", "revoked", "valid", "valid", "valid"}
	if diff := cmp.Diff(want, statuses); diff != "" {
		t.Errorf("authority cases (-want +got):\n%s", diff)
	}
}

func TestWriteSetErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  SetConfig
	}{
		{"no people", SetConfig{Suite: SuiteIntl, Country: "CN", People: []SetPerson{}}},
		{"bad file name", SetConfig{Suite: SuiteIntl, Country: "CN", People: []SetPerson{{Name: "../x", Spec: adultSpec()}}}},
		{"bad suite", SetConfig{Suite: "rot13", Country: "CN"}},
		{"bad region", SetConfig{Suite: SuiteIntl, Country: "CN", People: []SetPerson{{Name: "a", Region: "999999", Spec: adultSpec()}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Now = fixedClock
			if _, err := WriteSet(t.TempDir(), tc.cfg); err == nil {
				t.Error("WriteSet: got no error")
			}
		})
	}
}
