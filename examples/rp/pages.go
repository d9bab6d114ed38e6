package main

import (
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// result is what the platform learned from one login.
type result struct {
	Subject  string
	ACR      string
	AMR      []string
	AuthTime string
	// Claims are the released claims beyond the protocol's own, from the
	// ID token and userinfo (userinfo wins: it is read fresh).
	Claims       map[string]string
	RefreshToken bool
}

// protocolClaims are the ID token claims every login carries; the rest
// are claims the resident consented to release.
var protocolClaims = []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "at_hash", "sid", "c_hash"}

func newResult(idt *oidc.IDToken, idClaims, uiClaims map[string]any, refresh bool) result {
	res := result{Subject: idt.Subject, Claims: map[string]string{}, RefreshToken: refresh}
	res.ACR, _ = idClaims["acr"].(string)
	if amr, ok := idClaims["amr"].([]any); ok {
		for _, m := range amr {
			res.AMR = append(res.AMR, fmt.Sprint(m))
		}
	}
	if t, ok := idClaims["auth_time"].(float64); ok {
		res.AuthTime = time.Unix(int64(t), 0).UTC().Format(time.RFC3339)
	}
	for _, src := range []map[string]any{idClaims, uiClaims} {
		for k, v := range src {
			if !slices.Contains(protocolClaims, k) {
				res.Claims[k] = fmt.Sprint(v)
			}
		}
	}
	return res
}

// claimNames lists the released claims' names (never their values), for
// the log.
func (r result) claimNames() []string {
	var names []string
	for k := range r.Claims {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// html/template escapes every value: claims are outside data.
var (
	homePage = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Example platform</title>
<h1>Example platform</h1>
<p><a href="/login">Log in with netid</a></p>
</html>
`))
	resultPage = template.Must(template.New("result").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Example platform</title>
<h1>Example platform</h1>
<p>You were verified by netid. This is all the platform learned:</p>
<table>
<tr><th scope="row">pairwise subject (sub)</th><td><code id="sub">{{.Subject}}</code></td></tr>
<tr><th scope="row">assurance level (acr)</th><td id="acr">{{.ACR}}</td></tr>
<tr><th scope="row">methods (amr)</th><td>{{range .AMR}}{{.}} {{end}}</td></tr>
<tr><th scope="row">logged in at (auth_time)</th><td>{{.AuthTime}}</td></tr>
{{range $k, $v := .Claims}}<tr><th scope="row">{{$k}}</th><td>{{$v}}</td></tr>
{{end}}<tr><th scope="row">refresh token</th><td>{{if .RefreshToken}}received (offline_access){{else}}none{{end}}</td></tr>
</table>
<p><a href="/logout">Log out</a></p>
</html>
`))
	errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Login refused</title>
<h1>Login refused</h1>
<p>Error: <code id="error">{{.Code}}</code></p>
<p>{{.Description}}</p>
<p><a href="/">Start again</a></p>
</html>
`))
)

// render writes a page.
func render(w http.ResponseWriter, status int, t *template.Template, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}
