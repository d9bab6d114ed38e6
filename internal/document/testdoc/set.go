package testdoc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/netid/netid/internal/document"
)

// ManifestFormat is the "format" member of a set's manifest.json.
const ManifestFormat = "netid-testdoc-set/1"

// SetPerson is one holder in a set of test documents.
type SetPerson struct {
	// Name is the base name of the person's files: chips/NAME.json and
	// portraits/NAME.jpg. Letters, digits and '-' only.
	Name string `json:"name"`
	// Spec is the person's document. An empty IssuingState is the issuer's.
	Spec DocumentSpec `json:"document"`
	// PortraitSeed selects the synthetic portrait (see Portrait).
	PortraitSeed uint64 `json:"portrait_seed"`
	// Region is the GB/T 2260 address code of the person's resident ID
	// number in the simulated authority's records; "" gives no record.
	// People of sex X get no record: the number encodes M or F only.
	Region string `json:"region,omitempty"`
	// NameOnCard is the name printed on the resident ID card, as the
	// authority records it and a resident types it (Chinese characters for
	// a Chinese card); empty means the Latin name.
	NameOnCard string `json:"name_on_card,omitempty"`
}

// SetConfig says what WriteSet generates.
type SetConfig struct {
	// Issuer signs the documents. When nil, WriteSet creates a new one
	// from Suite, Country and Now (its keys then exist only in memory: use
	// LoadOrNewIssuer to keep a CSCA across runs).
	Issuer  *Issuer
	Suite   string // SuiteIntl or SuiteSM; ignored when Issuer is set
	Country string // ISO 3166-1 code; ignored when Issuer is set
	// People are the holders of valid documents. Nil means DefaultPeople.
	People []SetPerson
	// Now is the clock for ages, expiry dates and the manifest; it
	// defaults to the Issuer's clock, or time.Now.
	Now func() time.Time
}

// Manifest is manifest.json: what a set holds and what a verifier must make
// of each chip.
type Manifest struct {
	Format    string    `json:"format"`
	Suite     string    `json:"suite"`
	Country   string    `json:"country"`
	Generated time.Time `json:"generated"`
	// TrustDir holds the CSCA certificate and CRL (relative to the set);
	// nothing here is trusted until an operator configures it.
	TrustDir string         `json:"trust_dir"`
	CSCA     string         `json:"csca"`
	CRL      string         `json:"crl"`
	Chips    []ManifestChip `json:"chips"`
	// AuthorityRecords is the simulated authority's records file
	// (document.AuthorityRecords); AuthorityCases are queries to it with
	// the status each must get.
	AuthorityRecords string          `json:"authority_records"`
	AuthorityCases   []AuthorityCase `json:"authority_cases"`
}

// ManifestChip describes one chip of a set.
type ManifestChip struct {
	File     string `json:"file"`     // chips/NAME.json, a chip dump (emrtd.ChipDump)
	Portrait string `json:"portrait"` // portraits/NAME.jpg, the JPEG in DG2
	Person   string `json:"person"`   // the SetPerson it was made for
	// PortraitSeed is the seed of the holder's face (Portrait), from which
	// a face capture of the same synthetic person can be drawn. In the
	// tampered-dg2 variant the chip holds another face.
	PortraitSeed uint64  `json:"portrait_seed"`
	Variant      Variant `json:"variant"`
	// Expect is "valid" or "refused"; Refusal says why.
	Expect  string  `json:"expect"`
	Refusal Refusal `json:"refusal"`
	// Document is the document as signed on the chip.
	Document DocumentSpec `json:"document"`
	// PrintedMRZ is the data page MRZ, lines separated by "\n": what the
	// holder would type or a camera would read.
	PrintedMRZ  string    `json:"printed_mrz"`
	AgeYears    int       `json:"age_years"`
	SigningTime time.Time `json:"signing_time"`
	// ResidentIDNumber is the person's number in the authority records.
	ResidentIDNumber string `json:"resident_id_number,omitempty"`
}

// DefaultPeople returns the holders of a default set, relative to now: an
// adult (35), a child of 10 (whose enrolment needs a guardian) and a
// 16-year-old (who enrols pending guardian approval). Their names are
// pinyin for "test" (CESHI) with "adult", "child" and "youth" as given
// names (测试大人, 测试小孩, 测试少年 on their resident ID cards), so nobody
// mistakes them for real people.
func DefaultPeople(now time.Time) []SetPerson {
	born := func(years int) document.Date {
		// 100 days before the birthday: the age is exact whatever today is.
		return document.NewDate(now.AddDate(-years, 0, -100))
	}
	expires := func(years int) document.Date { return document.NewDate(now.AddDate(years, 0, 0)) }
	return []SetPerson{
		{Name: "adult", PortraitSeed: 1, Region: "110105", NameOnCard: "测试大人", Spec: DocumentSpec{
			Person:         Person{PrimaryIdentifier: "CESHI", SecondaryIdentifier: "DAREN", BirthDate: born(35), Sex: "F"},
			DocumentNumber: "TEST00001", Expiry: expires(10),
		}},
		{Name: "child", PortraitSeed: 2, Region: "310104", NameOnCard: "测试小孩", Spec: DocumentSpec{
			Person:         Person{PrimaryIdentifier: "CESHI", SecondaryIdentifier: "XIAOHAI", BirthDate: born(10), Sex: "M"},
			DocumentNumber: "TEST00002", Expiry: expires(5),
		}},
		{Name: "youth", PortraitSeed: 3, Region: "440305", NameOnCard: "测试少年", Spec: DocumentSpec{
			Person:         Person{PrimaryIdentifier: "CESHI", SecondaryIdentifier: "SHAONIAN", BirthDate: born(16), Sex: "F"},
			DocumentNumber: "TEST00003", Expiry: expires(5),
		}},
	}
}

