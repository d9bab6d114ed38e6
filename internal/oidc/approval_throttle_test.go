package oidc_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/httpapi"
	"github.com/netid/netid/internal/oidc"
)

// wrappedStore embeds oidc.Store and adds nothing, as serve's
// resident.ConsentLog does: only the methods of the interface reach the
// provider through it.
type wrappedStore struct {
	oidc.Store
}

// TestApprovalLookupsThroughWrapper: through a store that embeds
// oidc.Store, as serve gives the provider, the wallet's own lookups of a
// code that exists still count nothing (the limiter must be able to read
// a counter without writing one), and guesses still count.
func TestApprovalLookupsThroughWrapper(t *testing.T) {
	forEachEngine(t, testApprovalLookupsThroughWrapper)
}

func testApprovalLookupsThroughWrapper(t *testing.T, e *env) {
	const limit = 3
	who := e.enrolResident("李清照", 38)
	r := e.substantialRP("wrapped.example")
	_, p := newBrowser(t).toSecondFactor(r, who)
	code := approvalCodeOf(t, p)

	// A second provider over the same store, seen through the wrapper.
	s, err := suite.New(suite.Intl)
	if err != nil {
		t.Fatal(err)
	}
	var handler http.Handler
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.ServeHTTP(w, r)
	}))
	issuer := "http://" + ts.Listener.Addr().String()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := oidc.Config{Issuer: issuer, ClientCacheTTL: -1}
	cfg.ApprovalLookups.Max, cfg.ApprovalLookups.Window = limit, time.Minute
	provider, err := oidc.NewProvider(cfg, oidc.Deps{
		Store: wrappedStore{e.store}, RPs: e.store, Keys: e.keys, Residents: e.enrol, Suite: s, CA: e.ca,
	}, oidc.WithClock(e.clock.Now), oidc.WithLogger(quiet),
		oidc.WithClientAddr(func(r *http.Request) string { return httpapi.ClientAddrFrom(r.Context()) }))
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.New(httpapi.DefaultConfig(), quiet)
	for pattern, h := range provider.Routes() {
		srv.Handle(pattern, h)
	}
	handler = srv
	ts.Start()
	t.Cleanup(ts.Close)

	get := func(c string) int {
		t.Helper()
		resp, err := http.Get(issuer + "/v1/approvals/" + c)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	for i := range 2 * limit {
		if got := get(code); got != http.StatusOK {
			t.Fatalf("lookup %d of the right code: status %d, want 200 (the wallet's own lookups must not count)", i, got)
		}
	}
	for i := range limit {
		if got := get("DDDD-DDDD"); got != http.StatusNotFound {
			t.Errorf("guess %d: status %d, want 404", i, got)
		}
	}
	if got := get(code); got != http.StatusTooManyRequests {
		t.Errorf("lookup after %d guesses: status %d, want 429", limit, got)
	}
}
