package testdoc

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/netid/netid/internal/document/emrtd"
)

// sentinels maps the error names of Variant.Refusal to emrtd's errors.
var sentinels = map[string]error{
	"ErrDataGroupHash":    emrtd.ErrDataGroupHash,
	"ErrUnknownCSCA":      emrtd.ErrUnknownCSCA,
	"ErrSignerExpired":    emrtd.ErrSignerExpired,
	"ErrSignerRevoked":    emrtd.ErrSignerRevoked,
	"ErrDocumentExpired":  emrtd.ErrDocumentExpired,
	"ErrMRZMismatch":      emrtd.ErrMRZMismatch,
	"ErrSignatureInvalid": emrtd.ErrSignatureInvalid,
}

// checkVerdict checks that err is nil for a valid variant, and otherwise
// wraps the variant's own sentinel and no other one.
func checkVerdict(t *testing.T, v Variant, err error) {
	t.Helper()
	r, ok := v.Refusal()
	if !ok {
		t.Fatalf("unknown variant %q", v)
	}
	if v == VariantValid {
		if err != nil {
			t.Errorf("valid chip refused: %v", err)
		}
		return
	}
	want, ok := sentinels[r.Error]
	if !ok {
		t.Fatalf("variant %s names %q, which is not an emrtd sentinel", v, r.Error)
	}
	if !errors.Is(err, want) {
		t.Errorf("got %v, want an error wrapping emrtd.%s", err, r.Error)
	}
	for name, other := range sentinels {
		if name != r.Error && errors.Is(err, other) {
			t.Errorf("the refusal %v also wraps emrtd.%s: the reason is not its own", err, name)
		}
	}
}

// TestVerifyChipEndToEnd verifies every variant, in every suite and both
// MRZ formats, through emrtd's public API and a trust directory written by
// WriteTrust.
func TestVerifyChipEndToEnd(t *testing.T) {
	portrait, err := Portrait(9)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"intl", "sm", "intl-rsapss"} {
		iss := issuerFor(t, name)
		dir := t.TempDir()
		if err := iss.WriteTrust(dir); err != nil {
			t.Fatal(err)
		}
		trust, err := emrtd.LoadTrustDir(dir, fixedNow)
		if err != nil {
			t.Fatalf("LoadTrustDir: %v", err)
		}
		for _, v := range append([]Variant{VariantValid}, BrokenVariants()...) {
			for _, tc := range []struct {
				name string
				spec func() DocumentSpec
				opts []ChipOption
			}{
				{"TD3", adultSpec, nil},
				{"TD1", func() DocumentSpec { s := adultSpec(); s.Format = "TD1"; return s }, nil},
				{"TD3-ski", adultSpec, []ChipOption{WithSignerKeyID()}},
			} {
				t.Run(name+"/"+string(v)+"/"+tc.name, func(t *testing.T) {
					doc, err := iss.Issue(tc.spec(), portrait, append(tc.opts, WithVariant(v))...)
					if err != nil {
						t.Fatal(err)
					}
					_, err = emrtd.VerifyChip(doc.Chip, trust, emrtd.VerifyOptions{Now: fixedNow, PrintedMRZ: doc.PrintedMRZ})
					checkVerdict(t, v, err)
				})
			}
		}
	}
}

// TestNothingSyntheticIsTrusted checks that a valid synthetic chip is
// refused when the trust directory holds another CSCA, or none.
func TestNothingSyntheticIsTrusted(t *testing.T) {
	portrait, _ := Portrait(1)
	chip, err := issuerFor(t, "intl").Chip(adultSpec(), portrait)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := emrtd.LoadTrustDir(t.TempDir(), fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	if err := issuerFor(t, "sm").WriteTrust(other); err != nil {
		t.Fatal(err)
	}
	otherTrust, err := emrtd.LoadTrustDir(other, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	for name, trust := range map[string]*emrtd.TrustStore{"empty": empty, "another CSCA": otherTrust} {
		if _, err := emrtd.VerifyChip(chip, trust, emrtd.VerifyOptions{Now: fixedNow}); !errors.Is(err, emrtd.ErrUnknownCSCA) {
			t.Errorf("%s trust store: got %v, want ErrUnknownCSCA", name, err)
		}
	}
}

// TestWriteSetVerifies reads a set back from disk as netid would, manifest
// first, and checks each chip's verdict against the manifest.
func TestWriteSetVerifies(t *testing.T) {
	for _, suite := range []string{SuiteIntl, SuiteSM} {
		t.Run(suite, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := WriteSet(dir, SetConfig{Suite: suite, Country: "CN", Now: fixedClock}); err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			var m Manifest
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			trust, err := emrtd.LoadTrustDir(filepath.Join(dir, m.TrustDir), fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			refused := map[string]bool{}
			for _, c := range m.Chips {
				b, err := os.ReadFile(filepath.Join(dir, c.File))
				if err != nil {
					t.Fatal(err)
				}
				dump, err := emrtd.ParseChipDump(b)
				if err != nil {
					t.Fatal(err)
				}
				_, err = emrtd.VerifyChip(dump, trust, emrtd.VerifyOptions{Now: fixedNow, PrintedMRZ: c.PrintedMRZ})
				t.Run(filepath.Base(c.File), func(t *testing.T) { checkVerdict(t, c.Variant, err) })
				if err != nil {
					refused[c.Refusal.Error] = true
				}
			}
			if got, want := len(refused), len(sentinels); got != want {
				t.Errorf("the set exercises %d refusal reasons, want all %d", got, want)
			}
		})
	}
}
