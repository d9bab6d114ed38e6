package oidc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
)

// TestCodeFlow runs the whole authorization code flow with a real RP: the
// ID token verifies with go-oidc (signature, issuer, audience, expiry), the
// nonce comes back, acr and amr say how the resident logged in, the
// authorization response carries iss (RFC 9207), userinfo answers, and the
// login is recorded as a disclosure.
func TestCodeFlow(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("王小明", 30)
		r := e.newRP(rp.Registration{Sector: "shop.example"})
		b := newBrowser(t)
		tok, id, claims, f := b.login(r, who, nil, allowAll)

		if got := f.callback.Get("iss"); got != e.issuer {
			t.Errorf("authorization response iss = %q, want %q", got, e.issuer)
		}
		if diff := cmp.Diff([]string{"/login"}, f.paths); diff != "" {
			t.Errorf("pages visited mismatch (-want +got):\n%s", diff)
		}
		if got := claims["acr"]; got != "low" {
			t.Errorf("acr = %v, want low", got)
		}
		if diff := cmp.Diff([]any{"pwd"}, claims["amr"]); diff != "" {
			t.Errorf("amr mismatch (-want +got):\n%s", diff)
		}
		if id.Subject == "" || id.Subject == who.number || strings.Contains(id.Subject, who.number) {
			t.Errorf("sub = %q, want a pairwise subject unrelated to the internet number %q", id.Subject, who.number)
		}
		for _, c := range []string{"internet_number", "name", "birthdate", "age_over_18"} {
			if _, ok := claims[c]; ok {
				t.Errorf("ID token has claim %s, want result only", c)
			}
		}
		if tok.RefreshToken != "" {
			t.Errorf("refresh token issued without offline_access")
		}
		ui, err := r.userinfo(tok)
		if err != nil {
			t.Fatalf("userinfo error = %v", err)
		}
		if diff := cmp.Diff(map[string]any{"sub": id.Subject}, ui); diff != "" {
			t.Errorf("userinfo mismatch (-want +got):\n%s", diff)
		}

		ds, err := e.store.DisclosuresOf(context.Background(), who.id, time.Time{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].ClientID != r.reg.ClientID || ds[0].ACR != enrol.AssuranceLow ||
			ds[0].Kind != oidc.DisclosureCode || len(ds[0].Claims) != 0 {
			t.Errorf("disclosures = %+v, want one result-only authorization_code disclosure to %s at low", ds, r.reg.ClientID)
		}

		// Single sign-on: the same browser is not asked again.
		_, id2, _, f2 := b.login(r, who, nil, allowAll)
		if len(f2.paths) != 0 {
			t.Errorf("second login visited %v, want no page (single sign-on)", f2.paths)
		}
		if id2.Subject != id.Subject {
			t.Errorf("second login sub = %q, want %q", id2.Subject, id.Subject)
		}
	})
}

// TestDiscovery checks the discovery document RPs configure themselves
// from.
func TestDiscovery(t *testing.T) {
	e := newEnv(t, "sqlite")
	resp, err := http.Get(e.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"issuer":                                e.issuer,
		"authorization_endpoint":                e.issuer + "/oidc/authorize",
		"token_endpoint":                        e.issuer + "/oidc/token",
		"userinfo_endpoint":                     e.issuer + "/oidc/userinfo",
		"jwks_uri":                              e.issuer + "/oidc/jwks",
		"revocation_endpoint":                   e.issuer + "/oidc/revoke",
		"introspection_endpoint":                e.issuer + "/oidc/introspect",
		"end_session_endpoint":                  e.issuer + "/oidc/end_session",
		"response_types_supported":              []any{"code"},
		"code_challenge_methods_supported":      []any{"S256"},
		"id_token_signing_alg_values_supported": []any{"ES256"},
		"subject_types_supported":               []any{"pairwise"},
		"acr_values_supported":                  []any{"low", "substantial"},
		"device_authorization_endpoint":         e.issuer + "/oidc/device_authorization",
		"grant_types_supported": []any{"authorization_code", "refresh_token",
			"urn:ietf:params:oauth:grant-type:device_code"},
		"authorization_response_iss_parameter_supported": true,
		"request_uri_parameter_supported":                false,
	}
	for k, v := range want {
		if diff := cmp.Diff(v, doc[k]); diff != "" {
			t.Errorf("discovery %s mismatch (-want +got):\n%s", k, diff)
		}
	}
	scopes, _ := doc["scopes_supported"].([]any)
	for _, s := range []string{"openid", "offline_access", "internet_number", "age_over_18"} {
		if !slices.Contains(scopes, any(s)) {
			t.Errorf("scopes_supported = %v, want %s in it", scopes, s)
		}
	}
}
