package oidc_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
)

// deviceEnv is an env whose device poll interval is one second, so that
// x/oauth2's DeviceAccessToken, which waits the interval in real time
// before polling, waits one second.
func deviceEnv(t *testing.T, engine string) *env {
	return newEnv(t, engine, func(c *oidc.Config) { c.DevicePollInterval = time.Second })
}

// deviceConfig is the RP's x/oauth2 configuration for the device flow
// with scopes (openid added).
func (r *relyingParty) deviceConfig(scopes ...string) *oauth2.Config {
	cfg := *r.oauth
	cfg.Scopes = append([]string{gooidc.ScopeOpenID}, scopes...)
	return &cfg
}

// secretParam authenticates the device authorization request: x/oauth2
// sends only the client id there, and every netid RP is confidential.
func (r *relyingParty) secretParam() oauth2.AuthCodeOption {
	return oauth2.SetAuthURLParam("client_secret", r.secret)
}

// poll polls the token endpoint once with a device code, as the RP, and
// returns the status and body.
func (r *relyingParty) poll(t *testing.T, e *env, deviceCode string) (int, map[string]any) {
	t.Helper()
	return postAsClient(t, e, r, "/oidc/token", url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {deviceCode}})
}

var userCodeShape = regexp.MustCompile(`^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$`)

