package document

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// AuthorityRecordsFormat is the value of the "format" member of a records
// file.
const AuthorityRecordsFormat = "netid-authority-records/1"

// MaxRecordsFileSize bounds the records file read by ReadRecords.
const MaxRecordsFileSize = 64 << 20

// AuthorityRecords is the content of a simulated authority's records file,
// a JSON object:
//
//	{
//	  "format": "netid-authority-records/1",
//	  "authority": "sim-mps",
//	  "records": [
//	    {"doc_type": "resident-id-card", "number": "11010519491231002X",
//	     "name": "张三", "birth_date": "1949-12-31", "sex": "F",
//	     "status": "valid", "expiry_date": "2030-01-01"}
//	  ]
//	}
//
// "authority" is the identifier the simulated authority answers with.
// In a record, "status" is "valid", "revoked" (reported lost or stolen, or
// cancelled) or "expired"; a valid record whose optional "expiry_date" has
// passed is answered as expired too. Numbers are normalised as
// ValidateNumber does; a (doc_type, number) pair appears at most once.
type AuthorityRecords struct {
	Authority string            `json:"authority"`
	Records   []AuthorityRecord `json:"records"`
}

// AuthorityRecord is one document known to a simulated authority.
type AuthorityRecord struct {
	DocType   DocType `json:"doc_type"`
	Number    string  `json:"number"`
	Name      string  `json:"name"`
	BirthDate Date    `json:"birth_date"`
	Sex       string  `json:"sex"`
	Status    Status  `json:"status"`
	Expiry    Date    `json:"expiry_date,omitzero"`
}

type recordsFile struct {
	Format string `json:"format"`
	AuthorityRecords
}

// ReadRecords reads and checks a records file (see AuthorityRecords). now
// is the reference time for the numbers' birth dates.
func ReadRecords(r io.Reader, now time.Time) (*AuthorityRecords, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxRecordsFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("authority records: %w", err)
	}
	if len(data) > MaxRecordsFileSize {
		return nil, fmt.Errorf("authority records: file larger than %d bytes", MaxRecordsFileSize)
	}
	var f recordsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("authority records: %w", err)
	}
	if f.Format != AuthorityRecordsFormat {
		return nil, fmt.Errorf("authority records: format is %q, want %q", truncate(f.Format), AuthorityRecordsFormat)
	}
	if _, err := f.AuthorityRecords.index(now); err != nil {
		return nil, err
	}
	return &f.AuthorityRecords, nil
}

// LoadRecords reads the records file at path.
func LoadRecords(path string, now time.Time) (*AuthorityRecords, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("authority records: %w", err)
	}
	defer f.Close()
	return ReadRecords(f, now)
}

// WriteRecords checks recs and writes them as a records file, indented for
// people to read. now is the reference time for the numbers' birth dates.
func WriteRecords(w io.Writer, recs *AuthorityRecords, now time.Time) error {
	if _, err := recs.index(now); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(recordsFile{Format: AuthorityRecordsFormat, AuthorityRecords: *recs}); err != nil {
		return fmt.Errorf("authority records: %w", err)
	}
	return nil
}

// recordKey identifies a record: its type and normalised number.
type recordKey struct {
	docType DocType
	number  string
}

// index checks every record and returns them by key, normalised. All
// problems are reported at once.
func (recs *AuthorityRecords) index(now time.Time) (map[recordKey]AuthorityRecord, error) {
	var errs []error
	if !printableID(recs.Authority) {
		errs = append(errs, fmt.Errorf("authority identifier is missing or not 1 to %d printable ASCII characters", maxIDLen))
	}
	m := make(map[recordKey]AuthorityRecord, len(recs.Records))
	for i, r := range recs.Records {
		fail := func(err error) { errs = append(errs, fmt.Errorf("record %d: %w", i+1, err)) }
		n, err := ValidateNumber(r.DocType, r.Number, now)
		if err != nil {
			fail(err)
			continue
		}
		r.Number = n.Number
		if r.Name = NormalizeName(r.Name); r.Name == "" {
			fail(errors.New("name is empty"))
		}
		if !r.BirthDate.Complete() {
			fail(errors.New("birth date is missing or incomplete"))
		}
		switch r.Sex {
		case "M", "F", "X":
		default:
			fail(fmt.Errorf("sex %q is not M, F or X", truncate(r.Sex)))
		}
		switch r.Status {
		case StatusValid, StatusRevoked, StatusExpired:
		default:
			fail(fmt.Errorf("status %q is not valid, revoked or expired", truncate(string(r.Status))))
		}
		k := recordKey{r.DocType, r.Number}
		if _, dup := m[k]; dup {
			fail(fmt.Errorf("%s number appears twice", r.DocType))
		}
		m[k] = r
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("authority records: %w", errors.Join(errs...))
	}
	return m, nil
}
