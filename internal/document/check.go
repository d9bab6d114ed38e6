package document

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Checked is the outcome of Check: either a document number or an MRZ,
// ready to print as JSON for `netid document check`.
type Checked struct {
	// Kind is "number" or "mrz".
	Kind   string  `json:"kind"`
	Number *Number `json:"number,omitempty"`
	MRZ    *MRZ    `json:"mrz,omitempty"`
	// Expired tells, for an MRZ, whether the document had expired on the
	// civil date of the reference time. An expired document is reported,
	// not refused: judging it is the enrolment's business.
	Expired *bool `json:"expired,omitempty"`
}

// Check is the entry point of `netid document check ARG...`. It accepts:
//
//   - one argument holding an 18-character identity number (citizen,
//     residence permit or 2023 permanent resident card) or a 15-character
//     permanent resident card number: its type is inferred from the number;
//   - two arguments TYPE NUMBER, TYPE being a DocType name
//     ("passport E12345678");
//   - two or three arguments holding the lines of an MRZ, or one argument
//     holding the whole MRZ with its lines separated by newlines.
//
// now is the reference time for birth dates and two-digit years.
func Check(args []string, now time.Time) (*Checked, error) {
	usage := "want an ID number, TYPE NUMBER, or the 2 or 3 lines of an MRZ"
	switch {
	case len(args) == 0:
		return nil, fmt.Errorf("document check: nothing to check; %s: %w", usage, ErrFormat)
	case len(args) == 1 && strings.Contains(args[0], "\n"):
		return checkMRZ(func() (*MRZ, error) { return ParseMRZAt(args[0], now) }, now)
	case len(args) == 1:
		t, err := inferNumberType(args[0])
		if err != nil {
			return nil, fmt.Errorf("%w; %s", err, usage)
		}
		n, err := ValidateNumber(t, args[0], now)
		if err != nil {
			return nil, err
		}
		return &Checked{Kind: "number", Number: n}, nil
	case len(args) == 2 && !looksLikeMRZLine(args[0]):
		t, err := ParseDocType(args[0])
		if err != nil {
			return nil, err
		}
		n, err := ValidateNumber(t, args[1], now)
		if err != nil {
			return nil, err
		}
		return &Checked{Kind: "number", Number: n}, nil
	case len(args) <= 3:
		return checkMRZ(func() (*MRZ, error) {
			lines := make([]string, len(args))
			for i, a := range args {
				lines[i] = strings.TrimSpace(a)
			}
			return ParseMRZLines(lines, now)
		}, now)
	}
	return nil, fmt.Errorf("document check: %d arguments; %s: %w", len(args), usage, ErrFormat)
}

func checkMRZ(parse func() (*MRZ, error), now time.Time) (*Checked, error) {
	m, err := parse()
	if err != nil {
		return nil, err
	}
	expired := m.Expired(now)
	return &Checked{Kind: "mrz", MRZ: m, Expired: &expired}, nil
}

// looksLikeMRZLine reports whether s could be an MRZ line rather than a
// document type name: MRZ lines have 30 characters or more, type names far
// fewer. Length alone decides, so that a line with a misread character
// still gets the MRZ parser's precise complaint.
func looksLikeMRZLine(s string) bool {
	return len(strings.TrimSpace(s)) >= 30
}

// inferNumberType names the document type of a lone number: 18 characters
// are a GB 11643 number (the region code tells the card from the residence
// permits) or, starting with 9, a 2023 permanent resident card number; 15
// characters starting with 3 letters are an older permanent resident card
// number. Other numbers need their type stated.
func inferNumberType(s string) (DocType, error) {
	s = strings.TrimSpace(s)
	switch {
	case len(s) == IDNumberLen && s[0] == '9':
		return ForeignPermanentResidentCard, nil
	case len(s) == IDNumberLen && (strings.HasPrefix(s, "81") || strings.HasPrefix(s, "82")):
		return HKMacaoResidencePermit, nil
	case len(s) == IDNumberLen && strings.HasPrefix(s, "83"):
		return TaiwanResidencePermit, nil
	case len(s) == IDNumberLen:
		return ResidentIDCard, nil
	case len(s) == 15 && isLetters(s[:3]):
		return ForeignPermanentResidentCard, nil
	}
	return "", &FieldError{Source: "document check", Reason: fmt.Sprintf("cannot tell the document type of a %d-character number; give it as TYPE NUMBER", utf8.RuneCountInString(s)), Err: ErrDocType}
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] &^ 0x20; c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
