package document

import "strings"

// countryError is why a state code was refused.
type countryError struct {
	reason   string
	sentinel error
}

// checkCountry checks a three-character MRZ state code: letters, then
// trailing fillers only (Germany is "D<<"), and a known code.
func checkCountry(raw string) *countryError {
	code := trimFiller(raw)
	if code == "" {
		return &countryError{"is empty", ErrFormat}
	}
	for i := 0; i < len(code); i++ {
		if code[i] < 'A' || code[i] > 'Z' {
			return &countryError{"is not letters followed by fillers", ErrFormat}
		}
	}
	if !KnownCountry(code) {
		return &countryError{"is not an ISO 3166-1 alpha-3 or ICAO 9303 code", ErrCountry}
	}
	return nil
}

// KnownCountry reports whether code (without fillers) is an ISO 3166-1
// alpha-3 code, one of the codes ICAO 9303 part 3 adds, or "D" (Germany).
// The list is closed on purpose: an unknown code in an MRZ is far more
// often a reading mistake than a new state, and refusing it tells the
// resident where to look.
func KnownCountry(code string) bool {
	_, ok := countrySet[code]
	return ok
}

// countrySet holds every known code.
var countrySet = func() map[string]struct{} {
	m := map[string]struct{}{"D": {}}
	for _, c := range strings.Fields(iso3166Alpha3 + icaoCodes) {
		m[c] = struct{}{}
	}
	return m
}()
