package oidc

import (
	"context"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
)

// DisclosureKind says which token request made a disclosure.
type DisclosureKind string

// The kinds of disclosure.
const (
	// DisclosureCode: tokens issued for an authorization code (a login).
	DisclosureCode DisclosureKind = "authorization_code"
	// DisclosureDevice: tokens issued for a device code (a QR login,
	// RFC 8628).
	DisclosureDevice DisclosureKind = "device_code"
	// DisclosureRefresh: tokens issued for a refresh token; the RP
	// received the claims again.
	DisclosureRefresh DisclosureKind = "refresh_token"
)

// Disclosure is one release of claims to one RP at one time: what the
// resident's transparency log lists. It names the claims, never their
// values. The pairwise subject, acr, amr and auth_time are released with
// every disclosure and are not listed in Claims.
type Disclosure struct {
	// ID is unique and drawn before the issuing transaction, so that a
	// rerun of the transaction records the same disclosure.
	ID         string
	ResidentID string
	ClientID   string
	GrantID    string
	At         time.Time
	ACR        enrol.Assurance
	Claims     []rp.Claim
	Kind       DisclosureKind
}

// DisclosureRecorder records disclosures. The provider calls it inside the
// transaction that issues the tokens, with that transaction's context, so
// that tokens are never issued without their disclosure: an implementation
// backed by the same store MUST join that transaction; any other MUST be
// idempotent by Disclosure.ID, because the transaction may be rerun
// (store.TxRunner). The transparency log plugs in here.
type DisclosureRecorder interface {
	// RecordDisclosure records d. An error wrapping store.ErrConflict if
	// d.ID is recorded already.
	RecordDisclosure(ctx context.Context, d Disclosure) error
}
