package resident_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/netid/netid/internal/resident/residenttest"
	"github.com/netid/netid/internal/translog"
)

type disclosuresBody struct {
	Disclosures []struct {
		ClientID string   `json:"client_id"`
		Platform string   `json:"platform"`
		At       string   `json:"at"`
		Claims   []string `json:"claims"`
		Kind     string   `json:"kind"`
	} `json:"disclosures"`
	NextBefore *time.Time `json:"next_before"`
}

// Logins at two platforms leave disclosures and remembered consents; the
// resident filters the disclosures, withdraws one consent, and that
// platform's refresh token stops working while the other's works; the log
// holds consent-granted and consent-withdrawn entries.
func TestConsentsAndDisclosures(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *residenttest.Env) {
		p := e.EnrolAdult(t)
		shop, news := e.NewRP(t, "Shop"), e.NewRP(t, "News")
		shopTok := shop.Login(p)
		e.Clock.Advance(time.Minute)
		start := e.Clock.Now()
		newsTok := news.Login(p)
		token := login(t, e, p)

		var all disclosuresBody
		call(t, e, http.MethodGet, "/v1/me/disclosures", token, nil).want(t, http.StatusOK).decode(t, &all)
		if len(all.Disclosures) != 2 || all.Disclosures[0].Platform != "News" || all.Disclosures[1].Platform != "Shop" ||
			!slices.Equal(all.Disclosures[0].Claims, []string{"age_over_18"}) || all.Disclosures[0].Kind != "authorization_code" {
			t.Fatalf("disclosures = %+v, want News then Shop, age_over_18 each", all)
		}
		filters := []struct {
			query string
			want  []string
		}{
			{"platform=" + shop.ClientID(), []string{"Shop"}},
			{"claim=age_over_18", []string{"News", "Shop"}},
			{"claim=name", nil},
			{"from=" + url.QueryEscape(start.Format(time.RFC3339Nano)), []string{"News"}},
			{"to=" + url.QueryEscape(start.Format(time.RFC3339Nano)), []string{"Shop"}},
			{"from=" + start.Add(-time.Minute).Format(time.DateOnly) + "&to=" + start.Format(time.DateOnly), []string{"News", "Shop"}},
			{"limit=1", []string{"News"}},
		}
		for _, f := range filters {
			var got disclosuresBody
			call(t, e, http.MethodGet, "/v1/me/disclosures?"+f.query, token, nil).want(t, http.StatusOK).decode(t, &got)
			var names []string
			for _, d := range got.Disclosures {
				names = append(names, d.Platform)
			}
			if !slices.Equal(names, f.want) {
				t.Errorf("disclosures?%s = %v, want %v", f.query, names, f.want)
			}
		}
		var first disclosuresBody
		call(t, e, http.MethodGet, "/v1/me/disclosures?limit=1", token, nil).want(t, http.StatusOK).decode(t, &first)
		if first.NextBefore == nil {
			t.Fatal("a full page without next_before")
		}
		var second disclosuresBody
		call(t, e, http.MethodGet, "/v1/me/disclosures?limit=1&before="+url.QueryEscape(first.NextBefore.Format(time.RFC3339Nano)),
			token, nil).want(t, http.StatusOK).decode(t, &second)
		if len(second.Disclosures) != 1 || second.Disclosures[0].Platform != "Shop" || second.NextBefore != nil {
			t.Errorf("second page = %+v, want Shop and no more", second)
		}
		for _, bad := range []string{"limit=0", "limit=1001", "limit=01", "claim=Not+A+Claim", "from=yesterday",
			"platform=a%20b", "colour=red", "claim=a&claim=b", "from=2025-09-02&to=2025-09-01"} {
			call(t, e, http.MethodGet, "/v1/me/disclosures?"+bad, token, nil).wantProblem(t, http.StatusBadRequest, "bad-request")
		}

		var consents struct {
			Consents []struct {
				ClientID string `json:"client_id"`
				Platform string `json:"platform"`
				Claims   []struct {
					Claim   string `json:"claim"`
					Purpose string `json:"purpose"`
					Granted bool   `json:"granted"`
				} `json:"claims"`
			} `json:"consents"`
		}
		call(t, e, http.MethodGet, "/v1/me/consents", token, nil).want(t, http.StatusOK).decode(t, &consents)
		if len(consents.Consents) != 2 || len(consents.Consents[0].Claims) != 1 || !consents.Consents[0].Claims[0].Granted ||
			consents.Consents[0].Claims[0].Purpose == "" {
			t.Fatalf("consents = %+v, want two, each granting age_over_18 with its purpose", consents)
		}

		if _, err := shop.Refresh(shopTok); err != nil {
			t.Fatalf("refresh before withdrawal: %v", err)
		}
		call(t, e, http.MethodDelete, "/v1/me/consents/"+shop.ClientID(), token, nil).want(t, http.StatusNoContent)
		call(t, e, http.MethodDelete, "/v1/me/consents/"+shop.ClientID(), token, nil).wantProblem(t, http.StatusNotFound, "not-found")
		if _, err := shop.Refresh(shopTok); err == nil {
			t.Error("the withdrawn platform's refresh token still works")
		}
		if _, err := news.Refresh(newsTok); err != nil {
			t.Errorf("the other platform's refresh token: %v", err)
		}
		call(t, e, http.MethodGet, "/v1/me/consents", token, nil).want(t, http.StatusOK).decode(t, &consents)
		if len(consents.Consents) != 1 || consents.Consents[0].ClientID != news.ClientID() {
			t.Errorf("consents after withdrawal = %+v, want News only", consents)
		}

		log := logEntries(t, e, p.ID)
		var granted, withdrawn []string
		for _, en := range log {
			switch en.Kind {
			case translog.KindConsentGranted:
				granted = append(granted, en.ClientID)
			case translog.KindConsentWithdrawn:
				withdrawn = append(withdrawn, en.ClientID)
				if !slices.Equal(en.Claims, []string{"age_over_18"}) {
					t.Errorf("consent-withdrawn claims %v, want age_over_18", en.Claims)
				}
			}
		}
		if !slices.Equal(granted, []string{shop.ClientID(), news.ClientID()}) || !slices.Equal(withdrawn, []string{shop.ClientID()}) {
			t.Errorf("log: granted %v, withdrawn %v; want both granted, Shop withdrawn", granted, withdrawn)
		}
		if !hasEntry(log, translog.KindDisclosure, "") {
			t.Error("the log has no disclosure")
		}
	})
}

