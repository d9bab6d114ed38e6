package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/netid/netid/internal/admin"
	"github.com/netid/netid/internal/rp"
)

// rpBody is a registration as the admin API takes it.
func rpBody(name string) map[string]any {
	return map[string]any{
		"name":          name,
		"redirect_uris": []string{"https://shop.example/cb"},
		"approved_claims": []map[string]string{
			{"claim": "age_over_18", "purpose": "to sell age-restricted goods"},
		},
		"min_acr": "substantial",
	}
}

// createdRP is the answer to POST /admin/v1/rps.
type createdRP struct {
	ClientID     string       `json:"client_id"`
	ClientSecret string       `json:"client_secret"`
	RelyingParty admin.RPView `json:"relying_party"`
}

// TestAPIRelyingParties drives every relying-party route over HTTP and
// checks the registry and the audit trail after each.
func TestAPIRelyingParties(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var created createdRP
		r := e.call(http.MethodPost, "/admin/v1/rps", rpBody("Example Shop"))
		r.decode(t, http.StatusCreated, &created)
		if r.header.Get("Location") != "/admin/v1/rps/"+created.ClientID {
			t.Errorf("Location = %q", r.header.Get("Location"))
		}
		id := created.ClientID
		stored, err := e.rps.Get(ctx, id)
		if err != nil || !stored.SecretMatches(created.ClientSecret) || stored.Sector != "shop.example" ||
			created.RelyingParty.Sector != "shop.example" || created.RelyingParty.Status != "active" {
			t.Fatalf("after create: stored %+v (%v), answer %+v; want the RP with the secret", stored, err, created)
		}
		e.wantAudit("alice", admin.ActionRPCreate, id, admin.OutcomeOK)

		var got admin.RPView
		e.call(http.MethodGet, "/admin/v1/rps/"+id, nil).decode(t, http.StatusOK, &got)
		if got.Name != "Example Shop" || got.MinACR != "substantial" || len(got.ApprovedClaims) != 1 {
			t.Errorf("GET = %+v", got)
		}
		if strings.Contains(string(e.call(http.MethodGet, "/admin/v1/rps/"+id, nil).body), "secret") {
			t.Error("GET shows something of the secret")
		}

		// PUT replaces the registration; an empty sector keeps it.
		upd := rpBody("Example Shop (new)")
		upd["redirect_uris"] = []string{"https://shop.example/cb", "https://shop.example/cb2"}
		e.call(http.MethodPut, "/admin/v1/rps/"+id, upd).decode(t, http.StatusOK, &got)
		if got.Name != "Example Shop (new)" || len(got.RedirectURIs) != 2 || got.Sector != "shop.example" || got.Version != 2 {
			t.Errorf("PUT = %+v, want the new name and URIs, the same sector, version 2", got)
		}
		e.wantAudit("alice", admin.ActionRPUpdate, id, admin.OutcomeOK)
		// With a stale version, the update is a conflict and changes nothing.
		upd["version"], upd["name"] = 1, "Lost update"
		r = e.call(http.MethodPut, "/admin/v1/rps/"+id, upd)
		if p := r.problem(t); r.status != http.StatusConflict {
			t.Errorf("PUT with a stale version = %d %s, want 409", r.status, p.Type)
		}
		e.wantAudit("alice", admin.ActionRPUpdate, id, admin.OutcomeConflict)
		// A new sector is refused.
		upd["version"], upd["sector"] = 2, "other.example"
		r = e.call(http.MethodPut, "/admin/v1/rps/"+id, upd)
		if p := r.problem(t); r.status != http.StatusBadRequest || !strings.Contains(p.Detail, "cannot change") {
			t.Errorf("PUT with a new sector = %d %+v, want 400 saying the sector cannot change", r.status, p)
		}
		if cur, _ := e.rps.Get(ctx, id); cur.Name != "Example Shop (new)" || cur.Version != 2 {
			t.Errorf("after refused updates: %+v, want version 2 unchanged", cur)
		}

		e.call(http.MethodPost, "/admin/v1/rps/"+id+"/suspend", nil).decode(t, http.StatusOK, &got)
		if cur, _ := e.rps.Get(ctx, id); got.Status != "suspended" || cur.Active() {
			t.Errorf("suspend: answer %s, stored active %v; want suspended", got.Status, cur.Active())
		}
		e.wantAudit("alice", admin.ActionRPSuspend, id, admin.OutcomeOK)
		e.call(http.MethodPost, "/admin/v1/rps/"+id+"/activate", "{}").decode(t, http.StatusOK, &got)
		if cur, _ := e.rps.Get(ctx, id); got.Status != "active" || !cur.Active() {
			t.Errorf("activate: answer %s, stored active %v; want active", got.Status, cur.Active())
		}
		e.wantAudit("alice", admin.ActionRPActivate, id, admin.OutcomeOK)

		var creds admin.ClientCredentials
		e.call(http.MethodPost, "/admin/v1/rps/"+id+"/rotate-secret", nil).decode(t, http.StatusOK, &creds)
		cur, _ := e.rps.Get(ctx, id)
		if creds.ClientID != id || cur.SecretMatches(created.ClientSecret) || !cur.SecretMatches(creds.ClientSecret) {
			t.Errorf("rotate-secret: old matches %v, new matches %v; want only the new one",
				cur.SecretMatches(created.ClientSecret), cur.SecretMatches(creds.ClientSecret))
		}
		e.wantAudit("alice", admin.ActionRPRotateSecret, id, admin.OutcomeOK)
		for _, rec := range e.audit() {
			if strings.Contains(rec.Detail, creds.ClientSecret) || strings.Contains(rec.Detail, created.ClientSecret) {
				t.Errorf("audit record %s holds a client secret", rec.ID)
			}
		}

		// List, with paging.
		e.call(http.MethodPost, "/admin/v1/rps", rpBody("Second Shop")).decode(t, http.StatusCreated, nil)
		var page struct {
			RPs  []admin.RPView `json:"rps"`
			Next string         `json:"next"`
		}
		e.call(http.MethodGet, "/admin/v1/rps?limit=1", nil).decode(t, http.StatusOK, &page)
		if len(page.RPs) != 1 || page.Next == "" {
			t.Fatalf("first page = %+v, want one RP and a next", page)
		}
		first := page.RPs[0].ClientID
		e.call(http.MethodGet, "/admin/v1/rps?limit=1&after="+page.Next, nil).decode(t, http.StatusOK, &page)
		if len(page.RPs) != 1 || page.RPs[0].ClientID == first {
			t.Errorf("second page = %+v, want the other RP", page)
		}

		// Unknown ids are 404 and audited as such.
		for _, path := range []string{"/suspend", "/activate", "/rotate-secret"} {
			r := e.call(http.MethodPost, "/admin/v1/rps/rp-none"+path, nil)
			if p := r.problem(t); r.status != http.StatusNotFound {
				t.Errorf("POST %s on an unknown RP = %d %s, want 404", path, r.status, p.Type)
			}
		}
		e.wantAudit("alice", admin.ActionRPRotateSecret, "rp-none", admin.OutcomeNotFound)
		if r := e.call(http.MethodGet, "/admin/v1/rps/rp-none", nil); r.status != http.StatusNotFound {
			t.Errorf("GET unknown = %d, want 404", r.status)
		}
	})
}

