package wallet_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/wallet"
)

func TestParseApprovalRef(t *testing.T) {
	tests := []struct {
		in      string
		want    wallet.ApprovalRef
		wantErr bool
	}{
		{"K7QM-3XWD", wallet.ApprovalRef{Code: "K7QM3XWD"}, false},
		{" k7qm 3xwd\n", wallet.ApprovalRef{Code: "K7QM3XWD"}, false},
		{"https://id.example/approve/K7QM3XWD", wallet.ApprovalRef{Code: "K7QM3XWD", Server: "https://id.example"}, false},
		{"https://id.example/approve/K7QM-3XWD/", wallet.ApprovalRef{Code: "K7QM3XWD", Server: "https://id.example"}, false},
		{"http://127.0.0.1:8080/device?user_code=K7QM-3XWD", wallet.ApprovalRef{Code: "K7QM3XWD", Server: "http://127.0.0.1:8080"}, false},
		{"https://ID.example:443/device/?user_code=k7qm3xwd", wallet.ApprovalRef{Code: "K7QM3XWD", Server: "https://ID.example:443"}, false},
		{"K7QM-3XW", wallet.ApprovalRef{}, true},
		{"K0QM-3XWD", wallet.ApprovalRef{}, true},
		{"https://id.example/approve/", wallet.ApprovalRef{}, true},
		{"https://id.example/approve/K7QM3XWD?x=1", wallet.ApprovalRef{}, true},
		{"https://id.example/device?user_code=K7QM3XWD&user_code=K7QM3XWD", wallet.ApprovalRef{}, true},
		{"https://id.example/device?user_code=K7QM3XWD&next=evil", wallet.ApprovalRef{}, true},
		{"https://id.example/elsewhere/K7QM3XWD", wallet.ApprovalRef{}, true},
		{"https://user@id.example/approve/K7QM3XWD", wallet.ApprovalRef{}, true},
		{"https://id.example/approve/K7QM3XWD#frag", wallet.ApprovalRef{}, true},
		{"ftp://id.example/approve/K7QM3XWD", wallet.ApprovalRef{}, true},
		{"", wallet.ApprovalRef{}, true},
	}
	for _, tt := range tests {
		got, err := wallet.ParseApprovalRef(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseApprovalRef(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, wallet.ErrApprovalRef) {
			t.Errorf("ParseApprovalRef(%q) error = %v, want ErrApprovalRef", tt.in, err)
		}
	}
}

// FuzzParseApprovalRef: a reference either is refused or yields a code of
// 8 symbols that parses back to itself, and a server that is an http(s)
// base URL without path, query or fragment.
func FuzzParseApprovalRef(f *testing.F) {
	for _, s := range []string{"K7QM-3XWD", "https://id.example/approve/K7QM3XWD", "http://[::1]:8080/device?user_code=K7QM-3XWD",
		"https://id.example/device?user_code=%4B7QM3XWD", "https://id.example/approve/%2e%2e", "://", "https:///approve/AAAAAAAA",
		"http://h/device?user_code=AAAA-AAAA;x=1", "ＫＫＫＫ-ＫＫＫＫ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := wallet.ParseApprovalRef(s)
		if err != nil {
			if !errors.Is(err, wallet.ErrApprovalRef) {
				t.Fatalf("ParseApprovalRef(%q) error = %v, not ErrApprovalRef", s, err)
			}
			return
		}
		again, err := wallet.ParseApprovalRef(ref.Display())
		if err != nil || again.Code != ref.Code {
			t.Fatalf("ParseApprovalRef(%q) = %+v, whose display %q does not parse back (%v)", s, ref, ref.Display(), err)
		}
		if ref.Server != "" {
			if _, err := wallet.NewClient(ref.Server); err != nil {
				t.Fatalf("ParseApprovalRef(%q) server %q is not a server URL: %v", s, ref.Server, err)
			}
			if strings.ContainsAny(ref.Server[len("https://"):], "/?#") {
				t.Fatalf("ParseApprovalRef(%q) server %q has a path, query or fragment", s, ref.Server)
			}
		}
	})
}

