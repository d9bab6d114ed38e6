package enrol_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// ownerKey creates a data key for owner and unlocks it until the test
// ends.
func (e *env) ownerKey(owner string) *envelope.OwnerKey {
	e.T.Helper()
	ctx := context.Background()
	if err := e.Envelope.CreateDataKey(ctx, owner); err != nil {
		e.T.Fatal(err)
	}
	key, err := e.Envelope.Unlock(ctx, owner)
	if err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(key.Close)
	return key
}

// putBulkResident writes resident id with identity ident and dynamic-code
// secret as a bulk loader does: straight to the store, its record built
// with enrol's exported sealing and anchor functions.
func (e *env) putBulkResident(id string, ident enrol.Identity, secret []byte) {
	e.T.Helper()
	ctx := context.Background()
	now := e.Clock.Now().UTC().Truncate(time.Microsecond)
	number, err := credential.NewInternetNumber(nil)
	if err != nil {
		e.T.Fatal(err)
	}
	key := e.ownerKey(id)
	sealedID, err := enrol.SealIdentity(key, ident, "bulk-test")
	if err != nil {
		e.T.Fatalf("SealIdentity() error = %v", err)
	}
	sealedSecret, err := enrol.SealDynamicSecret(key, secret)
	if err != nil {
		e.T.Fatalf("SealDynamicSecret() error = %v", err)
	}
	keyID, idx, err := e.Keys.ActiveMAC(ctx, keystore.BlindIndex, enrol.AnchorIndexInput(ident.AnchorAuthority, ident.AnchorPerson))
	if err != nil {
		e.T.Fatal(err)
	}
	err = e.Store.InTx(ctx, func(ctx context.Context) error {
		if err := e.Store.PutInternetNumber(ctx, enrol.InternetNumberRecord{Number: string(number), ResidentID: id, AssignedAt: now}); err != nil {
			return err
		}
		if err := e.Store.PutIdentityAnchor(ctx, enrol.IdentityAnchor{
			Index: idx, KeyID: keyID, ResidentID: id, Pathway: enrol.PathwayAuthority, CreatedAt: now,
		}); err != nil {
			return err
		}
		return e.Store.CreateResident(ctx, enrol.ResidentRecord{
			ID: id, InternetNumber: string(number), Status: enrol.StatusActive, Pathway: enrol.PathwayAuthority,
			Ceiling: enrol.AssuranceSubstantial, Identity: sealedID, DynamicSecret: sealedSecret,
			CreatedAt: now, UpdatedAt: now, Version: 1,
		})
	})
	if err != nil {
		e.T.Fatalf("storing the bulk resident: %v", err)
	}
}

// TestBulkResidentReadAsEnrolled: a resident record built with the
// exported bulk-loading functions opens through the Service (identity,
// dynamic code), and its anchor is the one enrolment looks up, so that
// enrolling the same person is refused as a duplicate while another
// person enrols.
func TestBulkResidentReadAsEnrolled(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, enroltest.WithEngine(engine), enroltest.WithConfig(roomyConfig()))
			e.toStepStart()
			card := e.RegisterIDCard("Li Na", e.BirthForAge(41), "F", 1)
			num, err := document.ValidateNumber(document.ResidentIDCard, card.Number, e.Clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			// The identity enrolment establishes from this card
			// (verifyAuthority): anchored at "CHN" and the person number.
			want := enrol.Identity{
				Name: card.Name, BirthDate: card.Birth, Sex: card.Sex, Nationality: "CHN",
				DocType: string(document.ResidentIDCard), DocumentNumber: num.Number, IssuingState: "CHN",
				AnchorAuthority: "CHN", AnchorPerson: num.PersonNumber,
			}
			secret := make([]byte, enrol.DynamicSecretSize)
			rand.Read(secret)
			const id = "bulk-resident-1"
			e.putBulkResident(id, want, secret)

			got, err := e.Service.Identity(ctx, id)
			if err != nil {
				t.Fatalf("Identity() error = %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Identity() mismatch (-want +got):\n%s", diff)
			}
			c := codes{e: e, gen: credential.NewDynamicCode(secret)}
			if err := e.Service.VerifyDynamicCode(ctx, id, c.wrong(), "192.0.2.9"); !errors.Is(err, enrol.ErrBadDynamicCode) {
				t.Errorf("VerifyDynamicCode(wrong code) error = %v, want ErrBadDynamicCode", err)
			}
			if err := e.Service.VerifyDynamicCode(ctx, id, c.at(0), "192.0.2.9"); err != nil {
				t.Errorf("VerifyDynamicCode(right code) error = %v", err)
			}

			if _, err := e.startAuthority(card.Evidence(), nil); !errors.Is(err, enrol.ErrDuplicateIdentity) {
				t.Errorf("Start(the bulk resident's card) error = %v, want ErrDuplicateIdentity", err)
			}
			other := e.idCard("Li Na", card.Birth, "F", 2)
			if _, err := e.startAuthority(other, nil); err != nil {
				t.Errorf("Start(another person's card) error = %v", err)
			}
		})
	}
}