// TestDeviceFlow runs the RFC 8628 device authorization grant with a real
// RP (x/oauth2 DeviceAuth and DeviceAccessToken, go-oidc verification):
// authorization_pending, slow_down when polling too fast, the wallet's
// approval releasing only the claims allowed, tokens at substantial with
// amr swk and a pairwise subject, a refresh token for offline_access, the
// disclosure recorded; the code cannot be approved twice, and a second
// redemption revokes the tokens.
func TestDeviceFlow(t *testing.T) {
	forEachDeviceEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		who := e.enrolResident("杜甫", 44)
		r := e.newRP(rp.Registration{Sector: "tv.example", ApprovedClaims: []rp.ClaimApproval{
			{Claim: rp.ClaimAgeOver18, Purpose: "to show films rated 18"},
			{Claim: rp.ClaimName, Purpose: "to greet you by name"}}})
		cfg := r.deviceConfig("offline_access", "age_over_18", "name", "nationality")
		da, err := cfg.DeviceAuth(ctx, r.secretParam())
		if err != nil {
			t.Fatalf("DeviceAuth error = %v", err)
		}
		if !userCodeShape.MatchString(da.UserCode) || da.VerificationURI != e.issuer+"/device" ||
			da.VerificationURIComplete != e.issuer+"/device?user_code="+da.UserCode || da.Interval != 1 {
			t.Errorf("device authorization = %+v, want a user code XXXX-XXXX, /device URIs, interval 1", da)
		}
		status, raw := postAsClient(t, e, r, "/oidc/device_authorization", url.Values{"scope": {"openid"}})
		if dc, _ := raw["device_code"].(string); status != http.StatusOK || raw["expires_in"] != 300.0 || raw["interval"] != 1.0 || len(dc) != 43 {
			t.Errorf("device authorization (HTTP Basic) = %d %v, want 200, expires_in 300, interval 1, a 256-bit device code", status, raw)
		}
		page := newBrowser(t).get(da.VerificationURIComplete)
		if page.status != http.StatusOK || !strings.Contains(page.body, "<svg") || !strings.Contains(page.body, da.UserCode) {
			t.Errorf("the device page: status %d, want 200 with the QR code and the user code:\n%s", page.status, page.body)
		}

		// Polling before the approval: pending; too soon: slow_down, and
		// the interval grows by 5 seconds.
		polls := []struct {
			advance time.Duration
			want    string
		}{{0, "authorization_pending"}, {0, "slow_down"}, {time.Second, "slow_down"}, {11 * time.Second, "authorization_pending"}}
		for i, p := range polls {
			e.clock.Advance(p.advance)
			if status, body := r.poll(t, e, da.DeviceCode); status != http.StatusBadRequest || body["error"] != p.want {
				t.Errorf("poll %d: %d %v, want 400 %s", i, status, body, p.want)
			}
		}

		view := e.approvalView(da.UserCode)
		want := oidc.ApprovalView{Kind: oidc.ApprovalDevice, Status: oidc.ApprovalPending, ClientID: r.reg.ClientID,
			RPName: r.reg.Name, Level: enrol.AssuranceSubstantial, Claims: []oidc.ApprovalClaim{
				{Claim: rp.ClaimName, Purpose: "to greet you by name", Identity: true},
				{Claim: rp.ClaimAgeOver18, Purpose: "to show films rated 18"}}}
		if diff := cmp.Diff(want, view, ignoreChallenge); diff != "" {
			t.Errorf("approval view mismatch (-want +got):\n%s", diff)
		}
		// The resident allows the age check only (the RP asked for the
		// name too, and the wallet cannot add the unapproved nationality).
		res := e.answer(who, strings.ToLower(strings.ReplaceAll(da.UserCode, "-", "")), oidc.ApprovalAnswer{Decision: "approve",
			Allow: []rp.Claim{rp.ClaimAgeOver18, rp.ClaimNationality}}).result(t)
		if res.Status != oidc.ApprovalApproved || !slices.Equal(res.Released, []rp.Claim{rp.ClaimAgeOver18}) {
			t.Errorf("approval result = %+v, want approved releasing age_over_18 only", res)
		}
		if got := e.answer(who, da.UserCode, oidc.ApprovalAnswer{Decision: "approve"}); got.status != http.StatusConflict ||
			got.slug() != "approval-decided" {
			t.Errorf("second approval: status %d %q, want 409 approval-decided", got.status, got.slug())
		}

		e.clock.Advance(time.Minute)
		tok, err := cfg.DeviceAccessToken(ctx, da)
		if err != nil {
			t.Fatalf("DeviceAccessToken error = %v", err)
		}
		id, claims := r.idToken(tok)
		if claims["acr"] != "substantial" || !cmp.Equal(claims["amr"], []any{"swk"}) || claims["age_over_18"] != true {
			t.Errorf("ID token acr %v amr %v age_over_18 %v, want substantial [swk] true", claims["acr"], claims["amr"], claims["age_over_18"])
		}
		for _, c := range []string{"name", "nationality", "internet_number", "nonce"} {
			if _, ok := claims[c]; ok {
				t.Errorf("ID token has %s, which was not released", c)
			}
		}
		sub, err := e.provider.PairwiseSubject(ctx, "tv.example", who.number)
		if err != nil || id.Subject != sub {
			t.Errorf("sub = %q, want the pairwise subject %q of the sector (%v)", id.Subject, sub, err)
		}
		if tok.RefreshToken == "" {
			t.Error("no refresh token for offline_access")
		}
		ui, err := r.userinfo(tok)
		if err != nil || ui["age_over_18"] != true || ui["name"] != nil {
			t.Errorf("userinfo = %v (%v), want age_over_18 only", ui, err)
		}
		ds, err := e.store.DisclosuresOf(ctx, who.id, time.Time{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].ClientID != r.reg.ClientID || ds[0].ACR != enrol.AssuranceSubstantial ||
			ds[0].Kind != oidc.DisclosureDevice || !slices.Equal(ds[0].Claims, []rp.Claim{rp.ClaimAgeOver18}) {
			t.Errorf("disclosures = %+v, want one of age_over_18 to %s at substantial", ds, r.reg.ClientID)
		}
		// The refresh token works like the code flow's: rotated, same level.
		refreshed, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("refresh error = %v", err)
		}
		if _, rc := r.idToken(refreshed); rc["acr"] != "substantial" || rc["sub"] != id.Subject || refreshed.RefreshToken == tok.RefreshToken {
			t.Errorf("refreshed ID token acr %v sub %v, new refresh token %v; want substantial, the same sub, rotated",
				rc["acr"], rc["sub"], refreshed.RefreshToken != tok.RefreshToken)
		}

		// A second redemption is refused and revokes what the first gave.
		if status, body := r.poll(t, e, da.DeviceCode); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("second redemption: %d %v, want 400 invalid_grant", status, body)
		}
		for _, tk := range []*oauth2.Token{tok, refreshed} {
			if _, err := r.userinfo(tk); err == nil {
				t.Error("userinfo works after the device code was redeemed twice, want every token of the grant revoked")
			}
		}
	})
}

