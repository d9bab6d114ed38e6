package document

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	hk := idNumber(t, "81000019900101001")
	tests := []struct {
		name    string
		args    []string
		kind    string
		docType DocType
		number  string
		expired bool
	}{
		{"ID number", []string{specimenIDNumber}, "number", ResidentIDCard, specimenIDNumber, false},
		{"residence permit", []string{hk}, "number", HKMacaoResidencePermit, hk, false},
		{"old permanent resident card", []string{"KAZ110090123105"}, "number", ForeignPermanentResidentCard, "KAZ110090123105", false},
		{"typed number", []string{"taiwan-travel-permit", "05616820"}, "number", TaiwanTravelPermit, "05616820", false},
		{"MRZ in one argument", []string{specimenTD3}, "mrz", "", "L898902C3", true},
		{"MRZ lines", strings.Split(specimenTD1, "\n"), "mrz", "", "D23145890", true},
		{"TD2 lines", strings.Split(specimenTD2, "\n"), "mrz", "", "D23145890", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Check(tt.args, testNow)
			if err != nil {
				t.Fatalf("Check(%q): %v", tt.args, err)
			}
			if got.Kind != tt.kind {
				t.Fatalf("got kind %q, want %q", got.Kind, tt.kind)
			}
			switch tt.kind {
			case "number":
				if got.Number.Type != tt.docType || got.Number.Number != tt.number || got.MRZ != nil || got.Expired != nil {
					t.Errorf("got %+v, want a %s number %s", got, tt.docType, tt.number)
				}
			case "mrz":
				if got.MRZ.DocumentNumber != tt.number || got.Expired == nil || *got.Expired != tt.expired || got.Number != nil {
					t.Errorf("got %+v, want MRZ with number %s, expired %v", got, tt.number, tt.expired)
				}
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("json.Marshal: %v", err)
			}
		})
	}
}

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		sentinel error
	}{
		{"nothing", nil, ErrFormat},
		{"unknown length", []string{"12345"}, ErrDocType},
		{"bad ID number", []string{"110105194912310021"}, ErrCheckDigit},
		{"unknown type", []string{"visa", "123"}, ErrDocType},
		{"bad MRZ line", []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<11"}, ErrCheckDigit},
		{"misread MRZ line", []string{"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<1O"}, ErrFormat},
		{"too many", []string{"a", "b", "c", "d"}, ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Check(tt.args, testNow); !errors.Is(err, tt.sentinel) {
				t.Errorf("Check(%q) error = %v, want %v", tt.args, err, tt.sentinel)
			}
		})
	}
}
