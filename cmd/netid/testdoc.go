package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/testdoc"
)

type testdocFlags struct {
	out, suite, country, issuerDir, people string
	// One person given on the command line instead of --people.
	name, surname, given, number, birth, sex, nationality, expiry string
	td1                                                           bool
	seed                                                          uint64
}

func newTestdocCommand(stdout io.Writer) *ffcli.Command {
	var f testdocFlags
	fs := flag.NewFlagSet("netid testdoc", flag.ContinueOnError)
	fs.StringVar(&f.out, "out", "", "output `directory` (created)")
	fs.StringVar(&f.suite, "suite", testdoc.SuiteIntl, "`suite` of the test CSCA and document signer: intl (ECDSA P-256, SHA-256) or sm (SM2, SM3)")
	fs.StringVar(&f.country, "country", "CN", "issuing `country` of the test CSCA (ISO 3166-1 alpha-2 or alpha-3)")
	fs.StringVar(&f.issuerDir, "issuer", "", "`directory` keeping the test CSCA and signers across runs (default OUT/issuer); reused when it exists")
	fs.StringVar(&f.people, "people", "", "JSON `file`: an array of people, each {\"name\", \"document\": {primary_identifier, secondary_identifier, birth_date, sex, nationality, document_number, expiry_date, ...}, \"portrait_seed\", \"region\", \"name_on_card\"}; default: an adult, a child of 10 and a 16-year-old")
	fs.StringVar(&f.name, "name", "", "make one person instead of the defaults: base `name` of their files (letters, digits, '-')")
	fs.StringVar(&f.surname, "surname", "", "the one person's `surname` (Latin letters; pinyin for Chinese names)")
	fs.StringVar(&f.given, "given-names", "", "the one person's given `names`")
	fs.StringVar(&f.number, "number", "", "the one person's document `number` (up to 9 letters and digits)")
	fs.StringVar(&f.birth, "birth", "", "the one person's birth `date` (YYYY-MM-DD)")
	fs.StringVar(&f.sex, "sex", "", "the one person's `sex`: M, F or X")
	fs.StringVar(&f.nationality, "nationality", "", "the one person's `nationality` (ICAO 9303 code, e.g. CHN; default the issuing state)")
	fs.StringVar(&f.expiry, "expiry", "", "the one person's document expiry `date` (YYYY-MM-DD; may be past)")
	fs.BoolVar(&f.td1, "td1", false, "the one person's document is an identity card (TD1 MRZ) instead of a passport (TD3)")
	fs.Uint64Var(&f.seed, "portrait-seed", 1, "the one person's portrait `seed`: the same seed draws the same synthetic face")
	return newCommand(&ffcli.Command{
		Name:       "testdoc",
		ShortUsage: "netid testdoc --out DIR [flags]",
		ShortHelp:  "make synthetic test documents, a test CSCA and simulated-authority records",
		LongHelp: `Make synthetic identity documents for demos and tests. Nothing here is trusted
by netid unless an operator configures the trust directory or authority
records it writes. The output directory holds:

  trust/                  the TEST CSCA certificate and its CRL: a trust directory
  chips/NAME.json         a chip dump (EF.COM, DG1, DG2, EF.SOD) per person
  chips/broken-*.json     the first person's document broken on purpose, one way
                          each: tampered DG1 or DG2, wrong signer, expired signer,
                          revoked signer, expired document, MRZ mismatch, bad signature
  portraits/NAME.jpg      each synthetic portrait (drawn, not a real face)
  authority-records.json  simulated-authority records of resident ID numbers
  manifest.json           every chip with its person, printed MRZ and expected verdict

  netid testdoc --out ./docs-test
  netid document verify --trust ./docs-test/trust --chip ./docs-test/chips/adult.json
  netid testdoc --out ./one --name li --surname LI --given-names LEI \
      --number E1234567 --birth 1990-05-17 --sex M --nationality CHN --expiry 2031-05-16`,
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			if len(args) > 0 {
				return exitError{code: exitUsage, msg: fmt.Sprintf("testdoc takes no arguments, got %q", args)}
			}
			m, err := runTestdoc(f, time.Now())
			if err != nil {
				return err
			}
			return printJSON(stdout, summarise(f.out, m))
		},
	})
}

