package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netid/netid/internal/document/testdoc"
)

func TestDocumentCheck(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string
		wantStderr string
	}{
		{"resident ID number", []string{"11010519491231002X"}, 0, `"birth_date": "1949-12-31"`, ""},
		{"wrong check character", []string{"110105194912310021"}, exitRefused, "", `check character is "1", want "X"`},
		{"TD3 MRZ", []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"}, 0, `"primary_identifier": "ERIKSSON"`, ""},
		{"TD3 MRZ, bad birth date check digit", []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408123F1204159ZE184226B<<<<<10"}, exitRefused, "", "birth date check digit"},
		{"unknown type", []string{"library-card", "123"}, exitRefused, "", "resident-id-card"},
		{"nothing", nil, exitRefused, "", "nothing to check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := runNetid(t, append([]string{"document", "check", "--at", "2026-01-01"}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit code = %d, want %d; stderr %q", code, tt.wantCode, stderr)
			}
			if !strings.Contains(out, tt.wantOut) || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stdout %q, stderr %q; want stdout to contain %q and stderr %q", out, stderr, tt.wantOut, tt.wantStderr)
			}
		})
	}
}

// sharedTestdata returns ../shared/testdata/emrtd, skipping outside CI when
// it is absent and failing in CI.
func sharedTestdata(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "testdata", "emrtd"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared test data missing in CI: %v", err)
		}
		t.Skipf("shared test data absent (%v): run from a checkout beside ../shared", err)
	}
	return dir
}

// Every real security object verifies from the command line against the
// real master lists, copied into a trust dir at test time.
func TestDocumentVerifySODRealData(t *testing.T) {
	data := sharedTestdata(t)
	trust := t.TempDir()
	entries, err := os.ReadDir(filepath.Join(data, "trust"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(data, "trust", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(trust, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sods, err := filepath.Glob(filepath.Join(data, "sod", "*"))
	if err != nil || len(sods) == 0 {
		t.Fatalf("no security objects found: %v", err)
	}
	for _, sod := range sods {
		t.Run(filepath.Base(sod), func(t *testing.T) {
			out, stderr, code := runNetid(t, "document", "verify-sod", "--sod", sod, "--trust", trust)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var rep struct {
				Country string `json:"country"`
				Hashes  []any  `json:"data_group_hashes"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			want := strings.TrimSuffix(strings.Split(filepath.Base(sod), ".")[0], "")
			if want == "UK" {
				want = "GB"
			}
			if rep.Country != want {
				t.Errorf("country = %q, want %q", rep.Country, want)
			}
		})
	}
	_, stderr, code := runNetid(t, "document", "verify-sod", "--sod", sods[0], "--trust", t.TempDir())
	if code != exitRefused || !strings.Contains(stderr, "unknown CSCA") {
		t.Errorf("empty trust dir: exit %d, stderr %q; want unknown CSCA", code, stderr)
	}
}

// netid testdoc writes a set; netid document verify accepts its valid chips
// and refuses each broken one with its own reason.
func TestTestdocAndVerify(t *testing.T) {
	for _, suite := range []string{"intl", "sm"} {
		t.Run(suite, func(t *testing.T) {
			dir := t.TempDir()
			if _, stderr, code := runNetid(t, "testdoc", "--out", dir, "--suite", suite); code != 0 {
				t.Fatalf("testdoc: exit %d: %s", code, stderr)
			}
			b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			var m testdoc.Manifest
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			reasons := map[string]string{
				"ErrDataGroupHash":    "DG",
				"ErrUnknownCSCA":      "unknown CSCA",
				"ErrSignerExpired":    "outside its validity",
				"ErrSignerRevoked":    "revoked",
				"ErrDocumentExpired":  "document expired",
				"ErrMRZMismatch":      "MRZ",
				"ErrSignatureInvalid": "signature invalid",
			}
			for _, c := range m.Chips {
				t.Run(string(c.Variant)+"/"+c.Person, func(t *testing.T) {
					out, stderr, code := runNetid(t, "document", "verify", "--trust", filepath.Join(dir, m.TrustDir),
						"--chip", filepath.Join(dir, c.File), "--mrz", c.PrintedMRZ)
					if c.Variant == testdoc.VariantValid {
						if code != 0 || !strings.Contains(out, c.Document.DocumentNumber) {
							t.Errorf("valid chip: exit %d, stderr %q", code, stderr)
						}
						return
					}
					want, ok := reasons[c.Refusal.Error]
					if !ok {
						t.Fatalf("manifest names refusal %q, unknown to this test", c.Refusal.Error)
					}
					if code != exitRefused || !strings.Contains(stderr, want) {
						t.Errorf("%s: exit %d, stderr %q; want exit %d naming %q", c.Variant, code, stderr, exitRefused, want)
					}
				})
			}
		})
	}
}