// ignoreChallenge leaves an approval view's random parts out of a
// comparison.
var ignoreChallenge = cmpopts.IgnoreFields(oidc.ApprovalView{}, "Challenge", "ExpiresAt")

// forEachDeviceEngine runs fn on a deviceEnv of each engine.
func forEachDeviceEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) { fn(t, deviceEnv(t, engine)) })
	}
}

// TestDeviceFlowRefusals: a denial is access_denied at the next poll, an
// expired device code expired_token, another RP's device code
// invalid_grant; the device authorization needs the client's secret, the
// openid scope and a level a login reaches.
func TestDeviceFlowRefusals(t *testing.T) {
	forEachDeviceEngine(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		who := e.enrolResident("李白", 39)
		r := e.newRP(rp.Registration{Sector: "kiosk.example"})
		other := e.newRP(rp.Registration{Sector: "kiosk.example"})
		cfg := r.deviceConfig()

		denied, err := cfg.DeviceAuth(ctx, r.secretParam())
		if err != nil {
			t.Fatal(err)
		}
		if res := e.answer(who, denied.UserCode, oidc.ApprovalAnswer{Decision: "deny"}).result(t); res.Status != oidc.ApprovalDenied {
			t.Errorf("deny: %q, want denied", res.Status)
		}
		e.clock.Advance(10 * time.Second)
		if _, err := cfg.DeviceAccessToken(ctx, denied); retrieveErrorCode(err) != "access_denied" {
			t.Errorf("after a denial DeviceAccessToken error = %v, want access_denied", err)
		}

		// A resident who locked the wallet: the wallet's answer is refused
		// and the RP's next poll says why, without waiting for expiry.
		if err := e.enrol.LockMethod(ctx, who.id, enrol.MethodAccount); err != nil {
			t.Fatal(err)
		}
		locked, err := cfg.DeviceAuth(ctx, r.secretParam())
		if err != nil {
			t.Fatal(err)
		}
		if got := e.answer(who, locked.UserCode, oidc.ApprovalAnswer{Decision: "approve"}); got.slug() != "approval-locked" {
			t.Errorf("locked account: answer %d %q, want approval-locked", got.status, got.slug())
		}
		e.clock.Advance(10 * time.Second)
		_, err = cfg.DeviceAccessToken(ctx, locked)
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "access_denied" || !strings.Contains(re.ErrorDescription, "locked their netid account") {
			t.Errorf("after a locked answer DeviceAccessToken error = %v, want access_denied naming the lock", err)
		}
		if err := e.enrol.UnlockMethod(ctx, who.id, enrol.MethodAccount); err != nil {
			t.Fatal(err)
		}

		late, err := cfg.DeviceAuth(ctx, r.secretParam())
		if err != nil {
			t.Fatal(err)
		}
		if status, body := other.poll(t, e, late.DeviceCode); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Errorf("another RP's device code: %d %v, want 400 invalid_grant", status, body)
		}
		e.clock.Advance(5*time.Minute + time.Second)
		if status, body := r.poll(t, e, late.DeviceCode); status != http.StatusBadRequest || body["error"] != "expired_token" {
			t.Errorf("expired device code: %d %v, want 400 expired_token", status, body)
		}
		if got := e.approvalCall(http.MethodGet, late.UserCode, nil); got.status != http.StatusGone {
			t.Errorf("wallet fetch of an expired code: status %d, want 410", got.status)
		}

		// The device authorization request itself.
		if _, err := cfg.DeviceAuth(ctx); retrieveErrorCode(err) != "invalid_client" {
			t.Errorf("DeviceAuth without the secret: %v, want invalid_client", err)
		}
		noOpenID := *cfg
		noOpenID.Scopes = []string{"age_over_18"}
		if _, err := noOpenID.DeviceAuth(ctx, r.secretParam()); retrieveErrorCode(err) != "invalid_scope" {
			t.Errorf("DeviceAuth without openid: %v, want invalid_scope", err)
		}
		if _, err := cfg.DeviceAuth(ctx, r.secretParam(), oauth2.SetAuthURLParam("acr_values", "high")); retrieveErrorCode(err) != "unmet_authentication_requirements" {
			t.Errorf("DeviceAuth for high: %v, want unmet_authentication_requirements", err)
		}
	})
}

