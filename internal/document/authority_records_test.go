package document

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRecordsRoundTrip(t *testing.T) {
	recs := testRecords(t)
	recs.Records[0].Number = strings.ToLower(recs.Records[0].Number) // normalised on the way
	var buf bytes.Buffer
	if err := WriteRecords(&buf, recs, testNow); err != nil {
		t.Fatalf("WriteRecords: %v", err)
	}
	if !strings.HasPrefix(buf.String(), "{\n  \"format\": \"netid-authority-records/1\",") {
		t.Errorf("records file does not start with its format:\n%s", buf.String())
	}
	if !strings.Contains(buf.String(), "张三") {
		t.Errorf("records file escapes names:\n%s", buf.String())
	}
	path := filepath.Join(t.TempDir(), "records.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadRecords(path, testNow)
	if err != nil {
		t.Fatalf("LoadRecords: %v", err)
	}
	if diff := cmp.Diff(recs, got); diff != "" {
		t.Errorf("records changed in the round trip (-want +got):\n%s", diff)
	}
	sim, err := LoadSimulatedAuthority(path)
	if err != nil {
		t.Fatalf("LoadSimulatedAuthority: %v", err)
	}
	res, err := sim.Verify(t.Context(), AuthorityQuery{ResidentIDCard, specimenIDNumber, "张三", Date{1949, 12, 31}})
	if err != nil || res.Status != StatusValid {
		t.Errorf("Verify after loading = %+v, %v; want valid", res, err)
	}
}

func TestRecordsRefused(t *testing.T) {
	bad := &AuthorityRecords{
		Authority: "",
		Records: []AuthorityRecord{
			{DocType: ResidentIDCard, Number: "110105194912310021", Name: "A", BirthDate: Date{1949, 12, 31}, Sex: "F", Status: StatusValid},
			{DocType: Passport, Number: "X1", Name: " ", BirthDate: Date{1949, 0, 0}, Sex: "W", Status: StatusMismatch},
			{DocType: Passport, Number: "x1", Name: "B", BirthDate: Date{1949, 1, 1}, Sex: "M", Status: StatusValid},
		},
	}
	err := WriteRecords(&bytes.Buffer{}, bad, testNow)
	if err == nil {
		t.Fatal("WriteRecords accepted bad records")
	}
	for _, want := range []string{
		"authority identifier is missing",
		`record 1: id number: check character is "1", want "X"`,
		"record 2: name is empty",
		"record 2: birth date is missing or incomplete",
		`record 2: sex "W" is not M, F or X`,
		`record 2: status "mismatch" is not valid, revoked or expired`,
		"record 3: passport number appears twice",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if !errors.Is(err, ErrCheckDigit) {
		t.Errorf("error %v does not wrap ErrCheckDigit", err)
	}
}

func TestReadRecordsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not JSON", "hello", "invalid character"},
		{"wrong format", `{"format":"netid-authority-records/2","authority":"a","records":[]}`, `format is "netid-authority-records/2"`},
		{"no format", `{"authority":"a","records":[]}`, `format is ""`},
		{"bad date", `{"format":"netid-authority-records/1","authority":"a","records":[{"birth_date":"1949-02-30"}]}`, "is not a calendar date"},
	}
	for _, tt := range tests {
		_, err := ReadRecords(strings.NewReader(tt.in), testNow)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ReadRecords error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}
