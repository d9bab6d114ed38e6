// Package document checks identity document data for enrolment: citizen
// identity numbers (GB 11643-1999), the machine-readable zones of ICAO
// 9303 travel documents, the document types netid accepts with their
// number rules and evidence pathways, and online verification with a
// document authority for documents whose chip cannot be read by us.
//
// Everything here is a pure function of its input and a reference time
// ("now", always passed in), except the HTTP authority adapter. Every
// refusal is a *FieldError naming the field (and, in an MRZ, the line and
// columns) with a message a resident can act on, wrapping a sentinel
// (ErrFormat, ErrCheckDigit, ErrDate, ErrRegion, ErrCountry, ErrDocType)
// for errors.Is:
//
//	id number: check character is "5", want "X"
//	mrz: line 2, column 20: birth date check digit is "3", want "2"
//
// # Identity numbers (idnumber.go)
//
// ParseIDNumber follows GB 11643-1999 公民身份号码: 6-digit address code
// (GB/T 2260), 8-digit birth date YYYYMMDD, 3-digit sequence code (odd for
// men, even for women) and an ISO 7064 MOD 11-2 check character (weights
// 2^(17-i) mod 11, value (12 - sum mod 11) mod 11, 10 written X). We
// check the province-level prefix of the address code only (11-15, 21-23,
// 31-37, 41-46, 50-54, 61-65, 71, 81, 82, 83): the county-level list
// changes every year and a number keeps its original code for life, so a
// full list would refuse real people. 81 and 82 (Hong Kong, Macao) and 83
// (Taiwan) are used by the residence permits for Hong Kong, Macao and
// Taiwan residents (港澳台居民居住证申领发放办法, 2018), always as 810000,
// 820000 and 830000. The birth date must be a calendar date, not before
// 1900 (so the standard's own example 440524188001010014, born 1880, is
// refused: nobody alive holds it) and not after the civil date of now in
// now's location. A lower-case x is normalised to X: both are typed and
// cannot mean different numbers. 15-digit first-generation numbers
// (GB 11643-1989) are refused; those cards ceased to be valid in 2013.
//
// # Document types (doctype.go, numbers.go, permanent.go)
//
// DocType names each accepted document; TypeInfo gives its names, its
// evidence pathways (EvidenceChip: ICAO 9303 passive authentication;
// EvidenceAuthority: an Authority) and the number shapes for people.
// ValidateNumber applies each type's rules and returns a Number with the
// PersonNumber, the part of the number that stays with the person across
// reissues (for the identity anchor):
//
//   - resident-id-card, hk-macao-residence-permit, taiwan-residence-permit:
//     GB 11643 numbers; the address code must match the type (81/82, 83,
//     anything else), so a residence permit number given as an identity
//     card is refused with ErrDocType.
//   - hk-macao-travel-permit (回乡证): H or M and the 8-digit lifelong
//     number; older permits append a 2-digit issue count (10 digits). The
//     person number is the letter and the 8 digits.
//   - taiwan-travel-permit (台胞证): the 8-digit lifelong number. Permits
//     issued before 25 September 2008 print 10 digits (the 8 and an issue
//     count) and, from some offices, an office code in parentheses, e.g.
//     0561682001(D); since then the number is the 8 digits only (Ministry
//     of Public Security announcement reported by China News Service,
//     2008-09-11).
//   - foreign-permanent-resident-card: since 1 December 2023, 18 characters
//     modelled on GB 11643 (National Immigration Administration, 新版外国人
//     永久居留身份证机读信息规则, 2023): first digit 9, the province-level
//     code of the accepting authority, the ISO 3166-1 numeric nationality,
//     the birth date YYYYMMDD, a 3-digit sequence and the MOD 11-2 check
//     character. The NIA text states the leading 9, the 15-to-18 change
//     with the nationality letters turned into a numeric code, and the
//     MOD 11-2 check; the exact positions of the accepting authority and
//     nationality codes and the sex in the sequence code are taken from an
//     open-source validator (xiahaimoyu/credentialkit), as the NIA table
//     was not available to us. Cards issued before December 2023 carry 15
//     characters: ISO 3166-1 alpha-3 nationality, a 4-digit accepting
//     authority code, the birth date YYMMDD, a sequence digit and a check
//     digit computed with the ICAO 9303 7-3-1 weights over the first 14;
//     this layout too comes from that validator, whose sample
//     KAZ110090123105 satisfies it. Sex is not derived from a 15-character
//     number, as we found no statement of it.
//   - passport: 1 to 9 letters and digits, the width of the TD3 document
//     number field (ICAO 9303 part 4); passports have no room for longer
//     numbers.
//
// # Machine-readable zones (mrz*.go, countries*.go)
//
// ParseMRZ reads TD1 (3 lines of 30, part 5), TD2 (2 of 36, part 6), TD3
// (2 of 44, part 4) and the MRV-A and MRV-B visas (part 7, document code
// V, which have no composite check digit). Only A-Z, 0-9 and '<' are
// allowed. Every check digit is verified (part 3, 4.9: weights 7, 3, 1;
// '<' is 0, A-Z are 10-35): document number, birth date, expiry date, TD3
// personal number (whose check digit may be '<' when the number is all
// fillers), and the composite, in that order, so a mistake in one field is
// reported at that field rather than at the composite. A TD1 or TD2
// document number longer than 9 characters puts '<' in the check digit
// position and continues in the optional data with its check digit (part
// 11, appendix D.2 gives D23145890734). Names split at the first "<<" into
// primary and secondary identifiers, other fillers becoming spaces. State
// codes must be ISO 3166-1 alpha-3 or one of the ICAO additions (D for
// Germany, GBD and the other British classes, UNO/UNA/UNK, XXA/XXB/XXC
// stateless and refugees, XXX, XOM and other organisations, EUE, RKS, UTO
// for the specimens); an unknown code is more often a misread letter than
// a new state. Sex is M, F or X (MRZ '<', or 'X' which some issuers print).
//
// MRZ years have two digits. A birth year takes the latest century that
// does not put the date after the civil date of now; an expiry year is
// taken within now-50 to now+49. A birth date may be partly or wholly
// unknown (fillers), giving a Date with zero month and day. Expiry is
// reported (MRZ.Expired), not refused: that is enrolment policy.
//
// # Document authorities (authority*.go)
//
// Authority is the interface to an issuing authority's online
// verification: a query (type, number, name, birth date as claimed)
// answered with a Status (valid, not-found, mismatch, revoked, expired),
// the authority's identifier and a verification identifier for audit,
// and, when valid, the confirmed birth date and sex. A mismatch does not
// say which field differed, so that the service cannot be used to guess
// birth dates. HTTPAuthority speaks the netid authority protocol (JSON
// POST to {base}/v1/verify with a bearer token; see HTTPAuthority), with
// a timeout, a response size limit, no redirects, https required except to
// loopback, RFC 9457 problem bodies turned into *AuthorityError, and no
// personal data in its logs or error messages. SimulatedAuthority answers
// the same protocol from a records file (AuthorityRecords, written by
// WriteRecords for the test-document generator) both in process and as an
// http.Handler, so the adapter's tests make real HTTP round trips.
//
// # Check
//
// Check backs `netid document check ARG...`: one ID number, TYPE NUMBER,
// or an MRZ as 2-3 arguments or one argument with newlines.
package document
