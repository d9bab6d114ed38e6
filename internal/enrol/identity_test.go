package enrol_test

import (
	"context"
	"errors"
	"testing"

	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// Identity reads the resident afresh at each call: after a deletion it no
// longer returns the identity and fails with envelope.ErrShredded (the
// tombstone row remains, its sealed column wiped). An unknown id, or one
// that differs only in case or spacing, is ErrNotFound.
func TestIdentityFreshAndDeleted(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, enroltest.WithEngine(engine))
			done := e.enrolAdult("E55500011", 561, "+8613800005611", goodPassword)
			before, err := e.Service.Identity(ctx, done.ResidentID)
			if err != nil {
				t.Fatalf("Identity() before deletion: %v", err)
			}
			if before.DocumentNumber != "E55500011" {
				t.Errorf("Identity().DocumentNumber = %q, want E55500011", before.DocumentNumber)
			}
			for _, id := range []string{"nobody", "", done.ResidentID + " ", " " + done.ResidentID} {
				if _, err := e.Service.Identity(ctx, id); !errors.Is(err, enrol.ErrNotFound) {
					t.Errorf("Identity(%q) error = %v, want ErrNotFound", id, err)
				}
			}

			d, err := e.Service.PrepareDeletion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Service.DeleteResident(ctx, done.ResidentID, d); err != nil {
				t.Fatalf("DeleteResident: %v", err)
			}
			got, err := e.Service.Identity(ctx, done.ResidentID)
			if !errors.Is(err, envelope.ErrShredded) {
				t.Errorf("Identity() after deletion = %+v, %v; want envelope.ErrShredded", got, err)
			}
			if got != (enrol.Identity{}) {
				t.Errorf("Identity() after deletion returned data: %+v", got)
			}
		})
	}
}