// WriteSet writes a ready-to-use set of test documents into dir:
//
//	trust/                 the CSCA certificate (PEM) and CRL (DER): see WriteTrust
//	chips/NAME.json        one valid chip per person
//	chips/broken-V.json    the first person's document as each broken variant V
//	portraits/NAME.jpg     the portrait in each chip's DG2
//	authority-records.json the simulated authority's resident ID card records (see AuthoritySet)
//	manifest.json          every chip with its document, printed MRZ and expected verdict,
//	                       and the authority queries with the status each must get
//
// Everything but keys and signatures is deterministic for a given clock
// and people. It returns the manifest it wrote.
func WriteSet(dir string, cfg SetConfig) (*Manifest, error) {
	iss := cfg.Issuer
	now := cfg.Now
	if iss == nil {
		if now == nil {
			now = time.Now
		}
		var err error
		if iss, err = NewIssuer(cfg.Suite, cfg.Country, WithClock(now)); err != nil {
			return nil, err
		}
	}
	if now == nil {
		now = iss.now
	}
	t := now()
	people := cfg.People
	if people == nil {
		people = DefaultPeople(t)
	}
	if len(people) == 0 {
		return nil, fmt.Errorf("%w: a set needs at least one person", ErrSpec)
	}
	for _, sub := range []string{"trust", "chips", "portraits"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("testdoc: write set: %w", err)
		}
	}
	if err := iss.WriteTrust(filepath.Join(dir, "trust")); err != nil {
		return nil, err
	}
	base := iss.TrustFileName()
	m := &Manifest{
		Format: ManifestFormat, Suite: iss.suite, Country: iss.country, Generated: t.UTC().Truncate(time.Second),
		TrustDir: "trust", CSCA: "trust/" + base + ".pem", CRL: "trust/" + base + ".crl",
	}

	type job struct {
		file    string
		person  SetPerson
		variant Variant
	}
	var jobs []job
	for _, p := range people {
		if !validFileBase(p.Name) {
			return nil, fmt.Errorf("%w: person name %q (want letters, digits and '-')", ErrSpec, p.Name)
		}
		jobs = append(jobs, job{p.Name, p, VariantValid})
	}
	for i, v := range BrokenVariants() {
		p := people[0]
		p.Spec.DocumentNumber = fmt.Sprintf("TESTB%04d", i+1)
		jobs = append(jobs, job{"broken-" + string(v), p, v})
	}

	recs, cases, err := AuthoritySet(people, t)
	if err != nil {
		return nil, err
	}
	idNumbers := map[string]string{}
	for _, c := range cases {
		if c.Expect == document.StatusValid {
			idNumbers[c.Label] = c.Query.Number
		}
	}
	var records bytes.Buffer
	if err := document.WriteRecords(&records, recs, t); err != nil {
		return nil, fmt.Errorf("testdoc: authority records: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authority-records.json"), records.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("testdoc: write set: %w", err)
	}
	m.AuthorityRecords, m.AuthorityCases = "authority-records.json", cases

	for _, j := range jobs {
		portrait, err := Portrait(j.person.PortraitSeed)
		if err != nil {
			return nil, err
		}
		doc, err := iss.Issue(j.person.Spec, portrait, WithVariant(j.variant))
		if err != nil {
			return nil, fmt.Errorf("testdoc: %s: %w", j.file, err)
		}
		chipJSON, err := json.MarshalIndent(doc.Chip, "", "  ")
		if err != nil {
			return nil, err
		}
		entry := ManifestChip{
			File: "chips/" + j.file + ".json", Portrait: "portraits/" + j.file + ".jpg",
			Person: j.person.Name, PortraitSeed: j.person.PortraitSeed, Variant: j.variant, Expect: "refused", Document: doc.Spec,
			PrintedMRZ: doc.PrintedMRZ, AgeYears: doc.Spec.BirthDate.AgeOn(t), SigningTime: doc.SigningTime,
			ResidentIDNumber: idNumbers[j.person.Name],
		}
		entry.Refusal, _ = j.variant.Refusal()
		if j.variant == VariantValid {
			entry.Expect = "valid"
		}
		if err := os.WriteFile(filepath.Join(dir, entry.File), append(chipJSON, '\n'), 0o644); err != nil {
			return nil, fmt.Errorf("testdoc: write set: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, entry.Portrait), doc.Portrait, 0o644); err != nil {
			return nil, fmt.Errorf("testdoc: write set: %w", err)
		}
		m.Chips = append(m.Chips, entry)
	}

	if err := writeJSON(filepath.Join(dir, "manifest.json"), m); err != nil {
		return nil, err
	}
	return m, nil
}

// writeJSON writes v indented and without HTML escaping, so that MRZ
// fillers read as '<' rather than \u003c.
func writeJSON(path string, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("testdoc: %w", err)
	}
	return nil
}

func validFileBase(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
