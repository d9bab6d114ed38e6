package testdoc

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// icaoSpecial holds the transliterations of ICAO 9303 part 3 section 6
// that are not "drop the diacritic": letters that become two letters, and
// letters whose base form is not a plain A-Z letter. Keys are upper case.
var icaoSpecial = map[rune]string{
	'Ä': "AE", 'Å': "AA", 'Æ': "AE", 'Ö': "OE", 'Ø': "OE", 'Ü': "UE",
	'Œ': "OE", 'Ĳ': "IJ", 'Þ': "TH", 'ẞ': "SS", 'Ð': "D", 'Đ': "D",
	'Ħ': "H", 'Ł': "L", 'Ŀ': "L", 'Ŧ': "T", 'Ŋ': "N", 'İ': "I", 'ı': "I",
	'ß': "SS", // no single upper-case form in common use
}

// transliterate turns one name into MRZ characters: upper case A-Z, with
// spaces and hyphens becoming the filler '<' (ICAO 9303 part 3, 4.6), and
// apostrophes, full stops and commas dropped. Any character outside the
// Latin script is refused, because romanizing it (pinyin for Chinese,
// ICAO's tables for Cyrillic or Arabic) needs knowledge this generator does
// not have; callers give the Latin form.
func transliterate(name string) (string, error) {
	var b strings.Builder
	for _, r := range norm.NFC.String(name) {
		if s, ok := icaoSpecial[r]; ok {
			b.WriteString(s)
			continue
		}
		u := unicode.ToUpper(r)
		if s, ok := icaoSpecial[u]; ok {
			b.WriteString(s)
			continue
		}
		switch {
		case u >= 'A' && u <= 'Z':
			b.WriteRune(u)
		case u == ' ' || u == '-' || u == '<':
			b.WriteByte('<')
		case u == '\'' || u == '’' || u == '.' || u == ',':
			// omitted (part 3, 4.6: punctuation is not written)
		case unicode.Is(unicode.Latin, u):
			base := stripMarks(u)
			if base == "" {
				return "", fmt.Errorf("%w: name %q: cannot transliterate %q", ErrSpec, name, r)
			}
			b.WriteString(base)
		default:
			return "", fmt.Errorf("%w: name %q: %q is not Latin script; give the name's Latin form", ErrSpec, name, r)
		}
	}
	// Collapse runs of fillers and trim them: "ANNA  MARIA" is ANNA<MARIA.
	out := strings.Join(strings.FieldsFunc(b.String(), func(r rune) bool { return r == '<' }), "<")
	return out, nil
}

// stripMarks returns the A-Z letters of r's canonical decomposition without
// its combining marks ("É" → "E"), or "" if none remains.
func stripMarks(r rune) string {
	var b strings.Builder
	for _, d := range norm.NFD.String(string(r)) {
		if d >= 'A' && d <= 'Z' {
			b.WriteRune(d)
		}
	}
	return b.String()
}

// nameField writes the name field of width characters: primary identifier,
// "<<", secondary identifier, padded with fillers. When the name does not
// fit it is truncated as ICAO 9303 part 3, 4.6 allows, secondary identifier
// first: the secondary identifier keeps as many leading characters as fit
// (at least one); only if the primary identifier alone leaves no room for
// "<<" and an initial is it cut too. A truncated field ends in a letter,
// which is how a reader recognises truncation.
func nameField(primary, secondary string, width int) (string, error) {
	p, err := transliterate(primary)
	if err != nil {
		return "", err
	}
	s, err := transliterate(secondary)
	if err != nil {
		return "", err
	}
	if p == "" {
		return "", fmt.Errorf("%w: primary identifier %q is empty in the MRZ alphabet", ErrSpec, primary)
	}
	if s == "" {
		if len(p) > width {
			p = strings.TrimRight(p[:width], "<")
		}
		return pad(p, width), nil
	}
	full := p + "<<" + s
	if len(full) <= width {
		return pad(full, width), nil
	}
	room := width - len(p) - 2
	if room < 1 {
		p = strings.TrimRight(p[:width-3], "<")
		room = width - len(p) - 2
	}
	s = strings.TrimRight(s[:min(room, len(s))], "<")
	return pad(p+"<<"+s, width), nil
}