// providerServer serves the OpenID provider over the test server's
// enrolment service and store, as serve does, with a one-second poll
// interval; it returns the issuer.
func (s *testServer) providerServer() string {
	s.t.Helper()
	var handler http.Handler
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	issuer := "http://" + srv.Listener.Addr().String()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	prov, err := oidc.NewProvider(oidc.Config{Issuer: issuer, ClientCacheTTL: -1, DevicePollInterval: time.Second},
		oidc.Deps{Store: s.Store, RPs: s.Store, Keys: s.Keys, Residents: s.Service, Suite: s.Suite, CA: s.CA},
		oidc.WithClock(s.Clock.Now), oidc.WithLogger(quiet),
		oidc.WithClientAddr(func(r *http.Request) string { return httpapi.ClientAddrFrom(r.Context()) }))
	if err != nil {
		s.t.Fatal(err)
	}
	h := httpapi.New(httpapi.DefaultConfig(), quiet)
	for pattern, rt := range prov.Routes() {
		h.Handle(pattern, rt)
	}
	handler = h
	srv.Start()
	s.t.Cleanup(srv.Close)
	return issuer
}

// TestApproveDeviceLogin: a platform starts a QR login with x/oauth2; the
// wallet parses the verification URI, shows what is asked and approves
// with its device key, allowing one claim; the platform's poll gets tokens
// at substantial with that claim only. The approval cannot be answered
// twice, a denial reaches the platform as access_denied, and answers that
// do not fit are refused before anything is signed. On both suites: the
// sm server's wallets sign with SM2.
func TestApproveDeviceLogin(t *testing.T) {
	for _, name := range []suite.Name{suite.Intl, suite.SM} {
		t.Run(string(name), func(t *testing.T) {
			ctx := context.Background()
			ts := newTestServer(t, string(name))
			w, _ := ts.enrolAdult(name, "E70000001", 71, "+8613800138071")
			issuer := ts.providerServer()
			reg, secret, err := rp.NewService(ts.Store).Create(ctx, rp.Registration{Name: "Living-room TV",
				RedirectURIs: []string{"https://tv.example/cb"}, Sector: "tv.example",
				ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: "to show films rated 18"},
					{Claim: rp.ClaimName, Purpose: "to greet you"}}})
			if err != nil {
				t.Fatal(err)
			}
			provider, err := gooidc.NewProvider(ctx, issuer)
			if err != nil {
				t.Fatal(err)
			}
			cfg := &oauth2.Config{ClientID: reg.ClientID, ClientSecret: secret, Endpoint: provider.Endpoint(),
				Scopes: []string{gooidc.ScopeOpenID, "age_over_18", "name"}}
			da, err := cfg.DeviceAuth(ctx, oauth2.SetAuthURLParam("client_secret", secret))
			if err != nil {
				t.Fatalf("DeviceAuth error = %v", err)
			}

			ref, err := wallet.ParseApprovalRef(da.VerificationURIComplete)
			if err != nil {
				t.Fatal(err)
			}
			c, err := wallet.NewClient(issuer)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := wallet.FetchApproval(ctx, ts.client(), ref); !errors.Is(err, wallet.ErrApprovalServer) {
				t.Errorf("FetchApproval through another server's client: %v, want ErrApprovalServer", err)
			}
			a, err := wallet.FetchApproval(ctx, c, ref)
			if err != nil {
				t.Fatalf("FetchApproval error = %v", err)
			}
			if a.Kind != wallet.ApprovalKindDevice || a.RPName != "Living-room TV" || a.Level != "substantial" ||
				len(a.Claims) != 2 || a.Claims[1].Claim != "age_over_18" || a.Claims[1].Purpose != "to show films rated 18" ||
				!a.Claims[0].Identity {
				t.Errorf("FetchApproval = %+v, want the TV's device sign-in asking for name and age_over_18", a)
			}
			misfits := []wallet.ApproveOptions{
				{Allow: []string{"nationality"}},
				{Deny: true, Allow: []string{"age_over_18"}},
			}
			for _, o := range misfits {
				if _, err := wallet.Answer(ctx, w, c, ref, a, o, ts.Clock.Now()); !errors.Is(err, wallet.ErrApprovalAnswer) {
					t.Errorf("Answer(%+v) error = %v, want ErrApprovalAnswer", o, err)
				}
			}
			res, err := wallet.Answer(ctx, w, c, ref, a, wallet.ApproveOptions{Allow: []string{"age_over_18"}}, ts.Clock.Now())
			if err != nil {
				t.Fatalf("Answer error = %v", err)
			}
			if res.Status != "approved" || !slices.Equal(res.Released, []string{"age_over_18"}) {
				t.Errorf("Answer = %+v, want approved releasing age_over_18", res)
			}
			if _, err := wallet.Answer(ctx, w, c, ref, a, wallet.ApproveOptions{}, ts.Clock.Now()); !errors.Is(err, wallet.ErrApprovalDecided) {
				t.Errorf("second Answer error = %v, want ErrApprovalDecided", err)
			}

			ts.Clock.Advance(time.Minute)
			tok, err := cfg.DeviceAccessToken(ctx, da)
			if err != nil {
				t.Fatalf("DeviceAccessToken error = %v", err)
			}
			raw, _ := tok.Extra("id_token").(string)
			id, err := provider.Verifier(&gooidc.Config{ClientID: reg.ClientID}).Verify(ctx, raw)
			if err != nil {
				t.Fatalf("ID token: %v", err)
			}
			var claims struct {
				ACR       string   `json:"acr"`
				AMR       []string `json:"amr"`
				AgeOver18 *bool    `json:"age_over_18"`
				Name      *string  `json:"name"`
			}
			if err := id.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			if claims.ACR != "substantial" || !slices.Equal(claims.AMR, []string{"swk"}) || claims.AgeOver18 == nil ||
				!*claims.AgeOver18 || claims.Name != nil {
				t.Errorf("ID token claims %+v, want substantial, [swk], age_over_18 true and no name", claims)
			}

			// A denial.
			da2, err := cfg.DeviceAuth(ctx, oauth2.SetAuthURLParam("client_secret", secret))
			if err != nil {
				t.Fatal(err)
			}
			ref2, err := wallet.ParseApprovalRef(da2.UserCode)
			if err != nil {
				t.Fatal(err)
			}
			a2, err := wallet.FetchApproval(ctx, c, ref2)
			if err != nil {
				t.Fatal(err)
			}
			if res, err := wallet.Answer(ctx, w, c, ref2, a2, wallet.ApproveOptions{Deny: true}, ts.Clock.Now()); err != nil || res.Status != "denied" {
				t.Fatalf("Answer(deny) = %+v, %v; want denied", res, err)
			}
			ts.Clock.Advance(time.Minute)
			var re *oauth2.RetrieveError
			if _, err := cfg.DeviceAccessToken(ctx, da2); !errors.As(err, &re) || re.ErrorCode != "access_denied" {
				t.Errorf("DeviceAccessToken after a denial: %v, want access_denied", err)
			}
		})
	}
}

