package oidc_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
)

// TestForgetClient checks that a suspension reaches a node's cached
// registration when the node is told to forget it, and not before.
func TestForgetClient(t *testing.T) {
	e := newEnv(t, "sqlite", func(c *oidc.Config) { c.ClientCacheTTL = time.Hour })
	party := e.newRP(rp.Registration{})
	errorCode := func() string {
		t.Helper()
		_, err := party.exchange("no-such-code", "")
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) {
			t.Fatalf("exchange error = %v, want an OAuth error response", err)
		}
		return re.ErrorCode
	}
	if got := errorCode(); got != "invalid_grant" {
		t.Fatalf("active client: error %q, want invalid_grant (authenticated, bad code)", got)
	}
	if _, err := e.rps.Suspend(context.Background(), party.reg.ClientID); err != nil {
		t.Fatal(err)
	}
	if got := errorCode(); got != "invalid_grant" {
		t.Fatalf("suspended but cached: error %q, want invalid_grant (the cache still holds the registration)", got)
	}
	e.provider.ForgetClient(party.reg.ClientID)
	if got := errorCode(); got != "invalid_client" {
		t.Errorf("suspended and forgotten: error %q, want invalid_client", got)
	}
}
