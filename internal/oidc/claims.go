package oidc

import (
	"slices"
	"time"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
)

// Scopes with a meaning of their own; every claim of the vocabulary
// (rp.Claims) is also a scope that requests that claim.
const (
	scopeOpenID        = "openid"
	scopeOfflineAccess = "offline_access"
	scopeProfile       = "profile"
)

// profileClaims are the claims the standard profile scope stands for, as
// far as netid holds them (OpenID Connect Core section 5.4).
var profileClaims = []rp.Claim{rp.ClaimName, rp.ClaimBirthdate, rp.ClaimGender}

// isClaimScope reports whether scope names a claim of the vocabulary.
func isClaimScope(scope string) bool { return rp.Claim(scope).Class() != rp.ClassUnknown }

// requestedClaims returns the claims that scopes ask for, in vocabulary
// order, each once.
func requestedClaims(scopes []string) []rp.Claim {
	want := map[rp.Claim]bool{}
	for _, s := range scopes {
		switch {
		case s == scopeProfile:
			for _, c := range profileClaims {
				want[c] = true
			}
		case isClaimScope(s):
			want[rp.Claim(s)] = true
		}
	}
	var out []rp.Claim
	for _, c := range rp.Claims() {
		if want[c] {
			out = append(out, c)
		}
	}
	return out
}

// approvedOnly returns the claims of cs that the RP is approved for now.
// Every release goes through it, at authorization and again at every token
// and userinfo response, so that an approval the operator withdraws stops
// the release at once: an RP never receives a claim it is not approved
// for, whatever it asks and whatever was consented earlier.
func approvedOnly(r rp.RP, cs []rp.Claim) []rp.Claim {
	var out []rp.Claim
	for _, c := range cs {
		if _, ok := r.Approval(c); ok {
			out = append(out, c)
		}
	}
	return out
}

// consentItem is one claim on the consent page.
type consentItem struct {
	Claim   rp.Claim
	Purpose string
	Class   rp.Class
}

// consentItems returns the approved claims of cs with the RP's purposes.
func consentItems(r rp.RP, cs []rp.Claim) []consentItem {
	var out []consentItem
	for _, c := range cs {
		if a, ok := r.Approval(c); ok {
			out = append(out, consentItem{Claim: c, Purpose: a.Purpose, Class: c.Class()})
		}
	}
	return out
}

// decision returns the resident's remembered decision on claim c, if it
// was made for the purpose the RP states now.
func decision(c Consent, claim rp.Claim, purpose string) (granted, decided bool) {
	i := slices.IndexFunc(c.Claims, func(cc ConsentClaim) bool { return cc.Claim == claim })
	if i < 0 || c.Claims[i].Purpose != purpose {
		return false, false
	}
	return c.Claims[i].Granted, true
}

// covers reports whether consent c answers everything a request for
// claims cs would ask: a decision on every approved claim for its current
// purpose, the separate consent to plaintext identity data if an identity
// claim is granted, and the separate consent to onward sharing if the RP
// shares onward and anything is granted. A resident who declined one of
// the separate consents is asked again at the next login rather than
// having the claims silently withheld for ever.
func covers(r rp.RP, c Consent, cs []rp.Claim) bool {
	anyGranted := false
	for _, it := range consentItems(r, cs) {
		granted, decided := decision(c, it.Claim, it.Purpose)
		if !decided {
			return false
		}
		if granted {
			anyGranted = true
			if it.Class == rp.ClassIdentity && !c.Plaintext {
				return false
			}
		}
	}
	return !(anyGranted && r.SharesOnward && !c.Onward)
}

