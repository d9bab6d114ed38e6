package wallet

import (
	"context"
	"net/http"
	"net/url"

	"github.com/netid/netid/internal/resident/residentapi"
)

// A guardian's side of the resident API: the minors under the
// guardianship of the signed-in resident (GET /v1/me/minors), and the
// same rights over a minor's account as over one's own, under
// /v1/me/minors/{id}. The server answers 404 not-found for an id that is
// not a minor of the caller today (a stranger, a minor come of age), as
// it would for no account at all.

// MinorInfo is a minor under the caller's guardianship, as
// GET /v1/me/minors lists it.
type MinorInfo = residentapi.Minor

// Minors lists the minors under the guardianship of the resident of
// token today (GET /v1/me/minors); empty for a resident who guards no one.
func (c *Client) Minors(ctx context.Context, token string) ([]MinorInfo, error) {
	var out residentapi.MinorList
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/me/minors", token: token, out: &out,
		want: []int{http.StatusOK}}); err != nil {
		return nil, err
	}
	for _, m := range out.Minors {
		if m.ID == "" {
			return nil, errorf(ErrResponse, "a minor without an id")
		}
	}
	return out.Minors, nil
}

// minorPath is the route rest (starting with "/") of minor id's account.
// The id is escaped: it comes from the command line or the server, and
// must not reach another route.
func minorPath(id, rest string) string {
	return "/v1/me/minors/" + url.PathEscape(id) + rest
}

// MinorConsents lists minor id's consents, as Consents lists the
// caller's (GET /v1/me/minors/{id}/consents).
func (c *Client) MinorConsents(ctx context.Context, token, id string) ([]ConsentInfo, error) {
	var out residentapi.ConsentList
	err := c.do(ctx, call{method: http.MethodGet, path: minorPath(id, "/consents"), token: token, out: &out,
		want: []int{http.StatusOK}})
	return out.Consents, err
}

// MinorWithdrawConsent withdraws the consent minor id gave platform
// clientID (DELETE /v1/me/minors/{id}/consents/{client_id}).
func (c *Client) MinorWithdrawConsent(ctx context.Context, token, id, clientID string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: minorPath(id, "/consents/"+url.PathEscape(clientID)), token: token,
		want: []int{http.StatusNoContent}})
}

// MinorCertificates lists minor id's certificates
// (GET /v1/me/minors/{id}/certificates).
func (c *Client) MinorCertificates(ctx context.Context, token, id string) ([]CertificateInfo, error) {
	var out residentapi.CertificateList
	err := c.do(ctx, call{method: http.MethodGet, path: minorPath(id, "/certificates"), token: token, out: &out,
		want: []int{http.StatusOK}})
	return out.Certificates, err
}

// MinorRevokeCertificate revokes minor id's certificate serial, as
// RevokeCertificate does the caller's.
func (c *Client) MinorRevokeCertificate(ctx context.Context, token, id, serial, reason string) error {
	return c.do(ctx, call{method: http.MethodPost, path: minorPath(id, "/certificates/"+url.PathEscape(serial)+"/revoke"),
		token: token, in: residentapi.Revoke{Reason: reason}, want: []int{http.StatusNoContent}})
}

// MinorLocks lists every sign-in method of minor id and whether it is
// locked (GET /v1/me/minors/{id}/locks).
func (c *Client) MinorLocks(ctx context.Context, token, id string) ([]LockState, error) {
	var out residentapi.LockList
	err := c.do(ctx, call{method: http.MethodGet, path: minorPath(id, "/locks"), token: token, out: &out,
		want: []int{http.StatusOK}})
	return out.Locks, err
}

// MinorSetLock locks (lock true) or unlocks a sign-in method of minor id,
// as SetLock does the caller's.
func (c *Client) MinorSetLock(ctx context.Context, token, id, method string, lock bool) (*LockState, error) {
	m := http.MethodDelete
	if lock {
		m = http.MethodPut
	}
	var out LockState
	if err := c.do(ctx, call{method: m, path: minorPath(id, "/locks/"+url.PathEscape(method)), token: token, out: &out,
		want: []int{http.StatusOK}}); err != nil {
		return nil, err
	}
	return &out, nil
}
