package wallet_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/resident/residenttest"
	"github.com/netid/netid/internal/wallet"
)

// A guardian's wallet lists its minor and manages the minor's account
// through the client: consents, certificates, locks; a stranger's wallet
// finds no such minor (404), and an id that tries to leave its path
// segment stays in it.
func TestWalletMinorsClient(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := residenttest.New(t, enroltest.WithEngine(engine))
			g := enrolResidentWallet(t, e, "E70000101", 711)
			stranger := enrolResidentWallet(t, e, "E70000102", 712)
			m := e.EnrolWithIDCard(t, document.NewDate(e.Clock.Now().AddDate(-16, 0, 0)))
			if err := g.c.ApproveMinor(ctx, wallet.MinorApprovalRequest{
				Guardian:            wallet.GuardianLogin{InternetNumber: string(g.person.InternetNumber), Password: goodPassword},
				MinorInternetNumber: string(m.InternetNumber), ApprovalCode: m.ApprovalCode,
				Relationship: "parent", EvidenceKind: "household-register", EvidenceReference: "HR-0101",
			}); err != nil {
				t.Fatalf("ApproveMinor: %v", err)
			}
			shop := e.NewRP(t, "Shop")
			shop.Login(m)

			token := g.signIn(t)
			ms, err := g.c.Minors(ctx, token)
			if err != nil || len(ms) != 1 || ms[0].ID != m.ID || ms[0].InternetNumber != string(m.InternetNumber) ||
				ms[0].Status != "active" || ms[0].GuardianshipEnds != document.NewDate(e.Clock.Now().AddDate(2, 0, 0)).String() {
				t.Fatalf("Minors = %+v, %v; want %s, active, until in two years", ms, err, m.ID)
			}
			cs, err := g.c.MinorConsents(ctx, token, m.ID)
			if err != nil || len(cs) != 1 || cs[0].Platform != "Shop" {
				t.Fatalf("MinorConsents = %+v, %v", cs, err)
			}
			certs, err := g.c.MinorCertificates(ctx, token, m.ID)
			if err != nil || len(certs) != 1 || certs[0].Status != "valid" {
				t.Errorf("MinorCertificates = %+v, %v", certs, err)
			}
			if own, err := g.c.Certificates(ctx, token); err != nil || len(own) != 1 || len(certs) == 1 && own[0].Serial == certs[0].Serial {
				t.Errorf("the guardian's own Certificates = %+v, %v; want theirs, not the minor's", own, err)
			}
			st, err := g.c.MinorSetLock(ctx, token, m.ID, "password", true)
			if err != nil || st.Method != "password" || !st.Locked {
				t.Errorf("MinorSetLock(lock) = %+v, %v", st, err)
			}
			locked := func(locks []wallet.LockState) bool {
				for _, l := range locks {
					if l.Method == "password" {
						return l.Locked
					}
				}
				return false
			}
			if ls, err := g.c.MinorLocks(ctx, token, m.ID); err != nil || !locked(ls) {
				t.Errorf("MinorLocks after the lock = %+v, %v", ls, err)
			}
			if ls, err := g.c.Locks(ctx, token); err != nil || locked(ls) {
				t.Errorf("the guardian's own Locks = %+v, %v; want the password unlocked", ls, err)
			}
			if st, err := g.c.MinorSetLock(ctx, token, m.ID, "password", false); err != nil || st.Locked {
				t.Errorf("MinorSetLock(unlock) = %+v, %v", st, err)
			}
			if err := g.c.MinorWithdrawConsent(ctx, token, m.ID, shop.ClientID()); err != nil {
				t.Errorf("MinorWithdrawConsent: %v", err)
			}
			if cs, err := g.c.MinorConsents(ctx, token, m.ID); err != nil || len(cs) != 0 {
				t.Errorf("MinorConsents after the withdrawal = %+v, %v", cs, err)
			}

			st2 := stranger.signIn(t)
			if ms, err := stranger.c.Minors(ctx, st2); err != nil || len(ms) != 0 {
				t.Errorf("a stranger's Minors = %+v, %v; want none", ms, err)
			}
			notFound := []struct {
				name string
				call func() error
			}{
				{"stranger consents", func() error { _, err := stranger.c.MinorConsents(ctx, st2, m.ID); return err }},
				{"stranger certificates", func() error { _, err := stranger.c.MinorCertificates(ctx, st2, m.ID); return err }},
				{"stranger lock", func() error { _, err := stranger.c.MinorSetLock(ctx, st2, m.ID, "account", true); return err }},
				{"stranger revoke", func() error {
					return stranger.c.MinorRevokeCertificate(ctx, st2, m.ID, certs[0].Serial, "keyCompromise")
				}},
				{"guardian, a stranger's number", func() error {
					_, err := g.c.MinorConsents(ctx, token, string(stranger.person.InternetNumber))
					return err
				}},
				{"guardian, an id with slashes", func() error { _, err := g.c.MinorLocks(ctx, token, m.ID+"/../../"+m.ID); return err }},
			}
			for _, tt := range notFound {
				var p *wallet.Problem
				if err := tt.call(); !errors.As(err, &p) || p.Status != http.StatusNotFound || p.Slug() != wallet.ProblemNotFound {
					t.Errorf("%s = %v, want a 404 not-found problem", tt.name, err)
				}
			}
			// The stranger's refusals changed nothing.
			if certs, err := g.c.MinorCertificates(ctx, token, m.ID); err != nil || len(certs) != 1 || certs[0].Status != "valid" {
				t.Errorf("MinorCertificates after the stranger = %+v, %v", certs, err)
			}
			if ls, err := g.c.MinorLocks(ctx, token, m.ID); err != nil || locked(ls) {
				t.Errorf("MinorLocks after the stranger = %+v, %v", ls, err)
			}
		})
	}
}
