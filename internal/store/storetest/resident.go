package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	resapi "github.com/netid/netid/internal/resident"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// rt0 is a time as the resident service hands them over.
var rt0 = time.Date(2025, 9, 1, 8, 30, 0, 123456000, time.UTC)

func residentSession(hash byte, residentID string, expires time.Time) resapi.SessionRecord {
	return resapi.SessionRecord{IDHash: bytes.Repeat([]byte{hash}, 32), ResidentID: residentID, Method: resapi.AuthWallet,
		Level: enrol.AssuranceSubstantial, CreatedAt: rt0, ExpiresAt: expires}
}

// testResidentSessions: sessions are found by hash only, come back as
// stored, are unique by hash, and are deleted one by one or per resident.
func testResidentSessions(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		a := residentSession(1, "r1", rt0.Add(15*time.Minute))
		b := residentSession(2, "r1", rt0.Add(time.Minute))
		b.Method, b.Level = resapi.AuthPassword, enrol.AssuranceLow
		c := residentSession(3, "r2", rt0.Add(time.Hour))
		for _, r := range []resapi.SessionRecord{a, b, c} {
			if err := s.CreateResidentSession(ctx, r); err != nil {
				t.Fatalf("CreateResidentSession(%x) error = %v", r.IDHash[0], err)
			}
		}
		dup := a
		dup.ResidentID = "r9"
		if err := s.CreateResidentSession(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateResidentSession(same hash) = %v, want ErrConflict", err)
		}
		for _, bad := range []resapi.SessionRecord{{ResidentID: "r1"}, {IDHash: []byte{1}}} {
			if err := s.CreateResidentSession(ctx, bad); err == nil || errors.Is(err, store.ErrConflict) {
				t.Errorf("CreateResidentSession(%+v) = %v, want an invalid-argument error", bad, err)
			}
		}
		for _, want := range []resapi.SessionRecord{a, b, c} {
			got, err := s.ResidentSession(ctx, want.IDHash)
			if err != nil {
				t.Fatalf("ResidentSession(%x) error = %v", want.IDHash[0], err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ResidentSession(%x) (-want +got):\n%s", want.IDHash[0], diff)
			}
		}
		if _, err := s.ResidentSession(ctx, bytes.Repeat([]byte{9}, 32)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ResidentSession(unknown) = %v, want ErrNotFound", err)
		}
		if err := s.DeleteResidentSession(ctx, c.IDHash); err != nil {
			t.Errorf("DeleteResidentSession(c) = %v", err)
		}
		if err := s.DeleteResidentSession(ctx, c.IDHash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteResidentSession(c) again = %v, want ErrNotFound", err)
		}
		if n, err := s.DeleteResidentSessionsOf(ctx, "r1"); err != nil || n != 2 {
			t.Errorf("DeleteResidentSessionsOf(r1) = %d, %v; want 2", n, err)
		}
		if n, err := s.DeleteResidentSessionsOf(ctx, "r1"); err != nil || n != 0 {
			t.Errorf("DeleteResidentSessionsOf(r1) again = %d, %v; want 0", n, err)
		}
		if _, err := s.ResidentSession(ctx, a.IDHash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ResidentSession(a) after deleting r1's = %v, want ErrNotFound", err)
		}
	})
}

// testResidentChallenges: a challenge is used once, not after its expiry,
// and pruning removes expired sessions and challenges only.
func testResidentChallenges(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		h := func(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }
		exp := rt0.Add(2 * time.Minute)
		for _, b := range []byte{1, 2, 3} {
			if err := s.PutResidentChallenge(ctx, resapi.ChallengeRecord{Hash: h(b), CreatedAt: rt0, ExpiresAt: exp}); err != nil {
				t.Fatalf("PutResidentChallenge(%d) error = %v", b, err)
			}
		}
		if err := s.PutResidentChallenge(ctx, resapi.ChallengeRecord{Hash: h(1), CreatedAt: rt0, ExpiresAt: exp}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("PutResidentChallenge(same hash) = %v, want ErrConflict", err)
		}
		if err := s.PutResidentChallenge(ctx, resapi.ChallengeRecord{CreatedAt: rt0, ExpiresAt: exp}); err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("PutResidentChallenge(no hash) = %v, want an invalid-argument error", err)
		}
		uses := []struct {
			name    string
			hash    []byte
			at      time.Time
			wantErr error
		}{
			{"unused, in time", h(1), exp.Add(-time.Microsecond), nil},
			{"used", h(1), rt0, store.ErrNotFound},
			{"at its expiry", h(2), exp, store.ErrNotFound},
			{"still there after a late try", h(2), rt0, nil},
			{"unknown", h(7), rt0, store.ErrNotFound},
		}
		for _, u := range uses {
			err := s.UseResidentChallenge(ctx, u.hash, u.at)
			if u.wantErr == nil && err != nil || u.wantErr != nil && !errors.Is(err, u.wantErr) {
				t.Errorf("%s: UseResidentChallenge = %v, want %v", u.name, err, u.wantErr)
			}
		}
		// Prune: challenge 3 and session x expire at exp, session
		// y later.
		x, y := residentSession(4, "r1", exp), residentSession(5, "r1", exp.Add(time.Second))
		for _, r := range []resapi.SessionRecord{x, y} {
			if err := s.CreateResidentSession(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.PruneResidentSessions(ctx, exp.Add(-time.Microsecond)); err != nil || n != 0 {
			t.Errorf("PruneResidentSessions(before expiry) = %d, %v; want 0", n, err)
		}
		if n, err := s.PruneResidentSessions(ctx, exp); err != nil || n != 2 {
			t.Errorf("PruneResidentSessions(expiry) = %d, %v; want 2 (session x, challenge 3)", n, err)
		}
		if _, err := s.ResidentSession(ctx, y.IDHash); err != nil {
			t.Errorf("session y after pruning: %v", err)
		}
		if err := s.UseResidentChallenge(ctx, h(3), rt0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UseResidentChallenge(pruned) = %v, want ErrNotFound", err)
		}
	})
}

