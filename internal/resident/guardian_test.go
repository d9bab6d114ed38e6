package resident_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/resident/residenttest"
)

// A guardian lists their minor, sees and manages the minor's account; each
// action is in the minor's history, naming the guardian; nobody else can;
// and on the minor's 18th birthday the control ends by itself (the
// service's clock moves on, nothing else happens).
func TestGuardian(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *residenttest.Env) {
		g := e.EnrolAdult(t)
		// 18 in two days.
		birth := document.NewDate(e.Clock.Now().AddDate(-18, 0, 2))
		m := e.EnrolWithIDCard(t, birth)
		if m.ApprovalCode == "" {
			t.Fatalf("a 17-year-old enrolled as %s without an approval code", m.Status)
		}
		e.Approve(t, g, m)
		stranger := e.EnrolAdult(t)
		shop := e.NewRP(t, "Shop")
		shop.Login(m)

		tg := login(t, e, g)
		var minors struct {
			Minors []struct {
				ID               string `json:"id"`
				InternetNumber   string `json:"internet_number"`
				GuardianshipEnds string `json:"guardianship_ends"`
			} `json:"minors"`
		}
		call(t, e, http.MethodGet, "/v1/me/minors", tg, nil).want(t, http.StatusOK).decode(t, &minors)
		wantEnd := document.NewDate(e.Clock.Now().AddDate(0, 0, 2)).String()
		if len(minors.Minors) != 1 || minors.Minors[0].ID != m.ID || minors.Minors[0].GuardianshipEnds != wantEnd {
			t.Fatalf("minors = %+v, want %s until %s", minors, m.ID, wantEnd)
		}
		base := "/v1/me/minors/" + m.ID
		var data struct {
			Account struct {
				InternetNumber string `json:"internet_number"`
			} `json:"account"`
			Identity struct {
				BirthDate string `json:"birth_date"`
			} `json:"identity"`
			Guardians []struct {
				InternetNumber    string `json:"internet_number"`
				EvidenceReference string `json:"evidence_reference"`
			} `json:"guardians"`
		}
		call(t, e, http.MethodGet, base, tg, nil).want(t, http.StatusOK).decode(t, &data)
		if data.Account.InternetNumber != string(m.InternetNumber) || data.Identity.BirthDate != birth.String() ||
			len(data.Guardians) != 1 || data.Guardians[0].InternetNumber != string(g.InternetNumber) ||
			data.Guardians[0].EvidenceReference != "HR-2025-0001" {
			t.Errorf("the minor's data = %+v", data)
		}
		call(t, e, http.MethodGet, base+"/disclosures", tg, nil).want(t, http.StatusOK)
		var consents struct {
			Consents []struct {
				ClientID string `json:"client_id"`
			} `json:"consents"`
		}
		call(t, e, http.MethodGet, base+"/consents", tg, nil).want(t, http.StatusOK).decode(t, &consents)
		if len(consents.Consents) != 1 || consents.Consents[0].ClientID != shop.ClientID() {
			t.Errorf("the minor's consents = %+v", consents)
		}
		call(t, e, http.MethodDelete, base+"/consents/"+shop.ClientID(), tg, nil).want(t, http.StatusNoContent)
		call(t, e, http.MethodGet, base+"/locks", tg, nil).want(t, http.StatusOK)
		call(t, e, http.MethodPut, base+"/locks/password", tg, nil).want(t, http.StatusOK)
		call(t, e, http.MethodPost, "/v1/me/sessions", "", map[string]string{"username": string(m.InternetNumber), "password": m.Password}).
			wantProblem(t, http.StatusForbidden, "method-locked")
		call(t, e, http.MethodDelete, base+"/locks/password", tg, nil).want(t, http.StatusOK)
		var certs struct {
			Certificates []struct {
				Serial string `json:"serial"`
			} `json:"certificates"`
		}
		call(t, e, http.MethodGet, base+"/certificates", tg, nil).want(t, http.StatusOK).decode(t, &certs)
		if len(certs.Certificates) != 1 {
			t.Fatalf("the minor's certificates = %+v", certs)
		}
		call(t, e, http.MethodPost, base+"/certificates/"+certs.Certificates[0].Serial+"/revoke", tg,
			map[string]string{"reason": "keyCompromise"}).want(t, http.StatusNoContent)

		// Nobody else: not a stranger, not the minor over the guardian,
		// and not the guardian on routes a guardian does not take.
		ts := login(t, e, stranger)
		call(t, e, http.MethodGet, base, ts, nil).wantProblem(t, http.StatusNotFound, "not-found")
		call(t, e, http.MethodPut, base+"/locks/account", ts, nil).wantProblem(t, http.StatusNotFound, "not-found")
		tm := login(t, e, m)
		call(t, e, http.MethodGet, "/v1/me/minors/"+g.ID, tm, nil).wantProblem(t, http.StatusNotFound, "not-found")
		call(t, e, http.MethodGet, base+"/history", tg, nil).wantProblem(t, http.StatusNotFound, "not-found")
		call(t, e, http.MethodDelete, base, tg, nil).want(t, http.StatusMethodNotAllowed)

		// The minor's history shows every action, naming the guardian.
		var h historyBody
		call(t, e, http.MethodGet, "/v1/me/history", tm, nil).want(t, http.StatusOK).decode(t, &h)
		audit, err := e.Log.Auditor()
		if err != nil {
			t.Fatal(err)
		}
		h.verify(t, audit)
		var acts []string
		for _, en := range h.Entries {
			switch {
			case en.Entry.Event == "guardian-viewed" || en.Entry.Event == "guardian-acted":
				if en.Guardian != string(g.InternetNumber) {
					t.Errorf("%s names guardian %q, want %s", en.Entry.Event, en.Guardian, g.InternetNumber)
				}
				acts = append(acts, en.Entry.Event)
			case en.Entry.Kind == "consent-withdrawn", en.Entry.Kind == "certificate-revoked",
				en.Entry.Event == "method-locked", en.Entry.Event == "method-unlocked":
				acts = append(acts, en.Entry.Kind+"/"+en.Entry.Event)
			}
		}
		want := []string{
			"guardian-viewed", "guardian-viewed", "guardian-viewed", // data, disclosures, consents
			"consent-withdrawn/", "guardian-acted",
			"guardian-viewed", // locks
			"account-event/method-locked", "guardian-acted",
			"account-event/method-unlocked", "guardian-acted",
			"guardian-viewed", // certificates
			"certificate-revoked/keyCompromise", "guardian-acted",
		}
		if !slices.Equal(acts, want) {
			t.Errorf("the minor's history:\n got %v\nwant %v", acts, want)
		}

		// The 18th birthday: the control ends, nothing was run.
		e.Clock.Advance(2 * 24 * time.Hour)
		tg = login(t, e, g)
		call(t, e, http.MethodGet, "/v1/me/minors", tg, nil).want(t, http.StatusOK).decode(t, &minors)
		if len(minors.Minors) != 0 {
			t.Errorf("minors on the 18th birthday = %+v, want none", minors)
		}
		call(t, e, http.MethodGet, base, tg, nil).wantProblem(t, http.StatusNotFound, "not-found")
		call(t, e, http.MethodPut, base+"/locks/password", tg, nil).wantProblem(t, http.StatusNotFound, "not-found")
		// The day before, it still held.
		e.Clock.Advance(-time.Second - time.Duration(e.Clock.Now().Hour())*time.Hour -
			time.Duration(e.Clock.Now().Minute())*time.Minute - time.Duration(e.Clock.Now().Second())*time.Second)
		tg = login(t, e, g)
		call(t, e, http.MethodGet, base, tg, nil).want(t, http.StatusOK)
	})
}