func runTestdoc(f testdocFlags, now time.Time) (*testdoc.Manifest, error) {
	if f.out == "" {
		return nil, exitError{code: exitUsage, msg: "--out DIR is required"}
	}
	people, err := f.selectPeople(now)
	if err != nil {
		return nil, exitError{code: exitUsage, msg: err.Error()}
	}
	dir := f.issuerDir
	if dir == "" {
		dir = filepath.Join(f.out, "issuer")
	}
	iss, err := testdoc.LoadOrNewIssuer(dir, f.suite, f.country)
	if err != nil {
		return nil, fmt.Errorf("test issuer in %s: %w", dir, err)
	}
	return testdoc.WriteSet(f.out, testdoc.SetConfig{Issuer: iss, People: people, Now: func() time.Time { return now }})
}

// selectPeople returns the people of --people, the one person of the
// person flags, or nil for the defaults.
func (f testdocFlags) selectPeople(now time.Time) ([]testdoc.SetPerson, error) {
	one := f.name != "" || f.surname != "" || f.number != "" || f.birth != ""
	switch {
	case f.people != "" && one:
		return nil, fmt.Errorf("give either --people or the one person's flags, not both")
	case f.people != "":
		b, err := readBounded(f.people, 1<<20)
		if err != nil {
			return nil, err
		}
		var ps []testdoc.SetPerson
		if err := json.Unmarshal(b, &ps); err != nil {
			return nil, fmt.Errorf("--people %s: %w", f.people, err)
		}
		if len(ps) == 0 {
			return nil, fmt.Errorf("--people %s: no people", f.people)
		}
		return ps, nil
	case !one:
		return nil, nil
	}
	var missing []string
	for flagName, v := range map[string]string{"name": f.name, "surname": f.surname, "number": f.number, "birth": f.birth, "sex": f.sex, "expiry": f.expiry} {
		if v == "" {
			missing = append(missing, "--"+flagName)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("one person needs %v too", missing)
	}
	birth, err := document.ParseDate(f.birth)
	if err != nil {
		return nil, fmt.Errorf("--birth: %w", err)
	}
	expiry, err := document.ParseDate(f.expiry)
	if err != nil {
		return nil, fmt.Errorf("--expiry: %w", err)
	}
	p := testdoc.SetPerson{Name: f.name, PortraitSeed: f.seed, Spec: testdoc.DocumentSpec{
		Person: testdoc.Person{PrimaryIdentifier: f.surname, SecondaryIdentifier: f.given,
			BirthDate: birth, Sex: f.sex, Nationality: f.nationality},
		DocumentNumber: f.number, Expiry: expiry,
	}}
	if f.td1 {
		p.Spec.Format = document.TD1
	}
	return []testdoc.SetPerson{p}, nil
}

type testdocSummary struct {
	Out      string   `json:"out"`
	Suite    string   `json:"suite"`
	Country  string   `json:"country"`
	TrustDir string   `json:"trust_dir"`
	Valid    []string `json:"valid_chips"`
	Broken   []string `json:"broken_chips"`
	Records  string   `json:"authority_records"`
	Manifest string   `json:"manifest"`
}

func summarise(out string, m *testdoc.Manifest) testdocSummary {
	s := testdocSummary{Out: out, Suite: m.Suite, Country: m.Country,
		TrustDir: filepath.Join(out, m.TrustDir), Records: filepath.Join(out, m.AuthorityRecords),
		Manifest: filepath.Join(out, "manifest.json")}
	for _, c := range m.Chips {
		if c.Variant == testdoc.VariantValid {
			s.Valid = append(s.Valid, filepath.Join(out, c.File))
		} else {
			s.Broken = append(s.Broken, filepath.Join(out, c.File))
		}
	}
	return s
}
