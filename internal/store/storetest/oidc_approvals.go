package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// approval returns an approval of kind whose fields depend on seed.
func approval(id string, kind oidc.ApprovalKind, seed int) oidc.Approval {
	a := oidc.Approval{
		ID: id, Kind: kind, ClientID: fmt.Sprintf("rp-%d", seed), CodeHash: []byte(fmt.Sprintf("code-%s", id)),
		Request: []byte(fmt.Sprintf(`{"seed":%d}`, seed)), Challenge: []byte{byte(seed), 0, 0xff},
		Status: oidc.ApprovalPending, CreatedAt: ot0, ExpiresAt: ot0.Add(time.Duration(seed) * time.Minute), Version: 1,
	}
	switch kind {
	case oidc.ApprovalLogin:
		a.InteractionID, a.ResidentID = "in-"+id, fmt.Sprintf("resident-%d", seed)
	case oidc.ApprovalDevice:
		a.DeviceCodeHash = []byte("device-" + id)
		a.PollInterval = time.Duration(seed) * time.Second
	}
	return a
}

func testApprovalCRUD(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		login, device := approval("a1", oidc.ApprovalLogin, 1), approval("a2", oidc.ApprovalDevice, 2)
		for _, want := range []oidc.Approval{login, device} {
			if err := s.CreateApproval(ctx, want); err != nil {
				t.Fatalf("CreateApproval(%s) = %v, want nil", want.ID, err)
			}
			got, err := s.ApprovalByCode(ctx, want.CodeHash)
			if err != nil {
				t.Fatalf("ApprovalByCode(%s) error = %v", want.ID, err)
			}
			if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
				t.Errorf("ApprovalByCode(%s) mismatch (-want +got):\n%s", want.ID, diff)
			}
		}
		if got, err := s.ApprovalByDeviceCode(ctx, device.DeviceCodeHash); err != nil || got.ID != device.ID {
			t.Errorf("ApprovalByDeviceCode = %s, %v; want %s", got.ID, err, device.ID)
		}
		if got, err := s.ApprovalOfInteraction(ctx, login.InteractionID); err != nil || got.ID != login.ID {
			t.Errorf("ApprovalOfInteraction = %s, %v; want %s", got.ID, err, login.ID)
		}
		notFound := map[string]error{}
		_, notFound["ApprovalByCode(unknown)"] = s.ApprovalByCode(ctx, []byte("nope"))
		_, notFound["ApprovalByDeviceCode(unknown)"] = s.ApprovalByDeviceCode(ctx, []byte("nope"))
		// A login approval has no device code; a device approval no interaction.
		_, notFound["ApprovalByDeviceCode(of a login)"] = s.ApprovalByDeviceCode(ctx, nil)
		_, notFound["ApprovalOfInteraction(unknown)"] = s.ApprovalOfInteraction(ctx, "in-none")
		_, notFound["ApprovalOfInteraction(of a device)"] = s.ApprovalOfInteraction(ctx, "")
		for name, err := range notFound {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s error = %v, want store.ErrNotFound", name, err)
			}
		}

		conflicts := map[string]oidc.Approval{"same id": approval("a1", oidc.ApprovalDevice, 3)}
		sameCode := approval("a3", oidc.ApprovalLogin, 3)
		sameCode.CodeHash = login.CodeHash
		conflicts["same code"] = sameCode
		sameDevice := approval("a4", oidc.ApprovalDevice, 4)
		sameDevice.DeviceCodeHash = device.DeviceCodeHash
		conflicts["same device code"] = sameDevice
		sameInteraction := approval("a5", oidc.ApprovalLogin, 5)
		sameInteraction.InteractionID = login.InteractionID
		conflicts["same interaction"] = sameInteraction
		for name, a := range conflicts {
			if err := s.CreateApproval(ctx, a); !errors.Is(err, store.ErrConflict) {
				t.Errorf("CreateApproval(%s) = %v, want store.ErrConflict", name, err)
			}
		}
		// Two device approvals share the empty interaction id, two
		// logins the empty device code: no conflict.
		if err := s.CreateApproval(ctx, approval("a6", oidc.ApprovalDevice, 6)); err != nil {
			t.Errorf("CreateApproval(second device) = %v, want nil", err)
		}
		if err := s.CreateApproval(ctx, approval("a7", oidc.ApprovalLogin, 7)); err != nil {
			t.Errorf("CreateApproval(second login) = %v, want nil", err)
		}
		invalid := map[string]oidc.Approval{}
		for name, change := range map[string]func(*oidc.Approval){
			"no id":        func(a *oidc.Approval) { a.ID = "" },
			"no code":      func(a *oidc.Approval) { a.CodeHash = nil },
			"unknown kind": func(a *oidc.Approval) { a.Kind = "ciba" },
			"login without an interaction": func(a *oidc.Approval) {
				a.Kind, a.InteractionID = oidc.ApprovalLogin, ""
			},
			"device without a code": func(a *oidc.Approval) { a.DeviceCodeHash = nil },
			"version 2":             func(a *oidc.Approval) { a.Version = 2 },
			"half a second":         func(a *oidc.Approval) { a.PollInterval = 1500 * time.Millisecond },
		} {
			a := approval("bad", oidc.ApprovalDevice, 8)
			change(&a)
			invalid[name] = a
		}
		for name, a := range invalid {
			if err := s.CreateApproval(ctx, a); err == nil || errors.Is(err, store.ErrConflict) {
				t.Errorf("CreateApproval(%s) = %v, want a validation error", name, err)
			}
		}
	})
}

