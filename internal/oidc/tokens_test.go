package oidc_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/rp"
)

// postAsClient posts form to the provider's path with r's credentials
// (HTTP Basic) and returns the status and the decoded JSON body.
func postAsClient(t *testing.T, e *env, r *relyingParty, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.issuer+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(r.reg.ClientID), url.QueryEscape(r.secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// introspect asks the introspection endpoint about token as r.
func introspect(t *testing.T, e *env, r *relyingParty, token string) map[string]any {
	t.Helper()
	status, body := postAsClient(t, e, r, "/oidc/introspect", url.Values{"token": {token}})
	if status != http.StatusOK {
		t.Fatalf("introspection status %d, body %v", status, body)
	}
	return body
}

// revoke revokes token as r and returns the status.
func revoke(t *testing.T, e *env, r *relyingParty, token string) int {
	t.Helper()
	status, _ := postAsClient(t, e, r, "/oidc/revoke", url.Values{"token": {token}})
	return status
}

// TestRefreshRotation: a refresh token works once and is replaced; using
// an old one again is theft, and revokes the whole family.
func TestRefreshRotation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("杨洋", 27)
		r := e.newRP(rp.Registration{Sector: "refresh.example"})
		tok1, id1, _, _ := newBrowser(t).login(r, who, []string{"offline_access"}, allowAll)
		if tok1.RefreshToken == "" {
			t.Fatal("no refresh token for offline_access")
		}
		refresh := func(rt string) (*oauth2.Token, error) {
			return r.oauth.TokenSource(context.Background(), &oauth2.Token{RefreshToken: rt}).Token()
		}
		tok2, err := refresh(tok1.RefreshToken)
		if err != nil {
			t.Fatalf("first refresh error = %v", err)
		}
		if tok2.RefreshToken == "" || tok2.RefreshToken == tok1.RefreshToken || tok2.AccessToken == tok1.AccessToken {
			t.Fatal("refresh did not rotate the tokens")
		}
		id2, claims2 := r.idToken(tok2)
		if id2.Subject != id1.Subject || claims2["nonce"] != nil || claims2["acr"] != "low" {
			t.Errorf("refreshed ID token sub %q nonce %v acr %v, want sub %q, no nonce, acr low", id2.Subject,
				claims2["nonce"], claims2["acr"], id1.Subject)
		}
		if _, err := r.userinfo(tok2); err != nil {
			t.Errorf("userinfo with the refreshed access token error = %v", err)
		}

		_, err = refresh(tok1.RefreshToken)
		if got := retrieveErrorCode(err); got != "invalid_grant" {
			t.Fatalf("reused refresh token error = %v, want invalid_grant", err)
		}
		_, err = refresh(tok2.RefreshToken)
		if got := retrieveErrorCode(err); got != "invalid_grant" {
			t.Errorf("refresh with the rotated token after reuse error = %v, want invalid_grant (family revoked)", err)
		}
		for name, tok := range map[string]*oauth2.Token{"first": tok1, "second": tok2} {
			if got := introspect(t, e, r, tok.AccessToken); got["active"] != false {
				t.Errorf("%s access token after reuse: introspection %v, want inactive", name, got)
			}
		}
	})
}

// TestRevocationAndIntrospection covers RFC 7662 and RFC 7009: an RP sees
// its own active tokens, never another RP's; revoking an access token ends
// it alone, revoking a refresh token ends its grant.
func TestRevocationAndIntrospection(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("刘洋", 38)
		r := e.newRP(rp.Registration{Sector: "intro.example"})
		other := e.newRP(rp.Registration{Sector: "other.example"})
		b := newBrowser(t)
		tok, id, _, _ := b.login(r, who, []string{"offline_access"}, allowAll)

		got := introspect(t, e, r, tok.AccessToken)
		if got["active"] != true || got["sub"] != id.Subject || got["client_id"] != r.reg.ClientID ||
			got["token_type"] != "Bearer" || got["iss"] != e.issuer || got["acr"] != "low" {
			t.Errorf("introspection of an active access token = %v", got)
		}
		if got := introspect(t, e, r, tok.RefreshToken); got["active"] != true || got["token_type"] != "refresh_token" {
			t.Errorf("introspection of the refresh token = %v, want active refresh_token", got)
		}
		if got := introspect(t, e, other, tok.AccessToken); got["active"] != false || len(got) != 1 {
			t.Errorf("introspection by another RP = %v, want only active false", got)
		}
		if got := introspect(t, e, r, "no-such-token"); got["active"] != false {
			t.Errorf("introspection of garbage = %v, want inactive", got)
		}
		status, _ := postAsClient(t, e, &relyingParty{reg: r.reg, secret: "wrong"}, "/oidc/introspect", url.Values{"token": {tok.AccessToken}})
		if status != http.StatusUnauthorized {
			t.Errorf("introspection with a wrong secret: status %d, want 401", status)
		}

		if status := revoke(t, e, other, tok.AccessToken); status == http.StatusOK {
			t.Errorf("revocation of another RP's token: status %d, want refused", status)
		}
		if got := introspect(t, e, r, tok.AccessToken); got["active"] != true {
			t.Error("another RP's revocation attempt ended the token")
		}
		if status := revoke(t, e, r, tok.AccessToken); status != http.StatusOK {
			t.Errorf("revocation of the access token: status %d, want 200", status)
		}
		if got := introspect(t, e, r, tok.AccessToken); got["active"] != false {
			t.Errorf("revoked access token: introspection %v, want inactive", got)
		}
		if got := introspect(t, e, r, tok.RefreshToken); got["active"] != true {
			t.Errorf("refresh token after revoking only the access token: %v, want active", got)
		}
		if status := revoke(t, e, r, "no-such-token"); status != http.StatusOK {
			t.Errorf("revocation of an unknown token: status %d, want 200 (RFC 7009 section 2.2)", status)
		}

		tok2, _, _, _ := b.login(r, who, []string{"offline_access"}, allowAll)
		if status := revoke(t, e, r, tok2.RefreshToken); status != http.StatusOK {
			t.Errorf("revocation of the refresh token: status %d, want 200", status)
		}
		if got := introspect(t, e, r, tok2.AccessToken); got["active"] != false {
			t.Errorf("access token of a revoked refresh token's grant: %v, want inactive", got)
		}
		_, err := r.oauth.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token()
		if got := retrieveErrorCode(err); got != "invalid_grant" {
			t.Errorf("refresh with a revoked refresh token error = %v, want invalid_grant", err)
		}
	})
}