// TestAPIRelyingPartyRefusals: bad input is a 4xx problem, nothing is
// registered, and a refused registration is audited.
func TestAPIRelyingPartyRefusals(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		invalid := rpBody("Bad")
		invalid["redirect_uris"] = []string{"http://shop.example/cb"}
		invalid["approved_claims"] = []map[string]string{{"claim": "shoe_size", "purpose": "why not"}}
		invalid["min_acr"] = "extreme"
		tests := []struct {
			name        string
			method      string
			path        string
			contentType string
			body        string
			status      int
			typ         string
			detail      []string
		}{
			{"invalid registration", "POST", "/admin/v1/rps", "application/json", mustJSON(t, invalid), 400, "invalid-request",
				[]string{"http://shop.example/cb", "shoe_size", "extreme"}},
			{"unknown member", "POST", "/admin/v1/rps", "application/json", `{"name":"x","colour":"red"}`, 400, "bad-request", []string{`"colour"`}},
			{"duplicate member", "POST", "/admin/v1/rps", "application/json", `{"name":"x","name":"y"}`, 400, "bad-request", []string{`"name" appears twice`}},
			{"nested duplicate", "POST", "/admin/v1/rps", "application/json",
				`{"name":"x","approved_claims":[{"claim":"name","claim":"name"}]}`, 400, "bad-request", []string{"approved_claims[]"}},
			{"trailing data", "POST", "/admin/v1/rps", "application/json", `{"name":"x"} {}`, 400, "bad-request", []string{"after the JSON object"}},
			{"not an object", "POST", "/admin/v1/rps", "application/json", `["x"]`, 400, "bad-request", []string{"JSON object"}},
			{"wrong type", "POST", "/admin/v1/rps", "application/json", `{"name":5}`, 400, "bad-request", []string{"name"}},
			{"syntax", "POST", "/admin/v1/rps", "application/json", `{"name":`, 400, "bad-request", nil},
			{"empty", "POST", "/admin/v1/rps", "application/json", ``, 400, "bad-request", []string{"empty"}},
			{"not UTF-8", "POST", "/admin/v1/rps", "application/json", "{\"name\":\"\xff\"}", 400, "bad-request", []string{"UTF-8"}},
			{"form body", "POST", "/admin/v1/rps", "application/x-www-form-urlencoded", `name=x`, 415, "unsupported-media-type", nil},
			{"version on create", "POST", "/admin/v1/rps", "application/json", mustJSON(t, map[string]any{"name": "x", "version": 3}), 400, "bad-request", []string{"version"}},
			{"too large", "POST", "/admin/v1/rps", "application/json", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "body-too-large", nil},
			{"body on suspend", "POST", "/admin/v1/rps/rp-x/suspend", "application/json", `{"now":true}`, 400, "bad-request", []string{`"now"`}},
			{"unknown query parameter", "GET", "/admin/v1/rps?limt=5", "", "", 400, "bad-request", []string{"limt"}},
			{"bad limit", "GET", "/admin/v1/rps?limit=0", "", "", 400, "bad-request", []string{"limit"}},
			{"repeated parameter", "GET", "/admin/v1/rps?limit=1&limit=2", "", "", 400, "bad-request", []string{"2 times"}},
			{"wrong method", "DELETE", "/admin/v1/rps", "", "", 405, "method-not-allowed", nil},
			{"query on an action", "POST", "/admin/v1/rps?dry_run=1", "application/json", `{}`, 400, "bad-request", []string{"no query parameters"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req, err := http.NewRequest(tt.method, e.server.URL+tt.path, strings.NewReader(tt.body))
				if err != nil {
					t.Fatal(err)
				}
				if tt.contentType != "" {
					req.Header.Set("Content-Type", tt.contentType)
				}
				req.Header.Set("Authorization", "Bearer "+e.token)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				r := readResponse(t, res)
				p := r.problem(t)
				if r.status != tt.status || p.Type != "urn:netid:problem:"+tt.typ {
					t.Errorf("%d %s (%s), want %d %s", r.status, p.Type, p.Detail, tt.status, tt.typ)
				}
				for _, want := range tt.detail {
					if !strings.Contains(p.Detail, want) {
						t.Errorf("detail %q lacks %q", p.Detail, want)
					}
				}
			})
		}
		if rs, err := e.rps.List(ctx, "", 10); err != nil || len(rs) != 0 {
			t.Errorf("registry after refusals: %d RPs, %v; want none", len(rs), err)
		}
		// The refused registration is in the audit trail with its reasons;
		// malformed requests never reached an action.
		var refused []admin.AuditRecord
		for _, rec := range e.audit() {
			if rec.Action == admin.ActionRPCreate {
				refused = append(refused, rec)
			}
		}
		if len(refused) != 1 || refused[0].Outcome != admin.OutcomeInvalid || !strings.Contains(refused[0].Detail, "shoe_size") {
			t.Errorf("rp.create audit records = %+v, want one invalid with the reason", refused)
		}
		// Register an RP to refuse an update that breaks the rules.
		rpv, _, err := e.svc.CreateRP(ctx, operator, rp.Registration{Name: "Ok", RedirectURIs: []string{"https://ok.example/cb"}})
		if err != nil {
			t.Fatal(err)
		}
		bad := rpBody("Ok")
		bad["redirect_uris"] = []string{}
		r := e.call(http.MethodPut, "/admin/v1/rps/"+rpv.ClientID, bad)
		if p := r.problem(t); r.status != http.StatusBadRequest || !strings.Contains(p.Detail, "redirect URI") {
			t.Errorf("PUT without redirect URIs = %d %s", r.status, p.Detail)
		}
		if cur, _ := e.rps.Get(ctx, rpv.ClientID); cur.Version != 1 || len(cur.RedirectURIs) != 1 {
			t.Errorf("after a refused update: %+v, want it unchanged", cur)
		}
	})
}
