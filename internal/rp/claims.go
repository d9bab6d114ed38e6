package rp

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Claim is the name of a claim an RP may be approved for, as it appears in
// ID tokens and userinfo responses and as the scope that requests it.
type Claim string

// The claims beyond the result-only default (sub, acr, amr, auth_time).
const (
	ClaimInternetNumber Claim = "internet_number"
	ClaimName           Claim = "name"
	ClaimBirthdate      Claim = "birthdate"
	ClaimGender         Claim = "gender"
	ClaimNationality    Claim = "nationality"
	ClaimDocumentNumber Claim = "document_number"
	ClaimAgeOver14      Claim = "age_over_14"
	ClaimAgeOver16      Claim = "age_over_16"
	ClaimAgeOver18      Claim = "age_over_18"
	ClaimAgeOver60      Claim = "age_over_60"
)

// Class is the kind of a claim, which decides what consent it needs.
type Class int

// The classes.
const (
	// ClassUnknown is no claim of the vocabulary.
	ClassUnknown Class = iota
	// ClassIdentifier is the internet number: linkable across sectors,
	// so approved separately (MayReceiveInternetNumber).
	ClassIdentifier
	// ClassIdentity is a plaintext identity attribute: released only with
	// the resident's separate consent to plaintext identity data.
	ClassIdentity
	// ClassPredicate is an age predicate: one bit, never the birth date.
	ClassPredicate
)

// String names the class, for messages.
func (c Class) String() string {
	switch c {
	case ClassIdentifier:
		return "identifier"
	case ClassIdentity:
		return "identity"
	case ClassPredicate:
		return "predicate"
	}
	return "unknown"
}

// claimInfo is the vocabulary: every claim, its class and, for predicates,
// the age it tests.
var claimInfo = []struct {
	claim Claim
	class Class
	age   int
}{
	{ClaimInternetNumber, ClassIdentifier, 0},
	{ClaimName, ClassIdentity, 0},
	{ClaimBirthdate, ClassIdentity, 0},
	{ClaimGender, ClassIdentity, 0},
	{ClaimNationality, ClassIdentity, 0},
	{ClaimDocumentNumber, ClassIdentity, 0},
	{ClaimAgeOver14, ClassPredicate, 14},
	{ClaimAgeOver16, ClassPredicate, 16},
	{ClaimAgeOver18, ClassPredicate, 18},
	{ClaimAgeOver60, ClassPredicate, 60},
}

// Claims returns the claim vocabulary, in a fixed order.
func Claims() []Claim {
	out := make([]Claim, len(claimInfo))
	for i, ci := range claimInfo {
		out[i] = ci.claim
	}
	return out
}

// Class returns the class of c, ClassUnknown for a name outside the
// vocabulary.
func (c Claim) Class() Class {
	for _, ci := range claimInfo {
		if ci.claim == c {
			return ci.class
		}
	}
	return ClassUnknown
}

// PredicateAge returns the age an age predicate tests, and false for any
// other claim.
func (c Claim) PredicateAge() (int, bool) {
	for _, ci := range claimInfo {
		if ci.claim == c && ci.class == ClassPredicate {
			return ci.age, true
		}
	}
	return 0, false
}

// MaxPurposeLen caps a purpose statement, in bytes.
const MaxPurposeLen = 500

// checkPurpose reports what is wrong with a purpose statement: it must be
// non-empty valid UTF-8 of at most MaxPurposeLen bytes without control
// characters (it is shown to residents as one line).
func checkPurpose(p string) error {
	switch {
	case strings.TrimSpace(p) == "":
		return fmt.Errorf("the purpose is empty")
	case len(p) > MaxPurposeLen:
		return fmt.Errorf("the purpose is %d bytes long, more than %d", len(p), MaxPurposeLen)
	case !utf8.ValidString(p):
		return fmt.Errorf("the purpose is not valid UTF-8")
	case strings.IndexFunc(p, unicode.IsControl) >= 0:
		return fmt.Errorf("the purpose contains a control character")
	}
	return nil
}

// ParseClaimApproval parses the operator's "claim=purpose text" (the form
// of `netid rp create --claim`): a claim of the vocabulary, an equals sign,
// and the purpose the RP stated, shown to residents. Spaces around both
// parts are trimmed.
func ParseClaimApproval(s string) (ClaimApproval, error) {
	name, purpose, ok := strings.Cut(s, "=")
	if !ok {
		return ClaimApproval{}, fmt.Errorf("%w: %q: want claim=purpose", ErrInvalid, s)
	}
	c := Claim(strings.TrimSpace(name))
	if c.Class() == ClassUnknown {
		return ClaimApproval{}, fmt.Errorf("%w: unknown claim %q (known: %s)", ErrInvalid, c, claimList())
	}
	purpose = strings.TrimSpace(purpose)
	if err := checkPurpose(purpose); err != nil {
		return ClaimApproval{}, fmt.Errorf("%w: claim %s: %w", ErrInvalid, c, err)
	}
	return ClaimApproval{Claim: c, Purpose: purpose}, nil
}

// claimList is the vocabulary as one string, for messages.
func claimList() string {
	names := make([]string, len(claimInfo))
	for i, ci := range claimInfo {
		names[i] = string(ci.claim)
	}
	return strings.Join(names, ", ")
}
