package oidc

import (
	"fmt"
	"strings"

	"github.com/netid/netid/internal/enrol"
)

// Authentication methods (RFC 8176) the provider reports in amr.
const (
	// amrPassword: the password.
	amrPassword = "pwd"
	// amrOTP: the wallet's dynamic code, a one-time password (RFC 6238).
	amrOTP = "otp"
	// amrSoftwareKey: proof of possession of a software-secured key, the
	// wallet's device key, by a signed presentation of the internet
	// certificate.
	amrSoftwareKey = "swk"
	// amrMFA: more than one factor.
	amrMFA = "mfa"
)

// levels lists the assurance levels, lowest first.
var levels = []enrol.Assurance{enrol.AssuranceLow, enrol.AssuranceSubstantial, enrol.AssuranceHigh}

// maxAchievable is the highest level a login through this provider can
// reach: substantial, with the password and a second factor of the wallet
// (its dynamic code, or an approval signed by its device key), or with the
// device key alone in the QR login (docs/decisions.md says why that is
// substantial). high needs a live face match, which logins do not do yet;
// everything that decides whether a request can be met asks this one
// function.
func maxAchievable() enrol.Assurance { return enrol.AssuranceSubstantial }

// achievableLevels lists the levels up to maxAchievable, for discovery.
func achievableLevels() []string {
	var out []string
	for _, l := range levels {
		if l.Rank() <= maxAchievable().Rank() {
			out = append(out, string(l))
		}
	}
	return out
}

// requiredLevel returns the level an authorization request needs: the
// higher of the RP's minimum and the lowest level in acr_values. The
// levels are ordered, so an RP that lists several accepts the lowest of
// them, and a login that reaches a higher one satisfies it (the acr claim
// then reports the level reached). A value outside the vocabulary is an
// error: netid will not guess what an RP meant by a level it does not know.
func requiredLevel(min enrol.Assurance, acrValues []string) (enrol.Assurance, error) {
	required := min
	if required.Rank() == 0 {
		required = enrol.AssuranceLow
	}
	var lowest enrol.Assurance
	for _, v := range acrValues {
		a := enrol.Assurance(strings.TrimSpace(v))
		if a.Rank() == 0 {
			return "", fmt.Errorf("acr_values: %q is not one of low, substantial, high", v)
		}
		if lowest == "" || a.Rank() < lowest.Rank() {
			lowest = a
		}
	}
	if lowest.Rank() > required.Rank() {
		required = lowest
	}
	return required, nil
}
