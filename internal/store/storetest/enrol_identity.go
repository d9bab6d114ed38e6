package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// testResidentIdentity checks ResidentIdentity, the narrow read behind
// enrol.Service.Identity: it returns exactly the identity column that
// Resident returns, after every write (including one earlier in the same
// transaction), empty for a deleted resident, and ErrNotFound for an id
// that matches no row bytewise.
func testResidentIdentity(t *testing.T, e Engine) {
	eachTxMode(t, e, func(t *testing.T, s *sqlstore.Store, ctx context.Context) {
		r1 := resident("r1", "BBBBBBBBB1", []byte("phone-1"), 1)
		r2 := resident("r2", "BBBBBBBBB2", nil, 2)
		for _, r := range []enrol.ResidentRecord{r1, r2} {
			if err := s.CreateResident(ctx, r); err != nil {
				t.Fatalf("CreateResident(%s) = %v", r.ID, err)
			}
		}
		// check compares ResidentIdentity(id) with want and with what
		// the whole-row read returns.
		check := func(step, id string, want []byte) {
			t.Helper()
			got, err := s.ResidentIdentity(ctx, id)
			if err != nil {
				t.Fatalf("%s: ResidentIdentity(%s) error = %v", step, id, err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: ResidentIdentity(%s) = %x, want %x", step, id, got, want)
			}
			r, err := s.Resident(ctx, id)
			if err != nil {
				t.Fatalf("%s: Resident(%s) error = %v", step, id, err)
			}
			if !bytes.Equal(got, r.Identity) {
				t.Errorf("%s: ResidentIdentity(%s) = %x, Resident().Identity = %x", step, id, got, r.Identity)
			}
		}
		check("created", "r1", r1.Identity)
		check("created", "r2", r2.Identity)

		for _, id := range []string{"r9", "R1", "r1 ", " r1", "r", ""} {
			if got, err := s.ResidentIdentity(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("ResidentIdentity(%q) = %x, %v, want store.ErrNotFound", id, got, err)
			}
		}

		// Each step writes r1 and reads it back: the read is never stale,
		// and r2 is never touched.
		steps := []struct {
			name   string
			change func(r *enrol.ResidentRecord)
		}{
			{"identity replaced", func(r *enrol.ResidentRecord) { r.Identity = bytes.Repeat([]byte{0xee, 0x00}, 40) }},
			{"other columns only", func(r *enrol.ResidentRecord) { r.Template, r.PasswordHash = nil, "$argon2id$other" }},
			{"deleted", func(r *enrol.ResidentRecord) {
				// What enrol.DeleteResident writes: the sealed columns wiped.
				r.Status, r.Identity, r.Phone, r.PhoneIndex, r.Template, r.DynamicSecret = enrol.StatusDeleted, nil, nil, nil, nil, nil
			}},
		}
		cur := r1
		for _, st := range steps {
			next := cur
			st.change(&next)
			next.Version = cur.Version + 1
			if err := s.UpdateResident(ctx, cur.Version, next); err != nil {
				t.Fatalf("%s: UpdateResident() = %v", st.name, err)
			}
			cur = next
			check(st.name, "r1", cur.Identity)
			check(st.name, "r2", r2.Identity)
		}
		if got, _ := s.ResidentIdentity(ctx, "r1"); len(got) != 0 {
			t.Errorf("ResidentIdentity(deleted) = %x, want empty", got)
		}
	})
}
