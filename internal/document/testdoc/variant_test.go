package testdoc

import (
	"bytes"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"
	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/document"
)

// findings are the facts a passive-authentication verifier establishes,
// computed here with encoding/asn1 and the standard verifiers only. Each
// broken variant must differ from a valid chip in exactly one of them.
type findings struct {
	DG1HashOK      bool
	DG2HashOK      bool
	SignatureOK    bool
	ChainsToCSCA   bool
	SignerValid    bool // the DS certificate was valid at the signing time
	SignerRevoked  bool
	DocumentValid  bool // the MRZ expiry date is not past
	PrintedMatches bool // the printed MRZ equals DG1
}

var validFindings = findings{true, true, true, true, true, false, true, true}

func examine(t *testing.T, iss *Issuer, doc *Document) findings {
	t.Helper()
	files := doc.Chip.Files
	p := parseSOD(t, files["SOD"])
	var f findings
	for _, h := range p.lso.Hashes {
		ok := bytes.Equal(h.Value, p.digest(t, files[map[int]string{1: "DG1", 2: "DG2"}[h.Number]]))
		switch h.Number {
		case 1:
			f.DG1HashOK = ok
		case 2:
			f.DG2HashOK = ok
		}
	}
	f.SignatureOK = p.verifySignature() == nil
	ca, err := smx509.ParseCertificate(iss.CSCACertificate())
	if err != nil {
		t.Fatal(err)
	}
	f.ChainsToCSCA = bytes.Equal(p.cert.RawIssuer, ca.RawSubject) && p.cert.CheckSignatureFrom(ca) == nil
	f.SignerValid = !doc.SigningTime.Before(p.cert.NotBefore) && !doc.SigningTime.After(p.cert.NotAfter)
	f.SignerRevoked = p.cert.SerialNumber.Cmp(iss.RevokedSerial()) == 0
	dg1MRZ := string(mustTLV(t, mustTLV(t, files["DG1"], tagDG1), tagMRZ))
	mrz, err := document.ParseMRZAt(mrzText(dg1MRZ), fixedNow)
	if err != nil {
		t.Fatalf("DG1 MRZ %q: %v", dg1MRZ, err)
	}
	f.DocumentValid = !mrz.Expired(fixedNow)
	if _, err := document.ParseMRZAt(doc.PrintedMRZ, fixedNow); err != nil {
		t.Fatalf("printed MRZ %q: %v", doc.PrintedMRZ, err)
	}
	f.PrintedMatches = strings.ReplaceAll(doc.PrintedMRZ, "\n", "") == dg1MRZ
	return f
}

// mrzText splits a DG1 MRZ into its lines: 3 of 30 or 2 of 44.
func mrzText(s string) string {
	n := 44
	if len(s) == 90 {
		n = 30
	}
	var lines []string
	for i := 0; i < len(s); i += n {
		lines = append(lines, s[i:min(i+n, len(s))])
	}
	return strings.Join(lines, "\n")
}

func TestVariants(t *testing.T) {
	portrait, err := Portrait(11)
	if err != nil {
		t.Fatal(err)
	}
	want := map[Variant]func(*findings){
		VariantValid:           func(*findings) {},
		VariantTamperedDG1:     func(f *findings) { f.DG1HashOK = false },
		VariantTamperedDG2:     func(f *findings) { f.DG2HashOK = false },
		VariantWrongSigner:     func(f *findings) { f.ChainsToCSCA = false },
		VariantExpiredSigner:   func(f *findings) { f.SignerValid = false },
		VariantRevokedSigner:   func(f *findings) { f.SignerRevoked = true },
		VariantExpiredDocument: func(f *findings) { f.DocumentValid = false },
		VariantMRZMismatch:     func(f *findings) { f.PrintedMatches = false },
		VariantBadSignature:    func(f *findings) { f.SignatureOK = false },
	}
	if got := len(BrokenVariants()) + 1; got != len(want) {
		t.Fatalf("%d variants, but the test knows %d", got, len(want))
	}
	for _, name := range []string{"intl", "sm", "intl-rsapss"} {
		iss := issuerFor(t, name)
		for _, v := range append([]Variant{VariantValid}, BrokenVariants()...) {
			for _, format := range []document.Format{document.TD3, document.TD1} {
				t.Run(name+"/"+string(v)+"/"+string(format), func(t *testing.T) {
					spec := adultSpec()
					spec.Format = format
					doc, err := iss.Issue(spec, portrait, WithVariant(v))
					if err != nil {
						t.Fatal(err)
					}
					if doc.Variant != v {
						t.Errorf("variant: got %q, want %q", doc.Variant, v)
					}
					w := validFindings
					want[v](&w)
					if diff := cmp.Diff(w, examine(t, iss, doc)); diff != "" {
						t.Errorf("findings (-want +got):\n%s", diff)
					}
					if r, ok := v.Refusal(); !ok || r.Reason == "" || (v != VariantValid) != (r.Error != "") {
						t.Errorf("Refusal() = %+v, %v: want a reason, and an error name for broken variants", r, ok)
					}
				})
			}
		}
	}
}

func TestVariantOptions(t *testing.T) {
	iss := issuerFor(t, "intl")
	portrait, _ := Portrait(1)
	for _, tc := range []struct {
		opt  ChipOption
		want Variant
	}{
		{TamperedGroup(1), VariantTamperedDG1},
		{TamperedGroup(2), VariantTamperedDG2},
		{WrongSigner(), VariantWrongSigner},
		{ExpiredSigner(), VariantExpiredSigner},
		{RevokedSigner(), VariantRevokedSigner},
		{ExpiredDocument(), VariantExpiredDocument},
		{MRZMismatch(), VariantMRZMismatch},
		{BadSignature(), VariantBadSignature},
	} {
		doc, err := iss.Issue(adultSpec(), portrait, tc.opt)
		if err != nil || doc.Variant != tc.want {
			t.Errorf("option for %s: got %v, %v", tc.want, doc, err)
		}
	}
	for _, opt := range []ChipOption{TamperedGroup(3), WithVariant("melted")} {
		if _, err := iss.Chip(adultSpec(), portrait, opt); err == nil {
			t.Error("an unknown variant was accepted")
		}
	}
	if _, err := iss.Chip(adultSpec(), []byte("not a JPEG")); err == nil {
		t.Error("a portrait that is not a JPEG was accepted")
	}
}