// The resident lists and revokes their certificates; the revocation is in
// the log, and the wallet can no longer sign in.
func TestCertificates(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *residenttest.Env) {
		p := e.EnrolAdult(t)
		token := login(t, e, p)
		var certs struct {
			Certificates []struct {
				Serial           string `json:"serial"`
				Status           string `json:"status"`
				RevocationReason string `json:"revocation_reason"`
				CertificatePEM   string `json:"certificate_pem"`
			} `json:"certificates"`
		}
		call(t, e, http.MethodGet, "/v1/me/certificates", token, nil).want(t, http.StatusOK).decode(t, &certs)
		if len(certs.Certificates) != 1 || certs.Certificates[0].Status != "valid" || certs.Certificates[0].CertificatePEM == "" {
			t.Fatalf("certificates = %+v, want one valid", certs)
		}
		serial := certs.Certificates[0].Serial
		path := "/v1/me/certificates/" + serial + "/revoke"
		call(t, e, http.MethodPost, path, token, map[string]string{"reason": "superseded"}).wantProblem(t, http.StatusBadRequest, "bad-request")
		call(t, e, http.MethodPost, path, token, map[string]string{"reason": "no such reason"}).wantProblem(t, http.StatusBadRequest, "bad-request")
		call(t, e, http.MethodPost, path, token, map[string]string{"reason": "keyCompromise"}).want(t, http.StatusNoContent)
		call(t, e, http.MethodPost, path, token, nil).wantProblem(t, http.StatusConflict, "already-revoked")
		call(t, e, http.MethodGet, "/v1/me/certificates", token, nil).want(t, http.StatusOK).decode(t, &certs)
		if certs.Certificates[0].Status != "revoked" || certs.Certificates[0].RevocationReason != "keyCompromise" {
			t.Errorf("after revocation: %+v", certs.Certificates[0])
		}
		if !hasEntry(logEntries(t, e, p.ID), translog.KindCertificateRevoked, translog.EventRevokedKeyCompromise) {
			t.Error("no certificate-revoked entry in the log")
		}
		call(t, e, http.MethodPost, "/v1/me/sessions", "", map[string]string{"presentation": e.Presentation(t, p, challenge(t, e))}).
			wantProblem(t, http.StatusUnauthorized, "certificate-revoked")
	})
}

// Locking the password refuses password sign-ins at once, ends password
// sessions, leaves the wallet's sign-in, and is logged; unlocking restores.
func TestLocks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *residenttest.Env) {
		p := e.EnrolAdult(t)
		pwSession := login(t, e, p)
		wallet := walletLogin(t, e, p)
		type lock struct {
			Method string `json:"method"`
			Locked bool   `json:"locked"`
			Since  string `json:"since"`
		}
		var l lock
		call(t, e, http.MethodPut, "/v1/me/locks/password", wallet, nil).want(t, http.StatusOK).decode(t, &l)
		if !l.Locked || l.Method != "password" || l.Since == "" {
			t.Errorf("PUT lock = %+v", l)
		}
		call(t, e, http.MethodPut, "/v1/me/locks/password", wallet, nil).want(t, http.StatusOK)
		call(t, e, http.MethodGet, "/v1/me", pwSession, nil).wantProblem(t, http.StatusUnauthorized, "unauthenticated")
		call(t, e, http.MethodPost, "/v1/me/sessions", "", map[string]string{"username": string(p.InternetNumber), "password": p.Password}).
			wantProblem(t, http.StatusForbidden, "method-locked")
		call(t, e, http.MethodGet, "/v1/me/locks/password", wallet, nil).want(t, http.StatusOK).decode(t, &l)
		if !l.Locked {
			t.Error("GET lock: not locked")
		}
		call(t, e, http.MethodPut, "/v1/me/locks/account", wallet, nil).want(t, http.StatusOK)
		call(t, e, http.MethodPost, "/v1/me/sessions", "", map[string]string{"username": string(p.InternetNumber), "password": p.Password}).
			wantProblem(t, http.StatusForbidden, "account-locked")
		for _, m := range []string{"account", "password"} {
			call(t, e, http.MethodDelete, "/v1/me/locks/"+m, wallet, nil).want(t, http.StatusOK).decode(t, &l)
			if l.Locked {
				t.Errorf("DELETE lock %s: still locked", m)
			}
		}
		login(t, e, p)
		call(t, e, http.MethodPut, "/v1/me/locks/Password", wallet, nil).wantProblem(t, http.StatusNotFound, "not-found")

		var events []string
		for _, en := range logEntries(t, e, p.ID) {
			if en.Event == translog.EventMethodLocked || en.Event == translog.EventMethodUnlocked {
				events = append(events, string(en.Event)+" "+en.Ref)
			}
		}
		want := []string{"method-locked password", "method-locked account", "method-unlocked account", "method-unlocked password"}
		if !slices.Equal(events, want) {
			t.Errorf("lock events %v, want %v (the repeated lock changed nothing)", events, want)
		}
	})
}