func testApprovalUpdate(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		a := approval("u1", oidc.ApprovalDevice, 3)
		if err := s.CreateApproval(ctx, a); err != nil {
			t.Fatal(err)
		}
		next := a
		next.ResidentID, next.Status, next.Decision = "resident-9", oidc.ApprovalApproved, []byte(`{"claims":["age_over_18"]}`)
		next.GrantID, next.PollInterval = "grant-1", 8*time.Second
		next.LastPolledAt, next.DecidedAt, next.Version = ot0.Add(time.Second), ot0.Add(2*time.Second), 2
		if err := s.UpdateApproval(ctx, 1, next); err != nil {
			t.Fatalf("UpdateApproval(1 -> 2) = %v, want nil", err)
		}
		got, err := s.ApprovalByDeviceCode(ctx, a.DeviceCodeHash)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(next, got, equateEmpty); diff != "" {
			t.Errorf("approval after update mismatch (-want +got):\n%s", diff)
		}
		// The compare-and-set: the second writer of version 1 loses.
		loser := a
		loser.Status, loser.Version = oidc.ApprovalDenied, 2
		if err := s.UpdateApproval(ctx, 1, loser); !errors.Is(err, store.ErrConflict) {
			t.Errorf("UpdateApproval(stale version) = %v, want store.ErrConflict", err)
		}
		for name, change := range map[string]func(*oidc.Approval){
			"client":     func(a *oidc.Approval) { a.ClientID = "rp-other" },
			"code":       func(a *oidc.Approval) { a.CodeHash = []byte("other") },
			"request":    func(a *oidc.Approval) { a.Request = []byte("{}") },
			"challenge":  func(a *oidc.Approval) { a.Challenge = []byte{1} },
			"created at": func(a *oidc.Approval) { a.CreatedAt = ot0.Add(time.Hour) },
			"expires at": func(a *oidc.Approval) { a.ExpiresAt = ot0.Add(time.Hour) },
		} {
			moved := next
			change(&moved)
			moved.Version = 3
			if err := s.UpdateApproval(ctx, 2, moved); !errors.Is(err, store.ErrConflict) {
				t.Errorf("UpdateApproval(changed %s) = %v, want store.ErrConflict", name, err)
			}
		}
		ghost := approval("ghost", oidc.ApprovalDevice, 1)
		ghost.Version = 2
		if err := s.UpdateApproval(ctx, 1, ghost); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateApproval(missing) = %v, want store.ErrNotFound", err)
		}
		if err := s.UpdateApproval(ctx, 2, next); err == nil {
			t.Error("UpdateApproval(version not increased) = nil, want an error")
		}
	})
}

func testApprovalDeletePrune(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		// Seeds 1, 2, 3: expiring at ot0 + 1, 2, 3 minutes.
		for i, kind := range []oidc.ApprovalKind{oidc.ApprovalLogin, oidc.ApprovalDevice, oidc.ApprovalLogin} {
			if err := s.CreateApproval(ctx, approval(fmt.Sprintf("p%d", i+1), kind, i+1)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteApproval(ctx, "p3"); err != nil {
			t.Errorf("DeleteApproval(p3) = %v, want nil", err)
		}
		if err := s.DeleteApproval(ctx, "p3"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second DeleteApproval(p3) = %v, want store.ErrNotFound", err)
		}
		// A deleted login approval frees its interaction.
		if err := s.CreateApproval(ctx, approval("p3", oidc.ApprovalLogin, 3)); err != nil {
			t.Errorf("CreateApproval after delete = %v, want nil", err)
		}
		n, err := s.PruneApprovals(ctx, ot0.Add(2*time.Minute+time.Microsecond))
		if err != nil || n != 2 {
			t.Errorf("PruneApprovals = %d, %v; want 2 (those expired before the time)", n, err)
		}
		if _, err := s.ApprovalByCode(ctx, []byte("code-p3")); err != nil {
			t.Errorf("the unexpired approval after pruning: %v", err)
		}
		if _, err := s.ApprovalByCode(ctx, []byte("code-p2")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an expired approval after pruning: %v, want store.ErrNotFound", err)
		}
	})
}