// TestBulkFormats pins the bytes the bulk-loading functions produce, which
// are those enrolment writes: changing them orphans every stored identity
// and anchor, so it takes a migration, not an edit.
func TestBulkFormats(t *testing.T) {
	if got, want := string(enrol.AnchorIndexInput("CHN", "11010519850314002X")), "netid/identity-anchor/v1\x00CHN\x0011010519850314002X"; got != want {
		t.Errorf("AnchorIndexInput() = %q, want %q", got, want)
	}
	key := newEnv(t).ownerKey("bulk-format")
	birth := document.NewDate(time.Date(1985, 3, 14, 0, 0, 0, 0, time.UTC))
	ct, err := enrol.SealIdentity(key, enrol.Identity{
		Name: "Li Na", BirthDate: birth, Sex: "F", Nationality: "CHN", DocType: "resident-id",
		DocumentNumber: "11010519850314002X", IssuingState: "CHN", AnchorAuthority: "CHN", AnchorPerson: "11010519850314002X",
	}, "sim-mps:42")
	if err != nil {
		t.Fatal(err)
	}
	pt, err := key.Open("identity", ct)
	if err != nil {
		t.Fatalf("opening the identity field: %v", err)
	}
	wantJSON := `{"name":"Li Na","birth_date":"1985-03-14","sex":"F","nationality":"CHN","doc_type":"resident-id",` +
		`"document_number":"11010519850314002X","issuing_state":"CHN","anchor_authority":"CHN",` +
		`"anchor_person":"11010519850314002X","verification":"sim-mps:42"}`
	if string(pt) != wantJSON {
		t.Errorf("sealed identity = %s\nwant %s", pt, wantJSON)
	}
	secret := []byte(strings.Repeat("s", enrol.DynamicSecretSize))
	ct, err = enrol.SealDynamicSecret(key, secret)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := key.Open("dynamic-code-secret", ct); err != nil || string(pt) != string(secret) {
		t.Errorf("opening the dynamic-code field = %q, %v, want the secret", pt, err)
	}
}

// TestBulkSealRefusals: what enrolment never seals is refused.
func TestBulkSealRefusals(t *testing.T) {
	e := newEnv(t)
	key := e.ownerKey("bulk-refusals")
	good := enrol.Identity{Name: "Li Na", BirthDate: e.BirthForAge(30), AnchorAuthority: "netid-seed", AnchorPerson: "RUN-1"}
	if _, err := enrol.SealIdentity(key, good, "bulk-test"); err != nil {
		t.Fatalf("SealIdentity(good) error = %v", err)
	}
	for _, c := range []struct {
		name   string
		change func(*enrol.Identity)
	}{
		{"no name", func(id *enrol.Identity) { id.Name = "" }},
		{"no birth date", func(id *enrol.Identity) { id.BirthDate = document.Date{} }},
		{"no anchor authority", func(id *enrol.Identity) { id.AnchorAuthority = "" }},
		{"no anchor person", func(id *enrol.Identity) { id.AnchorPerson = "" }},
		{"NUL in the authority", func(id *enrol.Identity) { id.AnchorAuthority = "CHN\x00x" }},
		{"NUL in the person", func(id *enrol.Identity) { id.AnchorPerson = "1\x002" }},
		{"assisted", func(id *enrol.Identity) { id.AssistedKind = enrol.AssistedRefugeeRegistration }},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := good
			c.change(&id)
			if ct, err := enrol.SealIdentity(key, id, "bulk-test"); err == nil {
				t.Errorf("SealIdentity(%+v) = %d bytes, want an error", id, len(ct))
			}
		})
	}
	for _, n := range []int{0, 20, enrol.DynamicSecretSize + 1} {
		if ct, err := enrol.SealDynamicSecret(key, make([]byte, n)); err == nil {
			t.Errorf("SealDynamicSecret(%d bytes) = %d bytes, want an error", n, len(ct))
		}
	}
}

// TestCertificateAttributesAreEnrolments: the attributes a bulk loader
// commits to are those of an enrolled resident's certificate openings.
func TestCertificateAttributesAreEnrolments(t *testing.T) {
	e := newEnv(t)
	done := e.enrolAdult("E12345678", 7, "+8613800138000", goodPassword)
	id, err := e.Service.Identity(context.Background(), done.ResidentID)
	if err != nil {
		t.Fatal(err)
	}
	var opened []credential.Attribute
	for _, o := range done.Openings {
		opened = append(opened, credential.Attribute{Name: o.Attribute, Value: o.Value})
	}
	// The openings come in the certificate's order; the set is the point.
	byName := cmpopts.SortSlices(func(a, b credential.Attribute) bool { return a.Name < b.Name })
	if diff := cmp.Diff(opened, enrol.CertificateAttributes(id), byName); diff != "" {
		t.Errorf("CertificateAttributes() differs from the enrolment's openings (-enrolment +got):\n%s", diff)
	}
}