// TestAnswerLoginRefusesConsent: the second factor of a browser sign-in
// takes no consent in the wallet (the browser's consent page asks), and a
// decided approval is not signed again.
func TestAnswerLoginRefusesConsent(t *testing.T) {
	ref := wallet.ApprovalRef{Code: "K7QM3XWD"}
	login := &wallet.Approval{Kind: wallet.ApprovalKindLogin, Status: "pending", ClientID: "rp-x", RPName: "Shop",
		Claims: []wallet.ApprovalClaim{{Claim: "age_over_18", Purpose: "age"}}, Challenge: "AAAAAAAAAAAAAAAAAAAAAA"}
	c, err := wallet.NewClient("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []wallet.ApproveOptions{{Allow: []string{"age_over_18"}}, {Remember: true}, {AllowOnward: true}} {
		if _, err := wallet.Answer(context.Background(), nil, c, ref, login, o, time.Now()); !errors.Is(err, wallet.ErrApprovalAnswer) {
			t.Errorf("Answer(login, %+v) error = %v, want ErrApprovalAnswer", o, err)
		}
	}
	decided := *login
	decided.Status = "approved"
	if _, err := wallet.Answer(context.Background(), nil, c, ref, &decided, wallet.ApproveOptions{}, time.Now()); !errors.Is(err, wallet.ErrApprovalDecided) {
		t.Errorf("Answer(decided) error = %v, want ErrApprovalDecided", err)
	}
}
