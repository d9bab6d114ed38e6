package document

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseMRZSpecimens(t *testing.T) {
	anna := func(f Format, code, number string, lines string) *MRZ {
		return &MRZ{Format: f, DocumentCode: code, IssuingState: "UTO", DocumentNumber: number,
			PrimaryIdentifier: "ERIKSSON", SecondaryIdentifier: "ANNA MARIA", Nationality: "UTO",
			BirthDate: Date{1974, time.August, 12}, Sex: "F", Expiry: Date{2012, time.April, 15},
			Lines: strings.Split(lines, "\n")}
	}
	peter := func(f Format, lines string) *MRZ {
		return &MRZ{Format: f, DocumentCode: "I", IssuingState: "UTO", DocumentNumber: "D23145890734",
			PrimaryIdentifier: "STEVENSON", SecondaryIdentifier: "PETER JOHN", Nationality: "UTO",
			BirthDate: Date{1934, time.July, 12}, Sex: "M", Expiry: Date{1995, time.July, 12},
			Lines: strings.Split(lines, "\n")}
	}
	td3 := anna(TD3, "P", "L898902C3", specimenTD3)
	td3.OptionalData = "ZE184226B"
	mrva := anna(MRVA, "V", "L8988901C", specimenMRVA)
	mrva.Nationality, mrva.BirthDate, mrva.Expiry, mrva.OptionalData = "XXX", Date{1940, time.September, 7}, Date{1996, time.December, 10}, "6ZE184226B"
	mrvb := anna(MRVB, "V", "L8988901C", specimenMRVB)
	mrvb.Nationality, mrvb.BirthDate, mrvb.Expiry = "XXX", Date{1940, time.September, 7}, Date{1996, time.December, 10}

	tests := []struct {
		name string
		text string
		want *MRZ
	}{
		{"TD3", specimenTD3, td3},
		{"TD1", specimenTD1, anna(TD1, "I", "D23145890", specimenTD1)},
		{"TD2", specimenTD2, anna(TD2, "I", "D23145890", specimenTD2)},
		{"TD1 long number", specimenTD1Long, peter(TD1, specimenTD1Long)},
		{"TD2 long number", specimenTD2Long, peter(TD2, specimenTD2Long)},
		{"MRV-A", specimenMRVA, mrva},
		{"MRV-B", specimenMRVB, mrvb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMRZAt(tt.text, testNow)
			if err != nil {
				t.Fatalf("ParseMRZAt: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseMRZAt mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMRZWhitespace(t *testing.T) {
	text := "  \r\n" + strings.ReplaceAll(specimenTD3, "\n", " \r\n\t") + "\r\n\n"
	got, err := ParseMRZAt(text, testNow)
	if err != nil {
		t.Fatalf("ParseMRZAt: %v", err)
	}
	if got.DocumentNumber != "L898902C3" {
		t.Errorf("got document number %q, want %q", got.DocumentNumber, "L898902C3")
	}
	if want := strings.Split(specimenTD3, "\n"); !cmp.Equal(got.Lines, want) {
		t.Errorf("got lines %q, want %q", got.Lines, want)
	}
}

// flip replaces the check digit at line, col (0-based) by another digit.
func flip(text string, line, col int) string {
	lines := strings.Split(text, "\n")
	b := []byte(lines[line])
	b[col] = '0' + (b[col]-'0'+1)%10
	lines[line] = string(b)
	return strings.Join(lines, "\n")
}

// TestParseMRZCheckDigits flips every check digit of every specimen in turn
// and expects the refusal to name that digit.
func TestParseMRZCheckDigits(t *testing.T) {
	type digit struct {
		line, col int
		field     string
	}
	tests := []struct {
		name   string
		text   string
		digits []digit
	}{
		{"TD3", specimenTD3, []digit{
			{1, 9, "document number check digit"}, {1, 19, "birth date check digit"},
			{1, 27, "expiry date check digit"}, {1, 42, "personal number check digit"},
			{1, 43, "composite check digit"}}},
		{"TD1", specimenTD1, []digit{
			{0, 14, "document number check digit"}, {1, 6, "birth date check digit"},
			{1, 14, "expiry date check digit"}, {1, 29, "composite check digit"}}},
		{"TD2", specimenTD2, []digit{
			{1, 9, "document number check digit"}, {1, 19, "birth date check digit"},
			{1, 27, "expiry date check digit"}, {1, 35, "composite check digit"}}},
		{"TD1 long number", specimenTD1Long, []digit{
			{0, 18, "document number check digit"}, {1, 6, "birth date check digit"},
			{1, 14, "expiry date check digit"}, {1, 29, "composite check digit"}}},
		{"TD2 long number", specimenTD2Long, []digit{
			{1, 31, "document number check digit"}, {1, 19, "birth date check digit"},
			{1, 27, "expiry date check digit"}, {1, 35, "composite check digit"}}},
		{"MRV-A", specimenMRVA, []digit{
			{1, 9, "document number check digit"}, {1, 19, "birth date check digit"},
			{1, 27, "expiry date check digit"}}},
	}
	for _, tt := range tests {
		for _, d := range tt.digits {
			t.Run(tt.name+"/"+d.field, func(t *testing.T) {
				text := flip(tt.text, d.line, d.col)
				_, err := ParseMRZAt(text, testNow)
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("ParseMRZAt(%q) error = %v, want a *FieldError", text, err)
				}
				if !errors.Is(err, ErrCheckDigit) {
					t.Errorf("got error %v, want ErrCheckDigit", err)
				}
				if fe.Field != d.field || fe.Line != d.line+1 || fe.Start != d.col+1 {
					t.Errorf("got field %q at line %d column %d, want %q at line %d column %d (%v)",
						fe.Field, fe.Line, fe.Start, d.field, d.line+1, d.col+1, err)
				}
			})
		}
	}
}

func TestParseMRZErrorMessages(t *testing.T) {
	tests := []struct {
		name, text, want string
		sentinel         error
	}{
		{"birth date check digit", flip(specimenTD3, 1, 19),
			`mrz: line 2, column 20: birth date check digit is "3", want "2"`, ErrCheckDigit},
		{"composite", flip(specimenTD1, 1, 29),
			`mrz: line 2, column 30: composite check digit is "7", want "6"`, ErrCheckDigit},
		{"short line", strings.Replace(specimenTD3, "<10", "10", 1),
			`mrz: line 2: has 43 characters, want 44 like line 1 (TD3)`, ErrFormat},
		{"lower case", strings.Replace(specimenTD3, "ERIKSSON", "Eriksson", 1),
			`mrz: line 1, column 7: character "r" is not allowed (only A-Z, 0-9 and <)`, ErrFormat},
		{"non-ASCII", strings.Replace(specimenTD3, "ERIKSSON", "ÉRIKSSO", 1),
			`mrz: line 1, column 6: character "É" is not allowed (only A-Z, 0-9 and <)`, ErrFormat},
		{"one line", strings.Split(specimenTD3, "\n")[0],
			`mrz: has 1 lines, want 3 lines of 30 characters (TD1), 2 of 36 (TD2) or 2 of 44 (TD3)`, ErrFormat},
		{"empty", "", `mrz: has 0 lines, want 3 lines of 30 characters (TD1), 2 of 36 (TD2) or 2 of 44 (TD3)`, ErrFormat},
		{"TD1 line length", strings.Replace(specimenTD1, "<<<<<<<<<<<<<<<\n", "<<<<<<<<<<<<<<\n", 1),
			`mrz: line 1: has 29 characters, want 30 (TD1)`, ErrFormat},
		{"unknown nationality", strings.Replace(specimenTD3, "C36UTO", "C36UTQ", 1),
			`mrz: line 2, columns 11-13: nationality "UTQ" is not an ISO 3166-1 alpha-3 or ICAO 9303 code`, ErrCountry},
		{"bad sex", strings.Replace(specimenTD3, "2F12", "2Q12", 1),
			`mrz: line 2, column 21: sex is "Q", want M, F or < (unspecified)`, ErrFormat},
		{"passport code", "I" + specimenTD3[1:],
			`mrz: line 1, column 1: document code "I<" does not start with P as a TD3 must`, ErrFormat},
		{"card code", "P" + specimenTD1[1:],
			`mrz: line 1, column 1: document code "P<" does not start with A, C or I as a TD1 must`, ErrFormat},
		{"check digit letter", strings.Replace(specimenTD2, "D231458907", "D23145890A", 1),
			`mrz: line 2, column 10: document number check digit is "A", not a digit (want "7")`, ErrFormat},
		{"long number without check digit", strings.Replace(specimenTD1Long, "<7349<", "<<<<<<", 1),
			`mrz: line 1, columns 16-30: document number continues in the optional data without its check digit and filler`, ErrFormat},
		{"too long", strings.Repeat("<", MaxMRZInput+1), `mrz: is 1025 bytes long, more than any MRZ`, ErrFormat},
		{"empty name", strings.Replace(specimenTD2, "ERIKSSON<<ANNA<MARIA", "<<<<<<<<<<<<<<<<<<<<", 1),
			`mrz: line 1, columns 6-36: name is empty`, ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMRZAt(tt.text, testNow)
			if err == nil {
				t.Fatalf("ParseMRZAt(%q) succeeded, want %q", tt.text, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got error %q, want %q", got, tt.want)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("got error %v, want errors.Is %v", err, tt.sentinel)
			}
		})
	}
}

// td3 builds a TD3 MRZ with correct check digits, as a document generator
// would, to test field rules the specimens do not reach.
func td3(t *testing.T, code, name, number, birth, sex, expiry, personal string) string {
	t.Helper()
	pad := func(s string, n int) string { return s + strings.Repeat("<", n-len(s)) }
	cd := func(s string) string {
		c, err := MRZCheckDigit(s)
		if err != nil {
			t.Fatalf("MRZCheckDigit(%q): %v", s, err)
		}
		return string(c)
	}
	l1 := pad(code, 2) + "UTO" + pad(name, 39)
	num, pers := pad(number, 9), pad(personal, 14)
	pcd := cd(pers)
	if personal == "" {
		pcd = "<"
	}
	l2 := num + cd(num) + "UTO" + birth + cd(birth) + sex + expiry + cd(expiry) + pers + pcd
	l2 += cd(l2[0:10] + l2[13:20] + l2[21:43])
	return l1 + "\n" + l2
}

func TestParseMRZFields(t *testing.T) {
	tests := []struct {
		name               string
		text               string
		primary, secondary string
		birth, expiry      Date
		sex, personal      string
		wantErr            error
	}{
		{name: "no secondary identifier", text: td3(t, "P", "ONLYNAME", "X1", "900101", "M", "300101", ""),
			primary: "ONLYNAME", birth: Date{1990, 1, 1}, expiry: Date{2030, 1, 1}, sex: "M"},
		{name: "multi-part names", text: td3(t, "P", "VAN<DER<BERG<<JAN<PIETER<<", "X1", "900101", "<", "300101", "12<34"),
			primary: "VAN DER BERG", secondary: "JAN PIETER", birth: Date{1990, 1, 1}, expiry: Date{2030, 1, 1}, sex: "X", personal: "12<34"},
		{name: "sex X", text: td3(t, "P", "A<<B", "X1", "900101", "X", "300101", ""),
			primary: "A", secondary: "B", birth: Date{1990, 1, 1}, expiry: Date{2030, 1, 1}, sex: "X"},
		{name: "birth this century", text: td3(t, "P", "A<<B", "X1", "260315", "F", "360101", ""),
			primary: "A", secondary: "B", birth: Date{2026, 3, 15}, expiry: Date{2036, 1, 1}, sex: "F"},
		{name: "birth tomorrow is last century", text: td3(t, "P", "A<<B", "X1", "260316", "F", "360101", ""),
			primary: "A", secondary: "B", birth: Date{1926, 3, 16}, expiry: Date{2036, 1, 1}, sex: "F"},
		{name: "expiry 49 years ahead", text: td3(t, "P", "A<<B", "X1", "900101", "F", "750101", ""),
			primary: "A", secondary: "B", birth: Date{1990, 1, 1}, expiry: Date{2075, 1, 1}, sex: "F"},
		{name: "expiry 51 years ahead is past", text: td3(t, "P", "A<<B", "X1", "900101", "F", "770101", ""),
			primary: "A", secondary: "B", birth: Date{1990, 1, 1}, expiry: Date{1977, 1, 1}, sex: "F"},
		{name: "unknown birth day", text: td3(t, "P", "A<<B", "X1", "9001<<", "F", "300101", ""),
			primary: "A", secondary: "B", birth: Date{1990, 1, 0}, expiry: Date{2030, 1, 1}, sex: "F"},
		{name: "unknown birth month and day", text: td3(t, "P", "A<<B", "X1", "90<<<<", "F", "300101", ""),
			primary: "A", secondary: "B", birth: Date{1990, 0, 0}, expiry: Date{2030, 1, 1}, sex: "F"},
		{name: "unknown birth date", text: td3(t, "P", "A<<B", "X1", "<<<<<<", "F", "300101", ""),
			primary: "A", secondary: "B", expiry: Date{2030, 1, 1}, sex: "F"},
		{name: "29 February 2000", text: td3(t, "P", "A<<B", "X1", "000229", "F", "300101", ""),
			primary: "A", secondary: "B", birth: Date{2000, 2, 29}, expiry: Date{2030, 1, 1}, sex: "F"},
		{name: "29 February 2001", text: td3(t, "P", "A<<B", "X1", "010229", "F", "300101", ""), wantErr: ErrDate},
		{name: "month 13", text: td3(t, "P", "A<<B", "X1", "901301", "F", "300101", ""), wantErr: ErrDate},
		{name: "day 0", text: td3(t, "P", "A<<B", "X1", "900100", "F", "300101", ""), wantErr: ErrDate},
		{name: "unknown birth month, known day", text: td3(t, "P", "A<<B", "X1", "90<<01", "F", "300101", ""), wantErr: ErrDate},
		{name: "letters in birth date", text: td3(t, "P", "A<<B", "X1", "9OO101", "F", "300101", ""), wantErr: ErrDate},
		{name: "unknown expiry", text: td3(t, "P", "A<<B", "X1", "900101", "F", "<<<<<<", ""), wantErr: ErrDate},
		{name: "expiry 31 April", text: td3(t, "P", "A<<B", "X1", "900101", "F", "300431", ""), wantErr: ErrDate},
		{name: "empty document number", text: td3(t, "P", "A<<B", "", "900101", "F", "300101", ""), wantErr: ErrFormat},
		{name: "name starts with filler", text: td3(t, "P", "<<B", "X1", "900101", "F", "300101", ""), wantErr: ErrFormat},
		{name: "digit as second code character", text: td3(t, "P1", "A<<B", "X1", "900101", "F", "300101", ""), wantErr: ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMRZAt(tt.text, testNow)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("ParseMRZAt(%q) error = %v, want %v", tt.text, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMRZAt(%q): %v", tt.text, err)
			}
			if got.PrimaryIdentifier != tt.primary || got.SecondaryIdentifier != tt.secondary {
				t.Errorf("got name %q / %q, want %q / %q", got.PrimaryIdentifier, got.SecondaryIdentifier, tt.primary, tt.secondary)
			}
			if got.BirthDate != tt.birth || got.Expiry != tt.expiry {
				t.Errorf("got birth %v expiry %v, want %v and %v", got.BirthDate, got.Expiry, tt.birth, tt.expiry)
			}
			if got.Sex != tt.sex || got.OptionalData != tt.personal {
				t.Errorf("got sex %q personal number %q, want %q and %q", got.Sex, got.OptionalData, tt.sex, tt.personal)
			}
		})
	}
}

func TestParseMRZPersonalNumberFiller(t *testing.T) {
	text := td3(t, "P", "A<<B", "X1", "900101", "F", "300101", "")
	if _, err := ParseMRZAt(text, testNow); err != nil {
		t.Fatalf("personal number check digit '<': %v", err)
	}
	// '0' is also the computed check digit of an all-filler field.
	l := strings.Split(text, "\n")
	l2 := l[1][:42] + "0"
	c, err := MRZCheckDigit(l2[0:10] + l2[13:20] + l2[21:43])
	if err != nil {
		t.Fatal(err)
	}
	zero := l[0] + "\n" + l2 + string(c)
	m, err := ParseMRZAt(zero, testNow)
	if err != nil {
		t.Fatalf("personal number check digit '0': %v", err)
	}
	if m.OptionalData != "" {
		t.Errorf("got personal number %q, want none", m.OptionalData)
	}
	// A personal number that is not empty needs a digit.
	bad := td3(t, "P", "A<<B", "X1", "900101", "F", "300101", "1")
	l = strings.Split(bad, "\n")
	l[1] = l[1][:42] + "<" + l[1][43:]
	if _, err := ParseMRZAt(strings.Join(l, "\n"), testNow); !errors.Is(err, ErrFormat) {
		t.Errorf("filler check digit over a personal number: got %v, want ErrFormat", err)
	}
}

func TestMRZCheckDigit(t *testing.T) {
	tests := []struct {
		in   string
		want byte
	}{
		{"L898902C3", '6'}, {"740812", '2'}, {"120415", '9'}, {"ZE184226B<<<<<", '1'},
		{"D23145890734", '9'}, {"", '0'}, {"<<<<", '0'}, {"A", '0'}, {"Z", '5'},
		{"520727", '3'},
	}
	for _, tt := range tests {
		got, err := MRZCheckDigit(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("MRZCheckDigit(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"abc", "12 3", "É"} {
		if _, err := MRZCheckDigit(in); !errors.Is(err, ErrFormat) {
			t.Errorf("MRZCheckDigit(%q) error = %v, want ErrFormat", in, err)
		}
	}
}

func TestMRZNameAndExpired(t *testing.T) {
	m, err := ParseMRZAt(specimenTD3, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Name(), "ERIKSSON ANNA MARIA"; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	for _, tt := range []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2012, 4, 15, 23, 59, 0, 0, time.UTC), false},
		{time.Date(2012, 4, 16, 0, 0, 0, 0, time.UTC), true},
	} {
		if got := m.Expired(tt.now); got != tt.want {
			t.Errorf("Expired(%v) = %v, want %v", tt.now, got, tt.want)
		}
	}
}

func TestKnownCountry(t *testing.T) {
	for _, c := range []string{"CHN", "HKG", "MAC", "TWN", "D", "UTO", "XXA", "XXB", "XXC", "XXX", "XOM", "UNO", "GBN", "RKS", "EUE"} {
		if !KnownCountry(c) {
			t.Errorf("KnownCountry(%q) = false, want true", c)
		}
	}
	for _, c := range []string{"", "DE", "DEX", "ABC", "chn", "D<<", "CHN "} {
		if KnownCountry(c) {
			t.Errorf("KnownCountry(%q) = true, want false", c)
		}
	}
}

func BenchmarkParseMRZ(b *testing.B) {
	for _, bm := range []struct{ name, text string }{{"TD3", specimenTD3}, {"TD1", specimenTD1}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseMRZAt(bm.text, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
