package rp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store/sqlite"
)

func newService(t *testing.T) (*rp.Service, func() time.Time) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2025, 7, 15, 9, 30, 0, 123456789, time.UTC) }
	return rp.NewService(st, rp.WithClock(now)), now
}

func TestServiceLifecycle(t *testing.T) {
	ctx := context.Background()
	svc, now := newService(t)
	reg := rp.Registration{Name: "Tax Office", RedirectURIs: []string{"https://tax.example/cb"},
		ApprovedClaims:           []rp.ClaimApproval{{Claim: rp.ClaimInternetNumber, Purpose: "file your return"}},
		MayReceiveInternetNumber: true, MinAssurance: enrol.AssuranceSubstantial}
	created, secret, err := svc.Create(ctx, reg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(created.ClientID, "rp-") || len(created.ClientID) != 35 || len(secret) != 43 {
		t.Errorf("Create() id %q secret of %d characters, want rp- and 32 hex digits, 43 characters", created.ClientID, len(secret))
	}
	if created.Sector != "tax.example" || created.Status != rp.StatusActive || created.Version != 1 ||
		!created.Created.Equal(now().Truncate(time.Microsecond)) {
		t.Errorf("Create() = %+v", created)
	}
	got, err := svc.Get(ctx, created.ClientID)
	if err != nil || !got.SecretMatches(secret) {
		t.Fatalf("Get() = %v, secret matches %v, want the stored RP with the secret", err, got.SecretMatches(secret))
	}
	if _, err := svc.Get(ctx, "rp-none"); !errors.Is(err, rp.ErrNotFound) {
		t.Errorf("Get(unknown) error = %v, want ErrNotFound", err)
	}
	if _, _, err := svc.Create(ctx, rp.Registration{Name: "x"}); !errors.Is(err, rp.ErrInvalid) {
		t.Errorf("Create(invalid) error = %v, want ErrInvalid", err)
	}

	newSecret, err := svc.RotateSecret(ctx, created.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = svc.Get(ctx, created.ClientID)
	if got.SecretMatches(secret) || !got.SecretMatches(newSecret) || got.Version != 2 {
		t.Errorf("after RotateSecret: old matches %v, new matches %v, version %d; want false, true, 2",
			got.SecretMatches(secret), got.SecretMatches(newSecret), got.Version)
	}
	if r, err := svc.Suspend(ctx, created.ClientID); err != nil || r.Active() {
		t.Errorf("Suspend() = %+v, %v, want suspended", r, err)
	}
	if r, err := svc.Activate(ctx, created.ClientID); err != nil || !r.Active() {
		t.Errorf("Activate() = %+v, %v, want active", r, err)
	}

	reg.Name = "Tax Office (new)"
	if r, err := svc.Update(ctx, created.ClientID, reg); err != nil || r.Name != "Tax Office (new)" || !r.SecretMatches(newSecret) {
		t.Errorf("Update() = %+v, %v, want the new name and the secret kept", r, err)
	}
	reg.Sector = "other.example"
	if _, err := svc.Update(ctx, created.ClientID, reg); !errors.Is(err, rp.ErrInvalid) || !strings.Contains(err.Error(), "cannot change") {
		t.Errorf("Update(new sector) error = %v, want ErrInvalid about the sector", err)
	}
	if _, err := svc.Suspend(ctx, "rp-none"); !errors.Is(err, rp.ErrNotFound) {
		t.Errorf("Suspend(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := svc.RotateSecret(ctx, "rp-none"); !errors.Is(err, rp.ErrNotFound) {
		t.Errorf("RotateSecret(unknown) error = %v, want ErrNotFound", err)
	}

	second, _, err := svc.Create(ctx, rp.Registration{Name: "Shop", RedirectURIs: []string{"https://shop.example/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	all, err := svc.List(ctx, "", 10)
	if err != nil || len(all) != 2 {
		t.Fatalf("List() = %d RPs, %v, want 2", len(all), err)
	}
	page, err := svc.List(ctx, min(created.ClientID, second.ClientID), 10)
	if err != nil || len(page) != 1 || page[0].ClientID != max(created.ClientID, second.ClientID) {
		t.Errorf("List(after the first) = %v, %v, want the other RP", page, err)
	}
	if _, err := svc.List(ctx, "", 0); !errors.Is(err, rp.ErrInvalid) {
		t.Errorf("List(limit 0) error = %v, want ErrInvalid", err)
	}
}
