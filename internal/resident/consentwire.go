package resident

import "github.com/netid/netid/internal/resident/residentapi"

// accessWire is the live access of c (Consent.Access) in the consents
// list, nil without live access.
func accessWire(c Consent) *residentapi.Access {
	if !c.LiveAccess {
		return nil
	}
	g := c.Access
	// Claims are the claims released under the live grants; [] rather
	// than null when none.
	claims := make([]string, 0, len(g.Claims))
	for _, cl := range g.Claims {
		claims = append(claims, string(cl))
	}
	return &residentapi.Access{Claims: claims, FirstGrantedAt: g.FirstGrantedAt, LastGrantedAt: g.LastGrantedAt,
		ExpiresAt: g.ExpiresAt, RefreshToken: g.Refresh}
}