// released returns the claims of cs that consent c releases to r: approved
// now, granted for the current purpose, identity claims only with the
// plaintext consent, and nothing at all from an RP that shares onward
// without the onward consent.
func released(r rp.RP, c Consent, cs []rp.Claim) []rp.Claim {
	if r.SharesOnward && !c.Onward {
		return nil
	}
	var out []rp.Claim
	for _, it := range consentItems(r, cs) {
		granted, decided := decision(c, it.Claim, it.Purpose)
		if !decided || !granted || (it.Class == rp.ClassIdentity && !c.Plaintext) {
			continue
		}
		out = append(out, it.Claim)
	}
	return out
}

// needsIdentity reports whether any claim of cs comes from the resident's
// sealed identity (everything but the internet number).
func needsIdentity(cs []rp.Claim) bool {
	return slices.ContainsFunc(cs, func(c rp.Claim) bool { return c != rp.ClaimInternetNumber })
}

// releasedClaims are the claim values of an ID token or a userinfo
// response beyond the subject. Each field is set only when its claim is
// released; JSON leaves the others out.
type releasedClaims struct {
	InternetNumber string `json:"internet_number,omitempty"`
	Name           string `json:"name,omitempty"`
	Birthdate      string `json:"birthdate,omitempty"`
	Gender         string `json:"gender,omitempty"`
	Nationality    string `json:"nationality,omitempty"`
	DocumentNumber string `json:"document_number,omitempty"`
	AgeOver14      *bool  `json:"age_over_14,omitempty"`
	AgeOver16      *bool  `json:"age_over_16,omitempty"`
	AgeOver18      *bool  `json:"age_over_18,omitempty"`
	AgeOver60      *bool  `json:"age_over_60,omitempty"`
}

// claimValues fills the released claims cs from the internet number and
// the identity (which may be zero when cs needs none of it), on the civil
// date of now (UTC).
func claimValues(cs []rp.Claim, number string, id enrol.Identity, now time.Time) releasedClaims {
	var v releasedClaims
	for _, c := range cs {
		switch c {
		case rp.ClaimInternetNumber:
			v.InternetNumber = number
		case rp.ClaimName:
			v.Name = id.Name
		case rp.ClaimBirthdate:
			v.Birthdate = id.BirthDate.String()
		case rp.ClaimGender:
			v.Gender = gender(id.Sex)
		case rp.ClaimNationality:
			v.Nationality = id.Nationality
		case rp.ClaimDocumentNumber:
			v.DocumentNumber = id.DocumentNumber
		default:
			age, ok := c.PredicateAge()
			if !ok || id.BirthDate.IsZero() {
				continue
			}
			b := surelyAged(id.BirthDate, age, now)
			switch age {
			case 14:
				v.AgeOver14 = &b
			case 16:
				v.AgeOver16 = &b
			case 18:
				v.AgeOver18 = &b
			case 60:
				v.AgeOver60 = &b
			}
		}
	}
	return v
}

// surelyAged reports whether a person born on birth is certainly at least
// age years old on the UTC date of now. Unknown birth months and days are
// read as the latest possible (31 December, the month's last day): an age
// predicate gates access, so an uncertain answer must be "no", unlike
// document.Date.AgeOn, which reads them generously for enrolment rules.
func surelyAged(birth document.Date, age int, now time.Time) bool {
	today := document.NewDate(now.UTC())
	latest := birth
	if latest.Month == 0 {
		latest.Month, latest.Day = time.December, 31
	}
	if latest.Day == 0 {
		latest.Day = time.Date(latest.Year, latest.Month+1, 0, 0, 0, 0, 0, time.UTC).Day()
	}
	// time.Date normalises 29 February of a common year to 1 March: a
	// person born on 29 February comes of age on 1 March, as in AgeOn.
	birthday := time.Date(latest.Year+age, latest.Month, latest.Day, 0, 0, 0, 0, time.UTC)
	return !document.NewDate(birthday).After(today)
}

// gender maps the document's sex marker to the OpenID Connect gender
// values; an unspecified marker is not released as anything.
func gender(sex string) string {
	switch sex {
	case "F", "f", "female":
		return "female"
	case "M", "m", "male":
		return "male"
	}
	return ""
}
