package document

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets check that the parsers never panic, refuse with a
// *FieldError (or a documented sentinel), and that what they accept is
// consistent with what they return. Memory is bounded by the input limits
// (MaxMRZInput, maxNumberLen, the response size limit), which the targets
// exercise with long inputs.

func FuzzParseIDNumber(f *testing.F) {
	for _, s := range []string{specimenIDNumber, "11010519491231002x", "440524188001010014", "110105194912310025",
		"810000199001010013", "830000198512310020", "911840198007040010", "", "X", "１１０１０５１９４９１２３１００２Ｘ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseIDNumber(s, testNow)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseIDNumber(%q) error %v is not a *FieldError", s, err)
			}
			return
		}
		if len(id.Number) != IDNumberLen || id.Number[:6] != id.Region || (id.Sex != "M" && id.Sex != "F") {
			t.Fatalf("ParseIDNumber(%q) = %+v, inconsistent", s, id)
		}
		if !id.BirthDate.Complete() || id.BirthDate.After(NewDate(testNow)) || id.BirthDate.Year < minBirthYear {
			t.Fatalf("ParseIDNumber(%q) birth date %v out of range", s, id.BirthDate)
		}
		// The normalised number parses to itself.
		again, err := ParseIDNumber(id.Number, testNow)
		if err != nil || *again != *id {
			t.Fatalf("ParseIDNumber(%q) = %+v, %v; want %+v", id.Number, again, err, id)
		}
	})
}

func FuzzParseMRZ(f *testing.F) {
	for _, s := range []string{specimenTD3, specimenTD1, specimenTD2, specimenTD1Long, specimenTD2Long, specimenMRVA, specimenMRVB,
		flip(specimenTD3, 1, 43), strings.ReplaceAll(specimenTD1, "\n", "\r\n"),
		"POCHNLI<<DONGHAN<<<<<<<<<<<<<<<<<<<<<<<<<<<<\nE872545052CHN8404039M2610092MAOOLGKLLKLKA998",
		"IDBEL600001795<0152<<<<<<<<<<<\n7408122F1204159BEL<<<<<<<<<<<0\nERIKSSON<<ANNA<MARIA<<<<<<<<<<",
		"", "\n\n", strings.Repeat("<", 30) + "\n" + strings.Repeat("<", 30) + "\n" + strings.Repeat("<", 30)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMRZAt(s, testNow)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseMRZAt(%q) error %v is not a *FieldError", s, err)
			}
			if !utf8.ValidString(err.Error()) && utf8.ValidString(s) {
				t.Fatalf("ParseMRZAt(%q) error %q is not valid UTF-8", s, err)
			}
			return
		}
		if m.DocumentNumber == "" || m.PrimaryIdentifier == "" || !m.Expiry.Complete() || !KnownCountry(m.IssuingState) || !KnownCountry(m.Nationality) {
			t.Fatalf("ParseMRZAt(%q) = %+v, accepted incomplete data", s, m)
		}
		if m.BirthDate.After(NewDate(testNow)) {
			t.Fatalf("ParseMRZAt(%q) birth date %v is in the future", s, m.BirthDate)
		}
		// The lines it keeps parse to the same result.
		again, err := ParseMRZLines(m.Lines, testNow)
		if err != nil || again.DocumentNumber != m.DocumentNumber || again.BirthDate != m.BirthDate {
			t.Fatalf("ParseMRZLines(%q) = %+v, %v; want %+v", m.Lines, again, err, m)
		}
	})
}

func FuzzValidateNumber(f *testing.F) {
	seeds := []struct {
		t DocType
		n string
	}{
		{ResidentIDCard, specimenIDNumber}, {HKMacaoResidencePermit, "810000199001010013"}, {TaiwanResidencePermit, "830000198512310020"},
		{HKMacaoTravelPermit, "H12345678"}, {HKMacaoTravelPermit, "M1234567802"}, {TaiwanTravelPermit, "05616820"},
		{TaiwanTravelPermit, "0561682001(D)"}, {ForeignPermanentResidentCard, "KAZ110090123105"}, {ForeignPermanentResidentCard, "911840198007040010"},
		{Passport, "L898902C3"}, {Passport, "E87254505"}, {" PASSPORT ", "x1"}, {"visa", "X"}, {"", ""},
	}
	for _, s := range seeds {
		f.Add(string(s.t), s.n)
	}
	f.Fuzz(func(t *testing.T, typ, number string) {
		n, err := ValidateNumber(DocType(typ), number, testNow)
		if err != nil {
			return
		}
		if want, _ := ParseDocType(typ); n.Type != want || n.PersonNumber == "" || !strings.HasPrefix(n.Number, n.PersonNumber) {
			t.Fatalf("ValidateNumber(%q, %q) = %+v, inconsistent", typ, number, n)
		}
		// Validation is idempotent on the normalised number.
		again, err := ValidateNumber(n.Type, n.Number, testNow)
		if err != nil || *again != *n {
			t.Fatalf("ValidateNumber(%q, %q) = %+v, %v; want %+v", typ, n.Number, again, err, n)
		}
	})
}

func FuzzAuthorityResponse(f *testing.F) {
	f.Add(http.StatusOK, "application/json", []byte(`{"status":"valid","authority":"sim-mps","verification_id":"sim-1","birth_date":"1949-12-31","sex":"F","expiry_date":"2030-01-01"}`))
	f.Add(http.StatusOK, "application/json; charset=utf-8", []byte(`{"status":"not-found","authority":"a","verification_id":"b"}`))
	f.Add(http.StatusOK, "application/json", []byte(`{"status":"mismatch","authority":"a","verification_id":"b","birth_date":"1949-12-31"}`))
	f.Add(http.StatusOK, "application/json", []byte(`{"status":"valid","authority":"a","verification_id":"b","birth_date":"1949-02-30"}`))
	f.Add(http.StatusOK, "application/json", []byte(`{"status":"valid"} trailing`))
	f.Add(http.StatusBadRequest, "application/problem+json", []byte(`{"type":"about:blank","title":"bad query","status":400}`))
	f.Add(http.StatusServiceUnavailable, "text/html", []byte(`<html>down</html>`))
	f.Add(http.StatusFound, "", []byte(nil))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		r, err := decodeAuthorityResponse(status, contentType, body)
		if err != nil {
			var ae *AuthorityError
			if !errors.As(err, &ae) {
				t.Fatalf("decode error %v is not an *AuthorityError", err)
			}
			if !errors.Is(err, ErrAuthorityUnavailable) && !errors.Is(err, ErrAuthorityRejected) && !errors.Is(err, ErrAuthorityProtocol) {
				t.Fatalf("decode error %v wraps no authority sentinel", err)
			}
			if len(err.Error()) > 512 {
				t.Fatalf("decode error is %d bytes long", len(err.Error()))
			}
			return
		}
		if status != http.StatusOK {
			t.Fatalf("HTTP %d decoded as a result %+v", status, r)
		}
		if err := r.validate(); err != nil {
			t.Fatalf("decoded result %+v does not validate: %v", r, err)
		}
	})
}
