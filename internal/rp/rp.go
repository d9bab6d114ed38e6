package rp

import (
	"log/slog"
	"slices"
	"time"

	"github.com/netid/netid/internal/enrol"
)

// Status says whether a relying party may authenticate residents.
type Status string

// The statuses.
const (
	// StatusActive: the RP may authenticate residents.
	StatusActive Status = "active"
	// StatusSuspended: the operator suspended the RP; authorization and
	// token requests are refused and its tokens are no longer active.
	StatusSuspended Status = "suspended"
)

// ClaimApproval is one claim an RP was approved for, with the purpose the
// RP stated; the consent page shows the purpose next to the claim.
type ClaimApproval struct {
	Claim   Claim  `json:"claim"`
	Purpose string `json:"purpose"`
}

// RP is a registered relying party, as stored.
type RP struct {
	// ClientID is the OAuth client_id: "rp-" and 32 hex digits, random.
	ClientID string
	// SecretHash is SecretHash(secret) of the current client secret.
	SecretHash []byte
	// Name is shown to residents on the login and consent pages.
	Name string
	// RedirectURIs are the registered redirect URIs, matched exactly.
	RedirectURIs []string
	// PostLogoutRedirectURIs are where RP-initiated logout may return,
	// matched exactly.
	PostLogoutRedirectURIs []string
	// Sector is the pairwise-subject sector (a lower-case host name).
	Sector string
	// ApprovedClaims are the claims the RP may receive with consent, in
	// registration order, each claim at most once.
	ApprovedClaims []ClaimApproval
	// MayReceiveInternetNumber is the operator's second, explicit yes to
	// releasing the internet number (see Registration.Normalize).
	MayReceiveInternetNumber bool
	// SharesOnward says the RP passes data on to third parties; residents
	// then give a separate consent to that sharing.
	SharesOnward bool
	// MinAssurance is the lowest level at which the RP accepts a login.
	MinAssurance enrol.Assurance
	Status       Status
	Created      time.Time
	Updated      time.Time
	// Version counts writes, for compare-and-set updates.
	Version int64
}

// Approval returns the approval of claim c, if the RP has one. The internet
// number is approved only when MayReceiveInternetNumber is set too.
func (r RP) Approval(c Claim) (ClaimApproval, bool) {
	if c == ClaimInternetNumber && !r.MayReceiveInternetNumber {
		return ClaimApproval{}, false
	}
	i := slices.IndexFunc(r.ApprovedClaims, func(a ClaimApproval) bool { return a.Claim == c })
	if i < 0 {
		return ClaimApproval{}, false
	}
	return r.ApprovedClaims[i], true
}

// Active reports whether the RP may authenticate residents.
func (r RP) Active() bool { return r.Status == StatusActive }

// LogValue keeps the secret hash out of logs.
func (r RP) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_id", r.ClientID), slog.String("name", r.Name),
		slog.String("sector", r.Sector), slog.String("status", string(r.Status)))
}

// Registration is what the operator states about an RP: everything but the
// id, the secret, the status and the times.
type Registration struct {
	Name                     string
	RedirectURIs             []string
	PostLogoutRedirectURIs   []string
	Sector                   string
	ApprovedClaims           []ClaimApproval
	MayReceiveInternetNumber bool
	SharesOnward             bool
	// MinAssurance defaults to low when empty.
	MinAssurance enrol.Assurance
}
