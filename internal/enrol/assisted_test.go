package enrol_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
	"github.com/netid/netid/internal/store"
)

func TestAssistedThenUpgraded(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	regID, token, err := e.Service.CreateRegistrar(ctx, "Registrar office 1")
	if err != nil {
		t.Fatalf("CreateRegistrar() error = %v", err)
	}
	reg, err := e.Service.AuthenticateRegistrar(ctx, token)
	if err != nil || reg.ID != regID || reg.Name != "Registrar office 1" {
		t.Fatalf("AuthenticateRegistrar() = %+v, %v; want the registrar", reg, err)
	}
	if _, err := e.Service.AuthenticateRegistrar(ctx, token+"x"); !errors.Is(err, enrol.ErrUnauthorized) {
		t.Errorf("AuthenticateRegistrar(wrong token) error = %v, want ErrUnauthorized", err)
	}
	birth := e.BirthForAge(29)
	ev := enrol.AssistedEvidence{Kind: enrol.AssistedRefugeeRegistration, Reference: "unhcr 123-456",
		Issuer: "UNHCR", Name: "Amina Test", BirthDate: birth, Sex: "F", Notes: "no passport"}
	if _, err := e.Service.StartAssisted(ctx, "not-a-registrar", ev, nil); !errors.Is(err, enrol.ErrUnauthorized) {
		t.Errorf("StartAssisted(unknown registrar) error = %v, want ErrUnauthorized", err)
	}
	bad := ev
	bad.Kind, bad.Reference = "passport-photocopy", " "
	if _, err := e.Service.StartAssisted(ctx, regID, bad, nil); !errors.Is(err, enrol.ErrInvalidRequest) {
		t.Errorf("StartAssisted(bad evidence) error = %v, want ErrInvalidRequest", err)
	}
	st, err := e.Service.StartAssisted(ctx, regID, ev, nil)
	if err != nil {
		t.Fatalf("StartAssisted() error = %v", err)
	}
	if st.Pathway != enrol.PathwayAssisted || !st.PhoneOptional {
		t.Errorf("StartAssisted() = pathway %q, phone optional %t; want assisted, true", st.Pathway, st.PhoneOptional)
	}
	done, err := e.wallet(st).complete("", 101, false, goodPassword)
	if err != nil {
		t.Fatalf("assisted enrolment: %v", err)
	}
	if done.Pathway != enrol.PathwayAssisted || done.AssuranceCeiling != enrol.AssuranceSubstantial {
		t.Errorf("Complete() = pathway %q, ceiling %q; want assisted, substantial", done.Pathway, done.AssuranceCeiling)
	}
	r, err := e.Store.Resident(ctx, done.ResidentID)
	if err != nil || r.RegistrarID != regID || len(r.PhoneIndex) != 0 {
		t.Errorf("Resident() = registrar %q, phone index %x, %v; want the registrar recorded, no phone", r.RegistrarID, r.PhoneIndex, err)
	}
	// The same registration cannot enrol twice, however it is typed.
	again := ev
	again.Reference = "  UNHCR   123-456 "
	if _, err := e.Service.StartAssisted(ctx, regID, again, nil); !errors.Is(err, enrol.ErrDuplicateIdentity) {
		t.Errorf("StartAssisted(same registration) error = %v, want ErrDuplicateIdentity", err)
	}

	// The resident later gets a passport: same birth date.
	chip := e.chip("U00000001", 29, 101)
	if _, err := e.Service.Upgrade(ctx, done.ResidentID, enrol.Evidence{Chip: chip}, e.upgradeFace(done.ResidentID, 101)); err != nil {
		t.Fatalf("Upgrade(passport) error = %v", err)
	}
	acct, err := e.Service.Resident(ctx, done.ResidentID)
	if err != nil {
		t.Fatal(err)
	}
	if acct.InternetNumber != done.InternetNumber || acct.Pathway != enrol.PathwayChip || acct.AssuranceCeiling != enrol.AssuranceSubstantial {
		t.Errorf("after Upgrade: %+v; want number %s kept, pathway document-chip, ceiling substantial", acct, done.InternetNumber)
	}
	anchors, err := e.Store.IdentityAnchorsOf(ctx, done.ResidentID)
	if err != nil || len(anchors) != 2 {
		t.Errorf("IdentityAnchorsOf() = %d, %v; want 2 (registration and passport)", len(anchors), err)
	}
	// Upgrading again with the same passport changes nothing.
	up, err := e.Service.Upgrade(ctx, done.ResidentID, enrol.Evidence{Chip: chip}, e.upgradeFace(done.ResidentID, 101))
	if err != nil || up.Pathway != enrol.PathwayChip {
		t.Errorf("second Upgrade() = %+v, %v; want unchanged, nil", up, err)
	}
	// The passport can no longer start an enrolment of its own.
	if _, err := e.startChip(chip, nil); !errors.Is(err, enrol.ErrDuplicateIdentity) {
		t.Errorf("Start(upgraded passport) error = %v, want ErrDuplicateIdentity", err)
	}

	// A document of another enrolled person is refused.
	e.enrolAdult("U00000002", 102, "13800138102", goodPassword)
	otherChip := e.chip("U00000002", 35, 102)
	if _, err := e.Service.Upgrade(ctx, done.ResidentID, enrol.Evidence{Chip: otherChip}, e.upgradeFace(done.ResidentID, 102)); !errors.Is(err, enrol.ErrDuplicateIdentity) {
		t.Errorf("Upgrade(another resident's passport) error = %v, want ErrDuplicateIdentity", err)
	}
	// A document of someone born on another day is refused.
	card := e.idCard("Amina Test", e.BirthForAge(40), "F", 9)
	if _, err := e.Service.Upgrade(ctx, done.ResidentID, enrol.Evidence{Authority: card}, e.upgradeFace(done.ResidentID, 101)); !errors.Is(err, enrol.ErrUpgradeMismatch) {
		t.Errorf("Upgrade(other birth date) error = %v, want ErrUpgradeMismatch", err)
	}
	if _, err := e.Service.Upgrade(ctx, "nobody", enrol.Evidence{Authority: e.idCard("某", e.BirthForAge(40), "F", 10)}, e.upgradeFace("nobody", 103)); !errors.Is(err, enrol.ErrNotFound) {
		t.Errorf("Upgrade(unknown resident) error = %v, want ErrNotFound", err)
	}
}

