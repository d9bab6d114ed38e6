package document

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseDocType(t *testing.T) {
	for _, info := range DocTypes() {
		got, err := ParseDocType(" " + strings.ToUpper(string(info.Type)) + "\n")
		if err != nil || got != info.Type {
			t.Errorf("ParseDocType(%q) = %q, %v; want %q", info.Type, got, err, info.Type)
		}
	}
	for _, in := range []string{"", "id-card", "passport2", "resident_id_card"} {
		_, err := ParseDocType(in)
		if !errors.Is(err, ErrDocType) {
			t.Errorf("ParseDocType(%q) error = %v, want ErrDocType", in, err)
			continue
		}
		if !strings.Contains(err.Error(), "resident-id-card, hk-macao-residence-permit") {
			t.Errorf("ParseDocType(%q) error %q does not list the accepted types", in, err)
		}
	}
}

func TestDocTypeInfo(t *testing.T) {
	if len(DocTypes()) != 7 {
		t.Fatalf("got %d document types, want 7", len(DocTypes()))
	}
	for _, info := range DocTypes() {
		if len(info.Evidence) == 0 || info.Name == "" || info.NameZH == "" || info.NumberFormat == "" {
			t.Errorf("type %q is incompletely described: %+v", info.Type, info)
		}
	}
	tests := []struct {
		t    DocType
		e    Evidence
		want bool
	}{
		{ResidentIDCard, EvidenceAuthority, true},
		{ResidentIDCard, EvidenceChip, false},
		{Passport, EvidenceChip, true},
		{Passport, EvidenceAuthority, false},
		{HKMacaoTravelPermit, EvidenceChip, true},
		{ForeignPermanentResidentCard, EvidenceAuthority, true},
		{DocType("nonsense"), EvidenceAuthority, false},
	}
	for _, tt := range tests {
		if got := tt.t.Accepts(tt.e); got != tt.want {
			t.Errorf("%q.Accepts(%q) = %v, want %v", tt.t, tt.e, got, tt.want)
		}
	}
	// The returned descriptions are copies.
	DocTypes()[0].Evidence[0] = "tampered"
	if info, _ := ResidentIDCard.Info(); info.Evidence[0] != EvidenceAuthority {
		t.Errorf("DocTypes() exposes the package's table: got evidence %q", info.Evidence[0])
	}
}

