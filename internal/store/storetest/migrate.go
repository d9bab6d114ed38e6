package storetest

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/store/sqlstore"
)

func testMigrations(t *testing.T, e Engine) {
	ctx := context.Background()
	s := e.Open(t)
	all := s.Migrations()
	if len(all) == 0 || all[0] != "0001_init" {
		t.Fatalf("Migrations() = %q, want a list starting with 0001_init", all)
	}
	steps := []struct {
		name        string
		migrate     bool
		wantApplied []string
		wantPending []string
	}{
		{name: "fresh database", wantPending: all},
		{name: "first run", migrate: true, wantApplied: all},
		{name: "second run", migrate: true},
		{name: "third run", migrate: true},
	}
	for _, st := range steps {
		if st.migrate {
			applied, err := s.Migrate(ctx)
			if err != nil {
				t.Fatalf("%s: Migrate() error = %v", st.name, err)
			}
			if diff := cmp.Diff(st.wantApplied, applied); diff != "" {
				t.Errorf("%s: Migrate() applied mismatch (-want +got):\n%s", st.name, diff)
			}
		}
		pending, err := s.PendingMigrations(ctx)
		if err != nil {
			t.Fatalf("%s: PendingMigrations() error = %v", st.name, err)
		}
		if diff := cmp.Diff(st.wantPending, pending); diff != "" {
			t.Errorf("%s: PendingMigrations() mismatch (-want +got):\n%s", st.name, diff)
		}
	}
}

func testMigrationFailure(t *testing.T, e Engine) {
	ctx := context.Background()
	fsys := fstest.MapFS{
		"0001_first.sql":  {Data: []byte("CREATE TABLE first_table (x INTEGER NOT NULL)")},
		"0002_broken.sql": {Data: []byte("CREATE TABLE second_table (x INTEGER NOT NULL);\nINSERT INTO no_such_table VALUES (1)")},
		"0010_later.sql":  {Data: []byte("CREATE TABLE later_table (x INTEGER NOT NULL)")},
		"README":          {Data: []byte("not a migration")},
	}
	s := e.Open(t, sqlstore.WithMigrations(fsys))
	if diff := cmp.Diff([]string{"0001_first", "0002_broken", "0010_later"}, s.Migrations()); diff != "" {
		t.Fatalf("Migrations() mismatch (-want +got):\n%s", diff)
	}
	for run := range 2 {
		applied, err := s.Migrate(ctx)
		if err == nil {
			t.Fatalf("run %d: Migrate() = nil error, want the failure of 0002_broken", run)
		}
		var want []string
		if run == 0 {
			want = []string{"0001_first"}
		}
		if diff := cmp.Diff(want, applied); diff != "" {
			t.Errorf("run %d: Migrate() applied mismatch (-want +got):\n%s", run, diff)
		}
		pending, err := s.PendingMigrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"0002_broken", "0010_later"}, pending); diff != "" {
			t.Errorf("run %d: PendingMigrations() mismatch (-want +got):\n%s", run, diff)
		}
	}
}
