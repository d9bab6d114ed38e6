package pgtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// recorder is a testing.TB that records Skipf and Fatalf instead of ending
// the test, so that New's decisions can be checked.
type recorder struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped, r.msg = true, fmt.Sprintf(format, args...)
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed, r.msg = true, fmt.Sprintf(format, args...)
}

func TestNewWithoutServer(t *testing.T) {
	tests := []struct {
		name, url, ci string
		wantFail      bool
		wantIn        []string
	}{
		{name: "unset, outside CI", ci: "", wantIn: []string{"is not set", ".ci/test", EnvURL}},
		{name: "unset, CI=false", ci: "false", wantIn: []string{"is not set", ".ci/test"}},
		{name: "unset, CI=true", ci: "true", wantFail: true, wantIn: []string{"CI=true", "is not set"}},
		{name: "unreachable, outside CI", url: "postgres://netid:topsecret@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2",
			wantIn: []string{"cannot connect", "xxxxx", ".ci/test"}},
		{name: "unreachable, CI=1", url: "postgres://netid:topsecret@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2",
			ci: "1", wantFail: true, wantIn: []string{"cannot connect"}},
		{name: "unparseable, outside CI", url: "postgres://netid:topsecret@127.0.0.1:notaport/x", wantFail: true, wantIn: []string{"cannot parse"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvURL, tt.url)
			t.Setenv("CI", tt.ci)
			r := &recorder{TB: t}
			if got := New(r); got != "" {
				t.Errorf("New() = %q, want \"\"", got)
			}
			if r.failed != tt.wantFail || r.skipped == tt.wantFail {
				t.Errorf("New() failed=%v skipped=%v, want failed=%v skipped=%v", r.failed, r.skipped, tt.wantFail, !tt.wantFail)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(r.msg, w) {
					t.Errorf("message %q does not contain %q", r.msg, w)
				}
			}
			if strings.Contains(r.msg, "topsecret") {
				t.Errorf("message %q contains the password", r.msg)
			}
		})
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct{ base, want string }{
		{"postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable",
			"postgres://postgres@127.0.0.1:54329/netid_test_x?sslmode=disable"},
		{"postgresql://u:p%40ss@h", "postgresql://u:p%40ss@h/netid_test_x"},
		{"postgres://h/db?dbname=other&sslmode=disable", "postgres://h/netid_test_x?sslmode=disable"},
		{"host=/tmp user=postgres dbname=postgres", "host=/tmp user=postgres dbname=postgres dbname=netid_test_x"},
	}
	for _, tt := range tests {
		got, err := withDatabase(tt.base, "netid_test_x")
		if err != nil || got != tt.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q, nil", tt.base, got, err, tt.want)
		}
	}
}

// TestNew uses the real server: the database exists during the test, is
// empty, and is gone afterwards.
func TestNew(t *testing.T) {
	ctx := context.Background()
	var name string
	t.Run("use", func(t *testing.T) {
		u := New(t)
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatalf("connect to the new database: %v", err)
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "netid_test_") {
			t.Errorf("current_database() = %q, want a netid_test_ name", name)
		}
		var tables int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`).Scan(&tables); err != nil || tables != 0 {
			t.Errorf("new database has %d tables (%v), want 0", tables, err)
		}
		// Left open on purpose: the cleanup must terminate it.
		leaked, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		_ = leaked
	})
	if name == "" {
		return // the subtest skipped or failed
	}
	admin, err := connect(ctx, os.Getenv(EnvURL))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var n int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil || n != 0 {
		t.Errorf("database %s still exists after cleanup (count %d, %v)", name, n, err)
	}
}
