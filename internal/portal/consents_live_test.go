package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/translog"
)

// The consents page lists a platform that holds live access from a
// consent given for one login (a used grant with offline_access, as the
// token endpoint leaves it) beside a remembered consent without access,
// in both languages, and its one click withdraws the one-time consent:
// the grant is revoked and the withdrawal logged.
func TestConsentsPageLiveAccess(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		ana := e.enrolPerson("Ana Test", 30)
		shop, club := e.newPlatform("Test Shop"), e.newPlatform("Test Club")
		now := time.Now().UTC().Truncate(time.Microsecond)
		g := oidc.Grant{ID: "grant-once", ClientID: shop.reg.ClientID, ResidentID: ana.id, Subject: "pairwise",
			Scopes: []string{"openid", oidc.ScopeOfflineAccess, string(rp.ClaimAgeOver18)}, Claims: []rp.Claim{rp.ClaimAgeOver18},
			ACR: enrol.AssuranceLow, AMR: []string{"pwd"}, AuthTime: now, RedirectURI: shop.server.URL + "/cb",
			CodeHash: []byte("code-once"), CodeChallenge: "challenge", CodeExpiresAt: now.Add(time.Minute),
			CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		must(t, e.store.CreateGrant(ctx, g))
		must(t, e.store.UseGrantCode(ctx, g.ID, now))
		must(t, e.store.PutRememberedConsent(ctx, oidc.Consent{ResidentID: ana.id, ClientID: club.reg.ClientID,
			Claims: []oidc.ConsentClaim{{Claim: rp.ClaimAgeOver18, Purpose: "age", Granted: true}}, CreatedAt: now, UpdatedAt: now}))

		c := e.client()
		c.login(ana)
		langs := []struct {
			lang string
			want []string
		}{
			{"en", []string{"Test Shop", "Given for one login, not remembered", "Yes, renewable without you until 20",
				"Test Club", "Remembered", "Aged 18 or over"}},
			{"zh-CN", []string{"Test Shop", "仅为一次登录授权，未记住", "有，可在您不参与的情况下续期至 20", "Test Club", "已记住"}},
		}
		for _, l := range langs {
			p := c.get("/account/consents", "Accept-Language", l.lang)
			if p.status != http.StatusOK {
				t.Fatalf("%s: consents page status %d", l.lang, p.status)
			}
			p.mustShow(t, l.want...)
		}
		page := c.get("/account/consents", "Accept-Language", "en")
		// Each row: the kind of consent, the separate consents (unknown
		// for a one-time consent), the access now.
		rows := []struct{ platform, want string }{
			{"Test Shop", "Given for one login, not remembered — Yes, renewable without you until"},
			{"Test Club", "Remembered No No"},
		}
		for _, r := range rows {
			if got := row(page, r.platform); !strings.Contains(got, r.want) {
				t.Errorf("row of %s = %q, want it to contain %q", r.platform, got, r.want)
			}
		}

		done := c.post("/account/consents", url.Values{"csrf": {page.csrf(t)}, "client_id": {shop.reg.ClientID}})
		done.mustShow(t, "Consent withdrawn.")
		if strings.Contains(done.text(), "Test Shop") {
			t.Errorf("the withdrawn platform is still listed: %s", done.text())
		}
		live, err := e.store.LiveGrantClientsOf(ctx, ana.id, time.Now())
		if err != nil || len(live) != 0 {
			t.Errorf("live access after withdrawal = %+v, %v; want none", live, err)
		}
		var withdrawn []translog.Entry
		for _, en := range e.logEntries(ana.id) {
			if en.Kind == translog.KindConsentWithdrawn {
				withdrawn = append(withdrawn, en)
			}
		}
		if len(withdrawn) != 1 || withdrawn[0].ClientID != shop.reg.ClientID || !slices.Equal(withdrawn[0].Claims, []string{"age_over_18"}) {
			t.Errorf("consent-withdrawn entries = %+v, want one for the shop naming age_over_18", withdrawn)
		}
	})
}

// row is the text of the table row of p that names platform.
func row(p page, platform string) string {
	for _, r := range strings.Split(p.body, "<tr>") {
		if strings.Contains(r, "<td>"+platform+"</td>") {
			return page{body: r}.text()
		}
	}
	return ""
}
