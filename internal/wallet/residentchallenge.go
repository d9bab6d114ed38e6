package wallet

import (
	"context"
	"net/http"
	"time"
)

// ResidentChallengeRequest is the body of the routes that give a logged-in
// resident a challenge (upgrade, certificate renewal).
type ResidentChallengeRequest struct {
	Resident ResidentLogin `json:"resident"`
}

// ResidentChallenge is their answer: a challenge bound to the resident and
// its expiry.
type ResidentChallenge struct {
	Challenge string    `json:"challenge"`
	ExpiresAt time.Time `json:"expires_at"`
}

// residentChallenge logs in as login and asks path for a challenge; what
// names the operation in errors. Refusals are *Problem: bad-credentials,
// account-pending, throttled.
func (c *Client) residentChallenge(ctx context.Context, path, what string, login ResidentLogin) (*ResidentChallenge, error) {
	var out ResidentChallenge
	if err := c.do(ctx, call{method: http.MethodPost, path: path,
		in: ResidentChallengeRequest{Resident: login}, out: &out, want: []int{http.StatusOK}}); err != nil {
		return nil, err
	}
	if out.Challenge == "" || out.ExpiresAt.IsZero() {
		return nil, errorf(ErrResponse, "the %s challenge or its expiry is empty", what)
	}
	return &out, nil
}
