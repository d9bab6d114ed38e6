package testdoc

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/document"
)

// specimen is the holder of the ICAO 9303 specimens (part 4 and part 5,
// appendix A), whose MRZs are published with every check digit.
func specimen(f document.Format, code, number, optional string) DocumentSpec {
	return DocumentSpec{
		Person: Person{
			PrimaryIdentifier: "Eriksson", SecondaryIdentifier: "Anna Maria",
			BirthDate: document.Date{Year: 1974, Month: time.August, Day: 12}, Sex: "F", Nationality: "UTO",
		},
		Format: f, DocumentCode: code, IssuingState: "UTO", DocumentNumber: number,
		Expiry: document.Date{Year: 2012, Month: time.April, Day: 15}, OptionalData: optional,
	}
}

func TestMRZSpecimens(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec DocumentSpec
		want string
	}{
		{
			name: "TD3 passport",
			spec: specimen(document.TD3, "P", "L898902C3", "ZE184226B"),
			want: "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n" +
				"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
		},
		{
			name: "TD1 identity card",
			spec: specimen(document.TD1, "I", "D23145890", ""),
			want: "I<UTOD231458907<<<<<<<<<<<<<<<\n" +
				"7408122F1204159UTO<<<<<<<<<<<6\n" +
				"ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MRZ(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("MRZ:\ngot  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestMRZRoundTrip parses generated MRZs with package document's parser,
// which checks every check digit, and compares the fields.
func TestMRZRoundTrip(t *testing.T) {
	birth := document.Date{Year: 2015, Month: time.February, Day: 28}
	expiry := document.Date{Year: 2030, Month: time.December, Day: 31}
	for _, tc := range []struct {
		name string
		spec DocumentSpec
		want document.MRZ
	}{
		{
			name: "passport defaults",
			spec: DocumentSpec{Person: Person{PrimaryIdentifier: "Ceshi", SecondaryIdentifier: "Xiaohai", BirthDate: birth, Sex: "M"},
				IssuingState: "CHN", DocumentNumber: "TEST00002", Expiry: expiry},
			want: document.MRZ{Format: document.TD3, DocumentCode: "P", IssuingState: "CHN", DocumentNumber: "TEST00002",
				PrimaryIdentifier: "CESHI", SecondaryIdentifier: "XIAOHAI", Nationality: "CHN", BirthDate: birth, Sex: "M", Expiry: expiry},
		},
		{
			name: "identity card, German nationality, sex unspecified, name truncated",
			spec: DocumentSpec{Person: Person{PrimaryIdentifier: "Müller-Lüdenscheidt", SecondaryIdentifier: "Jürgen Ørsted", BirthDate: birth, Sex: "X", Nationality: "D"},
				Format: document.TD1, IssuingState: "D", DocumentNumber: "T22000129", Expiry: expiry, OptionalData: "ABC", OptionalData2: "X 1"},
			want: document.MRZ{Format: document.TD1, DocumentCode: "ID", IssuingState: "D", DocumentNumber: "T22000129", OptionalData: "ABC", OptionalData2: "X<1",
				PrimaryIdentifier: "MUELLER LUEDENSCHEIDT", SecondaryIdentifier: "JUERGEN", Nationality: "D", BirthDate: birth, Sex: "X", Expiry: expiry},
		},
		{
			name: "identity card with a long document number",
			spec: DocumentSpec{Person: Person{PrimaryIdentifier: "Test", SecondaryIdentifier: "Long", BirthDate: birth, Sex: "F"},
				Format: document.TD1, IssuingState: "UTO", DocumentNumber: "D23145890123", Expiry: expiry, OptionalData: "OPT"},
			want: document.MRZ{Format: document.TD1, DocumentCode: "ID", IssuingState: "UTO", DocumentNumber: "D23145890123", OptionalData: "OPT",
				PrimaryIdentifier: "TEST", SecondaryIdentifier: "LONG", Nationality: "UTO", BirthDate: birth, Sex: "F", Expiry: expiry},
		},
		{
			name: "unknown birth day",
			spec: DocumentSpec{Person: Person{PrimaryIdentifier: "Ceshi", BirthDate: document.Date{Year: 1960, Month: time.July}, Sex: "F", Nationality: "XXX"},
				IssuingState: "XXA", DocumentNumber: "A1", Expiry: expiry},
			want: document.MRZ{Format: document.TD3, DocumentCode: "P", IssuingState: "XXA", DocumentNumber: "A1",
				PrimaryIdentifier: "CESHI", Nationality: "XXX", BirthDate: document.Date{Year: 1960, Month: time.July}, Sex: "F", Expiry: expiry},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, err := MRZ(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, err := document.ParseMRZAt(text, fixedNow)
			if err != nil {
				t.Fatalf("ParseMRZAt(%q): %v", text, err)
			}
			if diff := cmp.Diff(tc.want, *got, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Lines" }, cmp.Ignore())); diff != "" {
				t.Errorf("parsed MRZ %q (-want +got):\n%s", text, diff)
			}
		})
	}
}

func TestMRZErrors(t *testing.T) {
	good := DocumentSpec{Person: Person{PrimaryIdentifier: "Ceshi", BirthDate: document.Date{Year: 1990, Month: 1, Day: 2}, Sex: "F"},
		IssuingState: "CHN", DocumentNumber: "TEST1", Expiry: document.Date{Year: 2030, Month: 1, Day: 2}}
	if _, err := MRZ(good); err != nil {
		t.Fatalf("the base spec must be valid: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*DocumentSpec)
	}{
		{"unknown format", func(s *DocumentSpec) { s.Format = "TD9" }},
		{"document code with a digit", func(s *DocumentSpec) { s.DocumentCode = "P1" }},
		{"document code too long", func(s *DocumentSpec) { s.DocumentCode = "PAS" }},
		{"unknown issuing state", func(s *DocumentSpec) { s.IssuingState = "ZZZ" }},
		{"unknown nationality", func(s *DocumentSpec) { s.Nationality = "QQ" }},
		{"no birth date", func(s *DocumentSpec) { s.BirthDate = document.Date{} }},
		{"impossible birth date", func(s *DocumentSpec) { s.BirthDate = document.Date{Year: 1990, Month: 2, Day: 30} }},
		{"incomplete expiry", func(s *DocumentSpec) { s.Expiry = document.Date{Year: 2030} }},
		{"day without month", func(s *DocumentSpec) { s.BirthDate = document.Date{Year: 1990, Day: 3} }},
		{"unknown sex", func(s *DocumentSpec) { s.Sex = "Q" }},
		{"empty document number", func(s *DocumentSpec) { s.DocumentNumber = "" }},
		{"document number with a filler", func(s *DocumentSpec) { s.DocumentNumber = "AB<1" }},
		{"TD3 document number over 9", func(s *DocumentSpec) { s.DocumentNumber = "TEST000001" }},
		{"TD1 document number over 22", func(s *DocumentSpec) { s.Format = document.TD1; s.DocumentNumber = strings.Repeat("1", 23) }},
		{"TD3 personal number over 14", func(s *DocumentSpec) { s.OptionalData = strings.Repeat("1", 15) }},
		{"optional data with punctuation", func(s *DocumentSpec) { s.OptionalData = "A-1" }},
		{"TD1 optional data 2 over 11", func(s *DocumentSpec) { s.Format = document.TD1; s.OptionalData2 = strings.Repeat("1", 12) }},
		{"TD1 optional data too long for a long number", func(s *DocumentSpec) {
			s.Format = document.TD1
			s.DocumentNumber = "D23145890123"
			s.OptionalData = strings.Repeat("1", 13)
		}},
		{"empty name", func(s *DocumentSpec) { s.PrimaryIdentifier = " - " }},
		{"Chinese characters", func(s *DocumentSpec) { s.PrimaryIdentifier = "测试" }},
		{"Cyrillic", func(s *DocumentSpec) { s.SecondaryIdentifier = "Анна" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.change(&s)
			got, err := MRZ(s)
			if !errors.Is(err, ErrSpec) {
				t.Errorf("MRZ: got %q, %v, want an error wrapping ErrSpec", got, err)
			}
		})
	}
}

func TestTransliterate(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"anna maria", "ANNA<MARIA"},
		{"  Anna   Maria  ", "ANNA<MARIA"},
		{"Jean-Luc", "JEAN<LUC"},
		{"O'Brien", "OBRIEN"},
		{"St. John, Jr", "ST<JOHN<JR"},
		{"Ärzte Öl Übel", "AERZTE<OEL<UEBEL"},
		{"Straße", "STRASSE"},
		{"Åse Ærø", "AASE<AEROE"},
		{"Þór Ðórðarson", "THOR<DORDARSON"},
		{"Łódź", "LODZ"},
		{"José Müller Çelik", "JOSE<MUELLER<CELIK"},
		{"Nguyễn", "NGUYEN"},
		{"e\u0301", "E"}, // decomposed é
		{"", ""},
	} {
		got, err := transliterate(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("transliterate(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"王", "Αλέξης", "Anna1", "a@b"} {
		if got, err := transliterate(in); !errors.Is(err, ErrSpec) {
			t.Errorf("transliterate(%q) = %q, %v, want an error wrapping ErrSpec", in, got, err)
		}
	}
}

func TestNameField(t *testing.T) {
	for _, tc := range []struct {
		name               string
		primary, secondary string
		width              int
		want               string
	}{
		{"fits", "Ceshi", "Daren", 30, "CESHI<<DAREN<<<<<<<<<<<<<<<<<<"},
		{"no secondary", "Ceshi", "", 10, "CESHI<<<<<"},
		{"exactly fits", "ABCDE", "FGH", 10, "ABCDE<<FGH"},
		{"secondary truncated", "ABCDE", "FGHIJ", 10, "ABCDE<<FGH"},
		{"secondary truncated at a filler", "ABCDE", "FG HIJ", 10, "ABCDE<<FG<"},
		{"primary too long keeps an initial", "ABCDEFGHIJKL", "MNO", 10, "ABCDEFG<<M"},
		{"primary too long alone", "ABCDEFGHIJKL", "", 10, "ABCDEFGHIJ"},
		{"primary too long, cut at a filler", "ABCDEF GHIJ", "K", 10, "ABCDEF<<K<"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := nameField(tc.primary, tc.secondary, tc.width)
			if err != nil || got != tc.want {
				t.Errorf("nameField(%q, %q, %d) = %q, %v, want %q", tc.primary, tc.secondary, tc.width, got, err, tc.want)
			}
			if len(got) != tc.width {
				t.Errorf("got %d characters, want %d", len(got), tc.width)
			}
		})
	}
}

// FuzzMRZ checks that MRZ either refuses a spec with ErrSpec or produces an
// MRZ that package document parses with every check digit correct and the
// same document number, dates and sex. Names and numbers are the input that
// comes from outside (command line, people files).
func FuzzMRZ(f *testing.F) {
	f.Add("Eriksson", "Anna Maria", "L898902C3", "ZE184226B", false, 1974, 8, 12, "F")
	f.Add("Müller", "Jürgen", "T22000129", "", true, 2015, 2, 28, "X")
	f.Add("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQ", "X", "D23145890123", "1", true, 1900, 0, 0, "M")
	f.Add("王", "", "1", "", false, 2000, 1, 1, "M")
	f.Add("a<<b", "- -", "ABC<", "a b", true, 1999, 13, 1, "")
	f.Fuzz(func(t *testing.T, primary, secondary, number, optional string, td1 bool, y, m, d int, sex string) {
		spec := DocumentSpec{
			Person: Person{PrimaryIdentifier: primary, SecondaryIdentifier: secondary,
				BirthDate: document.Date{Year: y, Month: time.Month(m), Day: d}, Sex: sex},
			IssuingState: "UTO", DocumentNumber: number, OptionalData: optional,
			Expiry: document.Date{Year: 2031, Month: time.January, Day: 1},
		}
		if td1 {
			spec.Format = document.TD1
		}
		text, err := MRZ(spec)
		if err != nil {
			if !errors.Is(err, ErrSpec) {
				t.Fatalf("MRZ: %v does not wrap ErrSpec", err)
			}
			return
		}
		got, err := document.ParseMRZAt(text, fixedNow)
		if err != nil {
			t.Fatalf("ParseMRZAt(%q): %v", text, err)
		}
		if want := strings.ToUpper(number); got.DocumentNumber != want {
			t.Errorf("document number: got %q, want %q", got.DocumentNumber, want)
		}
		if got.Expiry != spec.Expiry {
			t.Errorf("expiry: got %v, want %v", got.Expiry, spec.Expiry)
		}
		if got.BirthDate.Year%100 != y%100 || got.BirthDate.Month != time.Month(m) || got.BirthDate.Day != d {
			t.Errorf("birth date: got %v, want %04d-%02d-%02d modulo the century", got.BirthDate, y, m, d)
		}
	})
}
