package oidc_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
)

// BenchmarkSSOFlow measures complete single-sign-on code flows against a
// running provider on SQLite, over HTTP on loopback: authorize (a live
// session, remembered consent: straight back with a code), token (code
// used, tokens stored, disclosure recorded, ID token signed) and userinfo.
// The target of the performance work is 1,000 flows/s on 2 cores; the
// client side (this loop) shares the cores here.
func BenchmarkSSOFlow(b *testing.B) {
	e := newEnv(b, "sqlite", productionClientCache)
	who := e.enrolResident("性能", 30)
	r := e.newRP(rp.Registration{Sector: "bench.example",
		ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: "age"}}})
	br := newBrowser(b)
	br.login(r, who, []string{"age_over_18"}, allowAll) // session and remembered consent
	b.ReportAllocs()
	for b.Loop() {
		if err := ssoFlow(e, r, br); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSSOFlowParallel is BenchmarkSSOFlow with flows in flight
// together, as many platforms' users log in at once: its ns/op is the
// inverse of the throughput.
func BenchmarkSSOFlowParallel(b *testing.B) {
	e := newEnv(b, "sqlite", productionClientCache)
	who := e.enrolResident("性能", 30)
	r := e.newRP(rp.Registration{Sector: "bench.example",
		ApprovedClaims: []rp.ClaimApproval{{Claim: rp.ClaimAgeOver18, Purpose: "age"}}})
	br := newBrowser(b)
	br.login(r, who, []string{"age_over_18"}, allowAll)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := ssoFlow(e, r, br); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// productionClientCache gives the benchmarks the relying-party cache a
// server runs with (the tests turn it off to see changes at once).
func productionClientCache(c *oidc.Config) { c.ClientCacheTTL = 5 * time.Second }

// ssoFlow runs one single-sign-on flow: authorize, token, userinfo. It
// returns errors rather than failing, because RunParallel's goroutines may
// not end the benchmark.
func ssoFlow(e *env, r *relyingParty, br *browser) error {
	req := r.authorize([]string{"age_over_18"})
	resp, err := br.client.Get(req.url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, r.redirect) {
		return fmt.Errorf("authorize: status %d Location %q, want the RP", resp.StatusCode, loc)
	}
	u, err := url.Parse(loc)
	if err != nil {
		return err
	}
	tok, err := r.oauth.Exchange(context.Background(), u.Query().Get("code"), oauth2.VerifierOption(req.verifier))
	if err != nil {
		return err
	}
	ui, err := http.NewRequest(http.MethodGet, e.issuer+"/oidc/userinfo", nil)
	if err != nil {
		return err
	}
	ui.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if resp, err = http.DefaultClient.Do(ui); err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("userinfo status %d", resp.StatusCode)
	}
	return nil
}