// TestDeviceFlowRememberedConsent: claims remembered on the consent page
// are released to a device sign-in without being allowed again, and a
// --remember in the wallet is remembered for the next one.
func TestDeviceFlowRememberedConsent(t *testing.T) {
	e := deviceEnv(t, "sqlite")
	ctx := context.Background()
	who := e.enrolResident("白居易", 47)
	r := e.newRP(rp.Registration{Sector: "tv.example", ApprovedClaims: []rp.ClaimApproval{
		{Claim: rp.ClaimAgeOver18, Purpose: "age"}, {Claim: rp.ClaimAgeOver60, Purpose: "discount"}}})
	newBrowser(t).login(r, who, []string{"age_over_18"}, allowAll) // remembers age_over_18

	cfg := r.deviceConfig("age_over_18", "age_over_60")
	da, err := cfg.DeviceAuth(ctx, r.secretParam())
	if err != nil {
		t.Fatal(err)
	}
	res := e.answer(who, da.UserCode, oidc.ApprovalAnswer{Decision: "approve", Allow: []rp.Claim{rp.ClaimAgeOver60},
		Remember: true}).result(t)
	if !slices.Equal(res.Released, []rp.Claim{rp.ClaimAgeOver18, rp.ClaimAgeOver60}) {
		t.Errorf("released %v, want age_over_18 (remembered) and age_over_60 (allowed)", res.Released)
	}
	da2, err := cfg.DeviceAuth(ctx, r.secretParam())
	if err != nil {
		t.Fatal(err)
	}
	res2 := e.answer(who, da2.UserCode, oidc.ApprovalAnswer{Decision: "approve"}).result(t)
	if !slices.Equal(res2.Released, []rp.Claim{rp.ClaimAgeOver18, rp.ClaimAgeOver60}) {
		t.Errorf("next sign-in released %v, want both remembered", res2.Released)
	}
}

// TestApprovalAnswerBodies: a wallet's answer that is not a JSON object
// of the right size is refused with the status that names the fault, and
// the approval stays pending.
func TestApprovalAnswerBodies(t *testing.T) {
	e := deviceEnv(t, "sqlite")
	r := e.newRP(rp.Registration{Sector: "kiosk.example"})
	da, err := r.deviceConfig().DeviceAuth(context.Background(), r.secretParam())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		slug                    string
	}{
		{"text", "text/plain", `{"decision":"deny"}`, http.StatusUnsupportedMediaType, "unsupported-media-type"},
		{"too large", "application/json", `{"decision":"` + strings.Repeat("d", 40<<10) + `"}`, http.StatusRequestEntityTooLarge, "body-too-large"},
		{"trailing", "application/json", `{"decision":"deny"}}`, http.StatusBadRequest, "bad-request"},
		{"duplicate", "application/json", `{"decision":"deny","decision":"approve"}`, http.StatusBadRequest, "bad-request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, e.issuer+"/v1/approvals/"+url.PathEscape(da.UserCode), strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tc.contentType)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p struct{ Type string }
			_ = json.NewDecoder(resp.Body).Decode(&p)
			if resp.StatusCode != tc.status || p.Type != "urn:netid:problem:"+tc.slug {
				t.Errorf("status %d %q, want %d %q", resp.StatusCode, p.Type, tc.status, tc.slug)
			}
		})
	}
	if v := e.approvalView(da.UserCode); v.Status != oidc.ApprovalPending {
		t.Errorf("after refused answers the approval is %q, want pending", v.Status)
	}
}