// TestJWKSRotation: after the token-signing key rotates, new ID tokens
// carry the new key id, and tokens signed before still verify through the
// JWKS, which lists both keys until the old one is retired.
func TestJWKSRotation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("黄磊", 44)
		r := e.newRP(rp.Registration{Sector: "jwks.example"})
		b := newBrowser(t)
		tok1, _, _, _ := b.login(r, who, nil, allowAll)
		old := keyID(t, tok1)

		fresh, err := e.keys.Rotate(context.Background(), keystore.TokenSigning)
		if err != nil {
			t.Fatal(err)
		}
		tok2, _, _, _ := b.login(r, who, nil, allowAll)
		if got := keyID(t, tok2); got != fresh.ID || got == old {
			t.Errorf("ID token after rotation has kid %q, want the new key %q", got, fresh.ID)
		}
		// A verifier that never saw either key fetches the JWKS and
		// verifies both tokens.
		p, err := gooidc.NewProvider(context.Background(), e.issuer)
		if err != nil {
			t.Fatal(err)
		}
		v := p.Verifier(&gooidc.Config{ClientID: r.reg.ClientID})
		for name, tok := range map[string]*oauth2.Token{"before rotation": tok1, "after rotation": tok2} {
			if _, err := v.Verify(context.Background(), tok.Extra("id_token").(string)); err != nil {
				t.Errorf("ID token %s: Verify() error = %v", name, err)
			}
		}
		resp, err := http.Get(e.issuer + "/oidc/jwks")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var set jose.JSONWebKeySet
		if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
			t.Fatal(err)
		}
		if len(set.Key(old)) != 1 || len(set.Key(fresh.ID)) != 1 {
			t.Errorf("JWKS has keys %v, want both %s and %s", kids(set), old, fresh.ID)
		}
		for _, k := range set.Keys {
			if k.Algorithm != "ES256" || k.Use != "sig" || !k.IsPublic() {
				t.Errorf("JWKS key %s: alg %s use %s public %v, want ES256 sig public", k.KeyID, k.Algorithm, k.Use, k.IsPublic())
			}
		}
	})
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// keyID returns the kid of tok's ID token.
func keyID(t *testing.T, tok *oauth2.Token) string {
	t.Helper()
	jws, err := jose.ParseSigned(tok.Extra("id_token").(string), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Header.KeyID
}

// TestLogout: RP-initiated logout with an ID token hint ends the session
// and returns to the registered post-logout URI with the state; an
// unregistered URI is refused without redirecting; without a hint the
// resident confirms first.
func TestLogout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		who := e.enrolResident("徐静", 36)
		r := e.newRP(rp.Registration{Sector: "logout.example"})
		b := newBrowser(t)
		tok, _, _, _ := b.login(r, who, nil, allowAll)
		hint := tok.Extra("id_token").(string)
		bye := r.server.URL + "/bye"

		end := func(q url.Values) page { return b.get(e.issuer + "/oidc/end_session?" + q.Encode()) }
		if p := end(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {bye + "/x"}}); p.status != http.StatusBadRequest || p.location != "" {
			t.Errorf("unregistered post_logout_redirect_uri: status %d Location %q, want 400 and no redirect", p.status, p.location)
		}
		if p := end(url.Values{"id_token_hint": {hint + "x"}, "post_logout_redirect_uri": {bye}}); p.status != http.StatusBadRequest || p.location != "" {
			t.Errorf("forged id_token_hint: status %d Location %q, want 400 and no redirect", p.status, p.location)
		}
		p := end(url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {bye}, "state": {"s-123"}})
		if want := bye + "?state=s-123"; p.location != want {
			t.Errorf("logout redirect = %q, want %q", p.location, want)
		}
		f := b.run(r, r.authorize(nil).url, who, allowAll)
		if len(f.paths) == 0 || f.paths[0] != "/login" {
			t.Errorf("after logout pages = %v, want the login page", f.paths)
		}

		// Without a hint: a confirmation page, then the logout.
		p = end(url.Values{"client_id": {r.reg.ClientID}, "post_logout_redirect_uri": {bye}, "state": {"s-456"}})
		confirm, err := p.url.Parse(p.location)
		if err != nil || confirm.Path != "/logout" {
			t.Fatalf("logout without hint redirected to %q, want the confirmation page", p.location)
		}
		confirmPage := b.get(confirm.String())
		fields := parseForm(confirmPage).hidden
		if fields.Get("csrf") == "" {
			t.Fatalf("confirmation page has no form:\n%s", confirmPage.body)
		}
		done := b.post(e.issuer+"/logout", fields)
		if want := bye + "?state=s-456"; done.location != want {
			t.Errorf("confirmed logout redirect = %q, want %q", done.location, want)
		}
		f = b.run(r, r.authorize(nil).url, who, allowAll)
		if len(f.paths) == 0 || f.paths[0] != "/login" {
			t.Errorf("after the confirmed logout pages = %v, want the login page", f.paths)
		}
	})
}
