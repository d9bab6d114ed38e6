package wallet

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/netid/netid/internal/credential"
)

// ErrNotDisclosable is returned by Present for an attribute the wallet
// holds no opening of: the certificate commits to no such attribute.
var ErrNotDisclosable = errors.New("the certificate holds no such attribute to disclose")

// Present makes a presentation of the wallet's internet certificate to the
// platform clientID, answering the platform's challenge, valid for
// credential.MaxPresentationLifetime from now, signed by the device key
// (credential.CreatePresentation). disclose names the attributes whose
// values the resident chose to show the platform ("name", "birth_date"):
// their openings go into the presentation, and nothing else does.
// It returns ErrNotEnrolled before enrolment and an error wrapping
// ErrNotDisclosable for an attribute the wallet has no opening of.
//
// The presentation carries the certificate, whose subject is the internet
// number: a platform that verifies offline learns it.
func Present(w *Wallet, clientID string, challenge []byte, disclose []string, now time.Time) (string, error) {
	a := w.state.Account
	if a == nil {
		return "", ErrNotEnrolled
	}
	cert, err := w.Certificate()
	if err != nil {
		return "", err
	}
	var openings []credential.Opening
	for _, name := range disclose {
		i := slices.IndexFunc(a.Openings, func(o Opening) bool { return o.Attribute == name })
		if i < 0 {
			return "", fmt.Errorf("%w: %q", ErrNotDisclosable, name)
		}
		if slices.ContainsFunc(openings, func(o credential.Opening) bool { return o.Attribute == name }) {
			continue
		}
		o := a.Openings[i]
		openings = append(openings, credential.Opening{Attribute: o.Attribute, Value: o.Value, Salt: slices.Clone(o.Salt)})
	}
	return credential.CreatePresentation(nil, w.Signer(), cert.Raw, clientID, challenge, openings, now)
}