func TestValidateNumber(t *testing.T) {
	hk := idNumber(t, "81000019900101001")
	tw := idNumber(t, "83000019851231002")
	fpr := idNumber(t, "91184019800704001") // Beijing (11), USA (840)
	tests := []struct {
		name   string
		t      DocType
		number string
		want   *Number
	}{
		{"resident ID card", ResidentIDCard, "11010519491231002x",
			&Number{Type: ResidentIDCard, Number: specimenIDNumber, PersonNumber: specimenIDNumber, Region: "110105", BirthDate: Date{1949, 12, 31}, Sex: "F"}},
		{"Hong Kong residence permit", HKMacaoResidencePermit, hk,
			&Number{Type: HKMacaoResidencePermit, Number: hk, PersonNumber: hk, Region: "810000", BirthDate: Date{1990, 1, 1}, Sex: "M"}},
		{"Taiwan residence permit", TaiwanResidencePermit, tw,
			&Number{Type: TaiwanResidencePermit, Number: tw, PersonNumber: tw, Region: "830000", BirthDate: Date{1985, 12, 31}, Sex: "F"}},
		{"Hong Kong travel permit", HKMacaoTravelPermit, "h12345678",
			&Number{Type: HKMacaoTravelPermit, Number: "H12345678", PersonNumber: "H12345678", Region: "810000"}},
		{"Macao travel permit with issue count", HKMacaoTravelPermit, "M1234567802",
			&Number{Type: HKMacaoTravelPermit, Number: "M1234567802", PersonNumber: "M12345678", Region: "820000", IssueCount: 2}},
		{"Taiwan travel permit", TaiwanTravelPermit, "05616820",
			&Number{Type: TaiwanTravelPermit, Number: "05616820", PersonNumber: "05616820", Region: "830000"}},
		{"old Taiwan travel permit", TaiwanTravelPermit, "0561682001(d)",
			&Number{Type: TaiwanTravelPermit, Number: "0561682001(D)", PersonNumber: "05616820", Region: "830000", IssueCount: 1}},
		{"old Taiwan travel permit, no office", TaiwanTravelPermit, "0561682003",
			&Number{Type: TaiwanTravelPermit, Number: "0561682003", PersonNumber: "05616820", Region: "830000", IssueCount: 3}},
		{"permanent resident card 2023", ForeignPermanentResidentCard, fpr,
			&Number{Type: ForeignPermanentResidentCard, Number: fpr, PersonNumber: fpr, Region: "11", Nationality: "840", BirthDate: Date{1980, 7, 4}, Sex: "M"}},
		{"permanent resident card 2004", ForeignPermanentResidentCard, "kaz110090123105",
			&Number{Type: ForeignPermanentResidentCard, Number: "KAZ110090123105", PersonNumber: "KAZ110090123105", Region: "1100", Nationality: "KAZ", BirthDate: Date{1990, 12, 31}}},
		{"passport", Passport, " l898902c3 ",
			&Number{Type: Passport, Number: "L898902C3", PersonNumber: "L898902C3"}},
		{"type name in capitals", DocType(" PASSPORT "), "X1",
			&Number{Type: Passport, Number: "X1", PersonNumber: "X1"}},
		{"short passport number", Passport, "X1",
			&Number{Type: Passport, Number: "X1", PersonNumber: "X1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ValidateNumber(tt.t, tt.number, testNow)
			if err != nil {
				t.Fatalf("ValidateNumber(%q, %q): %v", tt.t, tt.number, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ValidateNumber(%q, %q) mismatch (-want +got):\n%s", tt.t, tt.number, diff)
			}
		})
	}
}

func TestValidateNumberErrors(t *testing.T) {
	hk := idNumber(t, "81000019900101001")
	tests := []struct {
		name     string
		t        DocType
		number   string
		want     string
		sentinel error
	}{
		{"unknown type", DocType("drivers-licence"), "123", `document type "drivers-licence" is not accepted; want one of resident-id-card, hk-macao-residence-permit, taiwan-residence-permit, hk-macao-travel-permit, taiwan-travel-permit, foreign-permanent-resident-card, passport: unknown or unexpected document type`, ErrDocType},
		{"residence permit as ID card", ResidentIDCard, hk, `id number: columns 1-6: region code "810000" is the region code of a hk-macao-residence-permit, not of a resident-id-card`, ErrDocType},
		{"ID card as residence permit", HKMacaoResidencePermit, specimenIDNumber, `id number: columns 1-6: region code "110105" is the region code of a resident-id-card, not of a hk-macao-residence-permit`, ErrDocType},
		{"Hong Kong permit as Taiwan's", TaiwanResidencePermit, hk, `id number: columns 1-6: region code "810000" is the region code of a hk-macao-residence-permit, not of a taiwan-residence-permit`, ErrDocType},
		{"ID card check character", ResidentIDCard, "110105194912310021", `id number: check character is "1", want "X"`, ErrCheckDigit},
		{"travel permit letter", HKMacaoTravelPermit, "K12345678", `travel permit number: column 1: first letter is "K", want H (Hong Kong) or M (Macao)`, ErrFormat},
		{"travel permit length", HKMacaoTravelPermit, "H1234567", `travel permit number: has 7 characters after H, want 8 (or 10 on older permits)`, ErrFormat},
		{"travel permit digits", HKMacaoTravelPermit, "H1234S678", `travel permit number: column 6: character "S" is not a digit`, ErrFormat},
		{"travel permit empty", HKMacaoTravelPermit, "  ", `travel permit number: is empty`, ErrFormat},
		{"Taiwan permit length", TaiwanTravelPermit, "1234567", `travel permit number: has 7 characters, want 8 (or 10 on permits issued before 25 September 2008)`, ErrFormat},
		{"Taiwan permit office", TaiwanTravelPermit, "0561682001(DD)", `travel permit number: column 11: issuing office code "(DD)" is not one letter or digit in parentheses`, ErrFormat},
		{"Taiwan permit office on 8 digits", TaiwanTravelPermit, "05616820(D)", `travel permit number: has 8 digits before the office code, want 10`, ErrFormat},
		{"Taiwan permit letter", TaiwanTravelPermit, "0561682O", `travel permit number: column 8: character "O" is not a digit`, ErrFormat},
		{"permanent resident length", ForeignPermanentResidentCard, "KAZ11009012310", `permanent resident card number: has 14 characters, want 18 (or 15 on cards issued before December 2023)`, ErrFormat},
		{"permanent resident 2004 check", ForeignPermanentResidentCard, "KAZ110090123106", `permanent resident card number: column 15: check digit is "6", want "5"`, ErrCheckDigit},
		{"permanent resident 2004 nationality", ForeignPermanentResidentCard, "KAA110090123105", `permanent resident card number: columns 1-3: nationality "KAA" is not an ISO 3166-1 alpha-3 code`, ErrCountry},
		{"permanent resident 2004 letters", ForeignPermanentResidentCard, "K1Z110090123105", `permanent resident card number: column 2: nationality character "1" is not a letter (a 15-character number starts with 3 letters)`, ErrFormat},
		{"permanent resident 2004 region", ForeignPermanentResidentCard, "KAZ810090123105", `permanent resident card number: columns 4-7: accepting authority code "8100" does not start with a mainland province-level code`, ErrRegion},
		{"permanent resident 2004 date", ForeignPermanentResidentCard, "KAZ110090023105", `permanent resident card number: columns 8-13: birth date "900231" is not a calendar date YYMMDD`, ErrDate},
		{"permanent resident 2023 citizen number", ForeignPermanentResidentCard, specimenIDNumber, `permanent resident card number: column 1: first digit is "1", want 9 (an 18-character number starting otherwise is a citizen or residence permit number)`, ErrDocType},
		{"permanent resident 2023 region", ForeignPermanentResidentCard, idNumber(t, "98184019800704001"), `permanent resident card number: columns 2-3: accepting authority code "81" is not a mainland province-level code`, ErrRegion},
		{"permanent resident 2023 nationality", ForeignPermanentResidentCard, idNumber(t, "91100019800704001"), `permanent resident card number: columns 4-6: nationality "000" is not an ISO 3166-1 numeric code`, ErrCountry},
		{"permanent resident 2023 check", ForeignPermanentResidentCard, "911840198007040011", `permanent resident card number: check character is "1", want "0"`, ErrCheckDigit},
		{"permanent resident 2023 future", ForeignPermanentResidentCard, idNumber(t, "91184020270704001"), `permanent resident card number: columns 7-14: birth date "20270704" is in the future`, ErrDate},
		{"passport too long", Passport, "AB1234567890", `passport number: has 12 characters, want at most 9`, ErrFormat},
		{"passport filler", Passport, "L898<02C3", `passport number: column 5: character "<" is not a letter A-Z or a digit`, ErrFormat},
		{"passport non-ASCII", Passport, "Ё12345", `passport number: column 1: character "Ё" is not a letter A-Z or a digit`, ErrFormat},
		{"passport empty", Passport, "", `passport number: is empty`, ErrFormat},
		{"very long", Passport, strings.Repeat("A", 65), `passport number: has 65 characters, too many for any document number`, ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ValidateNumber(tt.t, tt.number, testNow)
			if err == nil {
				t.Fatalf("ValidateNumber(%q, %q) succeeded, want %q", tt.t, tt.number, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("ValidateNumber(%q, %q) error = %q, want %q", tt.t, tt.number, got, tt.want)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("ValidateNumber(%q, %q) error = %v, want errors.Is %v", tt.t, tt.number, err, tt.sentinel)
			}
		})
	}
}