func TestChildAssisted(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	parent := e.enrolAdult("G00000001", 111, "13800138111", goodPassword)
	regID, _, err := e.Service.CreateRegistrar(ctx, "Registrar office 2")
	if err != nil {
		t.Fatal(err)
	}
	ev := enrol.AssistedEvidence{Kind: enrol.AssistedBirthCertificate, Reference: "BC 77", Issuer: "Hospital",
		Name: "Child Test", BirthDate: e.BirthForAge(6)}
	if _, err := e.Service.StartAssisted(ctx, regID, ev, nil); !errors.Is(err, enrol.ErrGuardianRequired) {
		t.Errorf("StartAssisted(child, no guardian) error = %v, want ErrGuardianRequired", err)
	}
	st, err := e.Service.StartAssisted(ctx, regID, ev, application(parent.ResidentID))
	if err != nil {
		t.Fatalf("StartAssisted(child, guardian) error = %v", err)
	}
	if _, err := e.wallet(st).complete("", 112, false, goodPassword); err != nil {
		t.Fatalf("assisted child enrolment: %v", err)
	}
}

// TestConcurrentDuplicateEnrolment runs two enrolments of the same
// passport to the last step and completes them at once: exactly one
// account results, the other gets ErrDuplicateIdentity, and nothing of the
// loser (number, certificate) remains.
func TestConcurrentDuplicateEnrolment(t *testing.T) {
	for _, tc := range []struct{ engine, suite string }{{"sqlite", "intl"}, {"sqlite", "sm"}, {"postgres", "intl"}, {"postgres", "sm"}} {
		t.Run(tc.engine+"/"+tc.suite, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, enroltest.WithEngine(tc.engine), enroltest.WithSuite(tc.suite))
			ev := e.chip("Q00000001", 33, 121)
			var wallets []*wallet
			for i, number := range []string{"13800138121", "13800138122"} {
				st, err := e.startChip(ev, nil)
				if err != nil {
					t.Fatalf("Start(%d) error = %v", i, err)
				}
				w := e.wallet(st)
				if err := w.phone(number); err != nil {
					t.Fatal(err)
				}
				if _, err := w.face(121, false); err != nil {
					t.Fatal(err)
				}
				if err := e.Service.SetPassword(ctx, w.id(), w.token(), goodPassword); err != nil {
					t.Fatal(err)
				}
				wallets = append(wallets, w)
			}
			results := make([]enrol.Completed, len(wallets))
			errs := make([]error, len(wallets))
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, w := range wallets {
				csr := w.csr()
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i], errs[i] = e.Service.Complete(ctx, w.id(), w.token(), csr)
				}()
			}
			close(start)
			wg.Wait()
			won, lost := 0, 0
			var winner enrol.Completed
			for i, err := range errs {
				switch {
				case err == nil:
					won++
					winner = results[i]
				case errors.Is(err, enrol.ErrDuplicateIdentity):
					lost++
				default:
					t.Errorf("Complete(%d) error = %v, want nil or ErrDuplicateIdentity", i, err)
				}
			}
			if won != 1 || lost != 1 {
				t.Fatalf("%d completed, %d refused as duplicates; want 1 and 1", won, lost)
			}
			// The loser's candidate number was never recorded and no
			// certificate was issued to it.
			for i, w := range wallets {
				rec, err := e.Store.Enrolment(ctx, w.id())
				if err != nil {
					t.Fatal(err)
				}
				if errs[i] == nil {
					continue
				}
				if _, err := e.Store.InternetNumber(ctx, rec.Number); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("loser's number: InternetNumber() error = %v, want store.ErrNotFound", err)
				}
				certs, err := e.Store.CertificatesFor(ctx, rec.Number)
				if err != nil || len(certs) != 0 {
					t.Errorf("loser's certificates = %d, %v; want none", len(certs), err)
				}
				if _, err := e.Store.Resident(ctx, rec.ResidentID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("loser's resident: error = %v, want store.ErrNotFound", err)
				}
			}
			certs, err := e.Store.CertificatesFor(ctx, string(winner.InternetNumber))
			if err != nil || len(certs) != 1 {
				t.Errorf("winner's certificates = %d, %v; want 1", len(certs), err)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (enrol.Config{}).Validate(); err != nil {
		t.Errorf("zero Config.Validate() = %v, want nil (defaults)", err)
	}
	bad := enrol.Config{
		EnrolmentTTL:    -time.Minute,
		MaxFaceAttempts: -1,
		ChipCeiling:     "very-high",
		AssistedCeiling: enrol.AssuranceHigh,
		ChildMaxAge:     17,
		PhoneRegion:     "CHN",
	}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want every problem")
	}
	for _, want := range []string{"enrolment TTL", "max face attempts", "chip ceiling", "assisted ceiling", "ages", "phone region"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %q, want it to mention %q", err, want)
		}
	}
}
