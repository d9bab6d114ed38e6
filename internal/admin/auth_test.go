package admin_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/netid/netid/internal/admin"
)

// TestAPIAuthentication: every way of not holding a usable token gets the
// same 401 problem, nothing is audited for it, failures of one address are
// throttled to 429 with Retry-After, and a usable token authenticates as
// its name.
func TestAPIAuthentication(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		revokedTok, revoked, err := e.svc.CreateToken(ctx, operator, "bob")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RevokeToken(ctx, operator, revokedTok.ID); err != nil {
			t.Fatal(err)
		}
		id, secret, _ := strings.Cut(e.token, ".")
		wrongSecret := id + "." + strings.Repeat("A", len(secret))
		unknownID := "adm-0000000000000000." + secret
		auditBefore := len(e.audit())

		tests := []struct {
			name   string
			header string // the whole Authorization header; "" for none
		}{
			{"no header", ""},
			{"basic scheme", "Basic " + e.token},
			{"bearer without token", "Bearer "},
			{"not an admin token", "Bearer not-a-token"},
			{"unknown id", "Bearer " + unknownID},
			{"revoked token", "Bearer " + revoked},
		}
		for _, tt := range tests {
			req, _ := http.NewRequest(http.MethodGet, e.server.URL+"/admin/v1/rps", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			// The failure limit is 3 per address: the fourth and later
			// failures are throttled.
			if res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusTooManyRequests {
				t.Errorf("%s: status %d, want 401 (or 429 once throttled)", tt.name, res.StatusCode)
			}
		}
		// The address has failed 6 times: throttled, with Retry-After.
		r := e.do(http.MethodGet, "/admin/v1/rps", wrongSecret, nil)
		if p := r.problem(t); r.status != http.StatusTooManyRequests || p.Type != "urn:netid:problem:throttled" || r.header.Get("Retry-After") == "" {
			t.Errorf("after 6 failures: %d %s, Retry-After %q; want 429 throttled with Retry-After", r.status, p.Type, r.header.Get("Retry-After"))
		}
		// A usable token still works from the throttled address: 256-bit
		// tokens are not what the throttle protects.
		var who map[string]string
		e.call(http.MethodGet, "/admin/v1/whoami", nil).decode(t, http.StatusOK, &who)
		if who["name"] != "alice" || !strings.HasPrefix(e.token, who["token_id"]+".") {
			t.Errorf("whoami = %v, want alice and the token's id", who)
		}
		if n := len(e.audit()); n != auditBefore {
			t.Errorf("audit records %d after failed authentications, want %d (failures are logged, not audited)", n, auditBefore)
		}
	})
}

// TestAPIAuthenticationEachCase checks the 401 of each case on a fresh
// address budget, and the revoked token.
func TestAPIAuthenticationEachCase(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx := context.Background()
	tok, bearer, err := e.svc.CreateToken(ctx, operator, "bob")
	if err != nil {
		t.Fatal(err)
	}
	// Works before revocation, fails after.
	e.do(http.MethodGet, "/admin/v1/whoami", bearer, nil).decode(t, http.StatusOK, nil)
	if _, err := e.svc.RevokeToken(ctx, operator, tok.ID); err != nil {
		t.Fatal(err)
	}
	r := e.do(http.MethodGet, "/admin/v1/whoami", bearer, nil)
	if p := r.problem(t); r.status != http.StatusUnauthorized || p.Type != "urn:netid:problem:unauthorized" {
		t.Errorf("revoked token: %d %s, want 401 unauthorized", r.status, p.Type)
	}
	if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") {
		t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", got)
	}
	if _, err := e.svc.Authenticate(ctx, bearer); !errors.Is(err, admin.ErrUnauthorized) {
		t.Errorf("Authenticate(revoked) = %v, want ErrUnauthorized", err)
	}
	for _, bad := range []string{"", ".", "adm-.x", tok.ID, tok.ID + ".", tok.ID + ".short",
		"ADM-0123456789abcdef." + strings.Repeat("a", 43), "adm-0123456789ABCDEF." + strings.Repeat("a", 43),
		"adm-0123456789abcdef." + strings.Repeat("+", 43), e.token + "x"} {
		if _, err := e.svc.Authenticate(ctx, bad); !errors.Is(err, admin.ErrUnauthorized) {
			t.Errorf("Authenticate(%q) = %v, want ErrUnauthorized", bad, err)
		}
	}
	if a, err := e.svc.Authenticate(ctx, e.token); err != nil || a.Name != "alice" || a.Channel != admin.ChannelAPI {
		t.Errorf("Authenticate(valid) = %+v, %v; want alice over the API", a, err)
	}
}

// TestTokens: names are checked, a usable token's name is unique, and
// every token action is audited.
func TestTokens(t *testing.T) {
	e := newEnv(t, "sqlite")
	ctx := context.Background()
	for _, bad := range []string{"", " ", " padded", "local:root", "tab\there", strings.Repeat("x", admin.MaxTokenName+1), "\xff"} {
		if _, _, err := e.svc.CreateToken(ctx, operator, bad); !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("CreateToken(%q) = %v, want ErrInvalid", bad, err)
		}
	}
	if _, _, err := e.svc.CreateToken(ctx, operator, "alice"); admin.OutcomeOf(err) != admin.OutcomeConflict {
		t.Errorf("CreateToken(usable name) = %v, want a conflict", err)
	}
	if r := e.lastAudit(); r.Action != admin.ActionTokenCreate || r.Outcome != admin.OutcomeConflict || !strings.Contains(r.Detail, "revoke it first") {
		t.Errorf("last audit record = %+v, want the refused creation with its reason", r)
	}
	tok, bearer, err := e.svc.CreateToken(ctx, operator, "监控系统")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(bearer, tok.ID+".") || len(bearer) != len(tok.ID)+1+43 {
		t.Errorf("token %q, want the id %s, a dot and 43 characters", bearer, tok.ID)
	}
	e.wantAudit("local:test", admin.ActionTokenCreate, tok.ID, admin.OutcomeOK)
	if _, err := e.svc.RevokeToken(ctx, operator, tok.ID); err != nil {
		t.Fatal(err)
	}
	e.wantAudit("local:test", admin.ActionTokenRevoke, tok.ID, admin.OutcomeOK)
	if _, err := e.svc.RevokeToken(ctx, operator, tok.ID); admin.OutcomeOf(err) != admin.OutcomeConflict {
		t.Errorf("RevokeToken(revoked) = %v, want a conflict", err)
	}
	if _, err := e.svc.RevokeToken(ctx, operator, "adm-none"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("RevokeToken(unknown) = %v, want ErrNotFound", err)
	}
	e.wantAudit("local:test", admin.ActionTokenRevoke, "adm-none", admin.OutcomeNotFound)
	ts, err := e.svc.Tokens(ctx)
	if err != nil || len(ts) != 2 || ts[0].Name != "alice" || !ts[0].Usable() || ts[1].Usable() {
		t.Errorf("Tokens() = %+v, %v; want alice (usable) then the revoked one", ts, err)
	}
	for _, tk := range ts {
		if len(tk.SecretHash) != 32 || strings.Contains(string(tk.SecretHash), strings.Split(bearer, ".")[1]) {
			t.Errorf("token %s stores %x, want a 32-byte hash, not the secret", tk.ID, tk.SecretHash)
		}
	}
}
