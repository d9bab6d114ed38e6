package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// seedResident returns the rows of synthetic resident i, every one
// distinct.
func seedResident(i int, withCert bool) sqlstore.SeedResident {
	id, number := fmt.Sprintf("seed-%06d", i), fmt.Sprintf("S%09d", i)
	r := sqlstore.SeedResident{
		DataKey:  envelope.DataKey{Owner: id, KEKID: "kek-1", Wrapped: []byte("wrapped-" + id), Created: et0},
		Resident: resident(id, number, nil, i),
		Anchor: enrol.IdentityAnchor{Index: []byte("anchor-" + id), KeyID: "bi-1", ResidentID: id,
			Pathway: enrol.PathwayAuthority, CreatedAt: et0},
		Number: enrol.InternetNumberRecord{Number: number, ResidentID: id, AssignedAt: et0},
	}
	if withCert {
		r.Certificate = &credential.CertificateRecord{Serial: fmt.Sprintf("%032x", i+1), InternetNumber: number,
			CAKeyID: "ca-1", DeviceKeyFingerprint: "fp", NotBefore: et0, NotAfter: et0.Add(time.Hour),
			Issued: et0, DER: []byte("der-" + id)}
	}
	return r
}

// testSeedResidents: a bulk load writes exactly what the one-row methods
// read back, in batches larger than one statement's placeholders allow.
func testSeedResidents(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	const n = 2500 // residents have 16 columns: 2,500 rows need two INSERTs
	rs := make([]sqlstore.SeedResident, n)
	nums := make([]enrol.InternetNumberRecord, n)
	for i := range rs {
		rs[i] = seedResident(i, i%2 == 0)
		nums[i] = rs[i].Number
	}
	err := s.InTx(ctx, func(ctx context.Context) error {
		taken, err := s.SeedInternetNumbers(ctx, nums)
		if err != nil || len(taken) != 0 {
			return fmt.Errorf("SeedInternetNumbers() = %v, %v, want none taken", taken, err)
		}
		return s.SeedResidents(ctx, rs)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 1999, n - 1} {
		want := rs[i]
		got, err := s.ResidentByNumber(ctx, want.Resident.InternetNumber)
		if err != nil {
			t.Fatalf("ResidentByNumber(%d) error = %v", i, err)
		}
		if diff := cmp.Diff(want.Resident, got, equateEmpty); diff != "" {
			t.Errorf("resident %d mismatch (-want +got):\n%s", i, diff)
		}
		dk, err := s.DataKey(ctx, want.Resident.ID)
		if err != nil || !bytes.Equal(dk.Wrapped, want.DataKey.Wrapped) || dk.KEKID != want.DataKey.KEKID || !dk.Created.Equal(et0) {
			t.Errorf("DataKey(%d) = %+v, %v, want %+v", i, dk, err, want.DataKey)
		}
		a, err := s.IdentityAnchor(ctx, want.Anchor.Index)
		if err != nil || a.ResidentID != want.Resident.ID || a.KeyID != want.Anchor.KeyID {
			t.Errorf("IdentityAnchor(%d) = %+v, %v", i, a, err)
		}
		num, err := s.InternetNumber(ctx, want.Number.Number)
		if err != nil || num.ResidentID != want.Resident.ID || !num.RetiredAt.IsZero() {
			t.Errorf("InternetNumber(%d) = %+v, %v", i, num, err)
		}
		certs, err := s.CertificatesFor(ctx, want.Resident.InternetNumber)
		switch {
		case err != nil:
			t.Errorf("CertificatesFor(%d) error = %v", i, err)
		case want.Certificate == nil && len(certs) != 0:
			t.Errorf("CertificatesFor(%d) = %d certificates, want none", i, len(certs))
		case want.Certificate != nil && (len(certs) != 1 || certs[0].Serial != want.Certificate.Serial || !bytes.Equal(certs[0].DER, want.Certificate.DER)):
			t.Errorf("CertificatesFor(%d) = %+v, want the seeded one", i, certs)
		}
	}
}

// testSeedConflicts: numbers assigned before are reported, not inserted;
// a batch with one conflicting row leaves nothing of itself.
func testSeedConflicts(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	first := seedResident(1, false)
	if err := s.PutInternetNumber(ctx, first.Number); err != nil {
		t.Fatal(err)
	}
	nums := []enrol.InternetNumberRecord{seedResident(0, false).Number, first.Number, seedResident(2, false).Number}
	taken, err := s.SeedInternetNumbers(ctx, nums)
	if err != nil || !slices.Equal(taken, []string{first.Number.Number}) {
		t.Fatalf("SeedInternetNumbers() = %v, %v, want [%s]", taken, err, first.Number.Number)
	}
	if got, err := s.InternetNumber(ctx, nums[2].Number); err != nil || got.ResidentID != nums[2].ResidentID {
		t.Errorf("InternetNumber(new) = %+v, %v", got, err)
	}

	// The anchor of resident 5 exists already: the whole batch fails.
	if err := s.PutIdentityAnchor(ctx, seedResident(5, false).Anchor); err != nil {
		t.Fatal(err)
	}
	batch := []sqlstore.SeedResident{seedResident(4, true), seedResident(5, true)}
	err = s.InTx(ctx, func(ctx context.Context) error { return s.SeedResidents(ctx, batch) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("SeedResidents(anchor taken) = %v, want store.ErrConflict", err)
	}
	for _, r := range batch {
		if _, err := s.Resident(ctx, r.Resident.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Resident(%s) after the failed batch = %v, want store.ErrNotFound", r.Resident.ID, err)
		}
		if _, err := s.DataKey(ctx, r.Resident.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DataKey(%s) after the failed batch = %v, want store.ErrNotFound", r.Resident.ID, err)
		}
		if _, err := s.Certificate(ctx, r.Certificate.Serial); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Certificate(%s) after the failed batch = %v, want store.ErrNotFound", r.Certificate.Serial, err)
		}
	}

	// Inconsistent rows are refused before any statement runs.
	bad := seedResident(7, false)
	bad.DataKey.Owner = "someone-else"
	if err := s.SeedResidents(ctx, []sqlstore.SeedResident{bad}); err == nil || errors.Is(err, store.ErrConflict) {
		t.Errorf("SeedResidents(data key of another owner) = %v, want a validation error", err)
	}
}
