package resident_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/resident/residenttest"
	"github.com/netid/netid/internal/translog"
)

// consentsList is the body of GET /v1/me/consents, with the fields this
// file checks.
type consentsList struct {
	Consents []struct {
		ClientID   string `json:"client_id"`
		Platform   string `json:"platform"`
		Remembered bool   `json:"remembered"`
		LiveAccess bool   `json:"live_access"`
		Claims     []struct {
			Claim   string `json:"claim"`
			Granted bool   `json:"granted"`
		} `json:"claims"`
		Access *struct {
			Claims       []string  `json:"claims"`
			ExpiresAt    time.Time `json:"expires_at"`
			RefreshToken bool      `json:"refresh_token"`
		} `json:"access"`
	} `json:"consents"`
}

// listed is one platform's entry as the test expects it.
type listed struct {
	platform               string
	remembered, liveAccess bool
}

func (l consentsList) summary() []listed {
	var out []listed
	for _, c := range l.Consents {
		out = append(out, listed{c.Platform, c.Remembered, c.LiveAccess})
	}
	slices.SortFunc(out, func(a, b listed) int {
		if a.platform < b.platform {
			return -1
		}
		if a.platform > b.platform {
			return 1
		}
		return 0
	})
	return out
}

// refused checks that refreshing tok at r fails as a revoked grant does:
// invalid_grant from the token endpoint, through x/oauth2.
func refused(t *testing.T, r *residenttest.RP, tok *oauth2.Token) {
	t.Helper()
	_, err := r.Refresh(tok)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh after withdrawal = %v, want invalid_grant", err)
	}
}

// A platform the resident consented to for one login only, but which got
// a refresh token, is listed with live access and no remembered consent,
// and one withdrawal cuts it off and is logged; a remembered consent is
// listed and withdrawn as before, with or without live access.
func TestWithdrawOneTimeConsent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *residenttest.Env) {
		ctx := context.Background()
		p := e.EnrolAdult(t)
		shop, news, club := e.NewRP(t, "Shop"), e.NewRP(t, "News"), e.NewRP(t, "Club")
		shopTok := shop.LoginOnce(p)
		if shopTok.RefreshToken == "" {
			t.Fatal("the one-time login gave no refresh token")
		}
		if cs, err := e.Store.RememberedConsentsOf(ctx, p.ID); err != nil || len(cs) != 0 {
			t.Fatalf("remembered consents after a one-time login = %v, %v; want none", cs, err)
		}
		newsTok := news.Login(p)
		club.Login(p)
		// The club's access ends (as it would by expiry): its consent
		// stays remembered, without live access.
		if _, err := e.Store.RevokeGrantsOf(ctx, p.ID, club.ClientID(), e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		token := login(t, e, p)

		var list consentsList
		call(t, e, http.MethodGet, "/v1/me/consents", token, nil).want(t, http.StatusOK).decode(t, &list)
		want := []listed{{"Club", true, false}, {"News", true, true}, {"Shop", false, true}}
		if got := list.summary(); !slices.Equal(got, want) {
			t.Fatalf("consents = %+v, want %+v", got, want)
		}
		for _, c := range list.Consents {
			switch c.Platform {
			case "Shop":
				if len(c.Claims) != 1 || c.Claims[0].Claim != "age_over_18" || !c.Claims[0].Granted {
					t.Errorf("one-time consent claims = %+v, want age_over_18 granted", c.Claims)
				}
				if c.Access == nil || !c.Access.RefreshToken || !slices.Equal(c.Access.Claims, []string{"age_over_18"}) ||
					!c.Access.ExpiresAt.After(e.Clock.Now()) {
					t.Errorf("one-time consent access = %+v, want a refresh token for age_over_18, expiring later", c.Access)
				}
			case "Club":
				if c.Access != nil {
					t.Errorf("access of a platform without live grants = %+v, want none", c.Access)
				}
			}
		}

		// The refresh token works until the withdrawal; rotation hands
		// out a new one, which the withdrawal must kill too.
		shopTok, err := shop.Refresh(shopTok)
		if err != nil {
			t.Fatalf("refresh before withdrawal: %v", err)
		}
		call(t, e, http.MethodDelete, "/v1/me/consents/"+shop.ClientID(), token, nil).want(t, http.StatusNoContent)
		call(t, e, http.MethodDelete, "/v1/me/consents/"+shop.ClientID(), token, nil).wantProblem(t, http.StatusNotFound, "not-found")
		refused(t, shop, shopTok)
		if _, err := news.Refresh(newsTok); err != nil {
			t.Errorf("the other platform's refresh token: %v", err)
		}

		// The remembered consents: with live access, and without.
		for _, r := range []*residenttest.RP{news, club} {
			call(t, e, http.MethodDelete, "/v1/me/consents/"+r.ClientID(), token, nil).want(t, http.StatusNoContent)
		}
		refused(t, news, newsTok)
		list = consentsList{}
		call(t, e, http.MethodGet, "/v1/me/consents", token, nil).want(t, http.StatusOK).decode(t, &list)
		if len(list.Consents) != 0 {
			t.Errorf("consents after withdrawing everything = %+v, want none", list.Consents)
		}

		var withdrawn, granted []string
		for _, en := range logEntries(t, e, p.ID) {
			switch en.Kind {
			case translog.KindConsentWithdrawn:
				withdrawn = append(withdrawn, en.ClientID)
				if !slices.Equal(en.Claims, []string{"age_over_18"}) {
					t.Errorf("consent-withdrawn of %s names %v, want age_over_18", en.ClientID, en.Claims)
				}
			case translog.KindConsentGranted:
				granted = append(granted, en.ClientID)
			}
		}
		if want := []string{shop.ClientID(), news.ClientID(), club.ClientID()}; !slices.Equal(withdrawn, want) {
			t.Errorf("consent-withdrawn entries %v, want %v (Shop, News, Club)", withdrawn, want)
		}
		// A consent for one login is not a lasting consent: it was never
		// logged as granted (ConsentLog), only its withdrawal is.
		if want := []string{news.ClientID(), club.ClientID()}; !slices.Equal(granted, want) {
			t.Errorf("consent-granted entries %v, want %v (News, Club)", granted, want)
		}
	})
}
