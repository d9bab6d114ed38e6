package resident

import (
	"time"

	"github.com/netid/netid/internal/rp"
)

// accessJSON is the live access of a platform (Consent.Access) in the
// consents list.
type accessJSON struct {
	// Claims are the claims released under the live grants.
	Claims         []rp.Claim `json:"claims"`
	FirstGrantedAt time.Time  `json:"first_granted_at"`
	LastGrantedAt  time.Time  `json:"last_granted_at"`
	ExpiresAt      time.Time  `json:"expires_at"`
	// RefreshToken tells that the platform can renew its access tokens
	// without the resident until ExpiresAt.
	RefreshToken bool `json:"refresh_token"`
}

// accessWire is the access of c, nil without live access.
func accessWire(c Consent) *accessJSON {
	if !c.LiveAccess {
		return nil
	}
	g := c.Access
	claims := g.Claims
	if claims == nil {
		claims = []rp.Claim{}
	}
	return &accessJSON{Claims: claims, FirstGrantedAt: g.FirstGrantedAt, LastGrantedAt: g.LastGrantedAt,
		ExpiresAt: g.ExpiresAt, RefreshToken: g.Refresh}
}