// testResidentErasure: the erasure deletes a resident's disclosures,
// identity anchors and guardian links (as minor and as guardian) and
// nobody else's.
func testResidentErasure(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		for i, id := range []string{"r1", "r2", "r3"} {
			if err := s.PutIdentityAnchor(ctx, enrol.IdentityAnchor{Index: bytes.Repeat([]byte{byte(i + 1)}, 32),
				KeyID: "bi-1", ResidentID: id, Pathway: enrol.PathwayChip, CreatedAt: rt0}); err != nil {
				t.Fatal(err)
			}
			for j := range 2 {
				if err := s.RecordDisclosure(ctx, oidc.Disclosure{ID: fmt.Sprintf("d-%s-%d", id, j), ResidentID: id,
					ClientID: "rp-1", GrantID: "g-1", At: rt0, ACR: enrol.AssuranceLow, Claims: []rp.Claim{rp.ClaimAgeOver18},
					Kind: oidc.DisclosureCode}); err != nil {
					t.Fatal(err)
				}
			}
		}
		// r1 is the guardian of r2 and the minor of r3.
		for _, l := range [][2]string{{"r2", "r1"}, {"r1", "r3"}, {"r2", "r3"}} {
			if err := s.PutGuardianLink(ctx, enrol.GuardianLink{MinorID: l[0], GuardianID: l[1],
				Relationship: enrol.RelationshipParent, EvidenceKind: enrol.GuardianEvidenceOther, Kind: enrol.LinkApproval,
				CreatedAt: rt0}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.DeleteDisclosuresOf(ctx, "r1"); err != nil || n != 2 {
			t.Errorf("DeleteDisclosuresOf(r1) = %d, %v; want 2", n, err)
		}
		if n, err := s.DeleteIdentityAnchorsOf(ctx, "r1"); err != nil || n != 1 {
			t.Errorf("DeleteIdentityAnchorsOf(r1) = %d, %v; want 1", n, err)
		}
		if n, err := s.DeleteGuardianLinksOf(ctx, "r1"); err != nil || n != 2 {
			t.Errorf("DeleteGuardianLinksOf(r1) = %d, %v; want 2", n, err)
		}
		for _, f := range []func() (int64, error){
			func() (int64, error) { return s.DeleteDisclosuresOf(ctx, "") },
			func() (int64, error) { return s.DeleteIdentityAnchorsOf(ctx, "") },
			func() (int64, error) { return s.DeleteGuardianLinksOf(ctx, "") },
		} {
			if _, err := f(); err == nil {
				t.Error("erasure with an empty resident id succeeded, want an invalid-argument error")
			}
		}
		if d, err := s.DisclosuresOf(ctx, "r1", time.Time{}, 10); err != nil || len(d) != 0 {
			t.Errorf("DisclosuresOf(r1) = %d, %v; want none", len(d), err)
		}
		if d, err := s.DisclosuresOf(ctx, "r2", time.Time{}, 10); err != nil || len(d) != 2 {
			t.Errorf("DisclosuresOf(r2) = %d, %v; want 2", len(d), err)
		}
		if a, err := s.IdentityAnchorsOf(ctx, "r2"); err != nil || len(a) != 1 {
			t.Errorf("IdentityAnchorsOf(r2) = %d, %v; want 1", len(a), err)
		}
		if l, err := s.GuardianLinksOfMinor(ctx, "r2"); err != nil || len(l) != 1 || l[0].GuardianID != "r3" {
			t.Errorf("GuardianLinksOfMinor(r2) = %+v, %v; want the link to r3 only", l, err)
		}
	})
}

// testConcurrentUseResidentChallenge: of many callers using one challenge
// at once, on as many connections, exactly one succeeds.
func testConcurrentUseResidentChallenge(t *testing.T, e Engine) {
	s := open(t, e)
	ctx := context.Background()
	hash := bytes.Repeat([]byte{7}, 32)
	if err := s.PutResidentChallenge(ctx, resapi.ChallengeRecord{Hash: hash, CreatedAt: rt0, ExpiresAt: rt0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	const callers = 8
	var wg sync.WaitGroup
	errs := make([]error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.InTx(ctx, func(ctx context.Context) error { return s.UseResidentChallenge(ctx, hash, rt0) })
		}()
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, store.ErrNotFound):
			t.Errorf("caller %d: UseResidentChallenge = %v, want nil or ErrNotFound", i, err)
		}
	}
	if ok != 1 {
		t.Errorf("%d callers used the challenge, want exactly 1", ok)
	}
}
