package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/netid/netid/internal/store/postgres"
)

// EnvURL names the environment variable holding the URL of the server on
// which New creates databases, for example
// postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable.
const EnvURL = "NETID_TEST_DATABASE_URL"

// connectTimeout bounds how long New waits for the server.
const connectTimeout = 10 * time.Second

// New creates a fresh, randomly named database on the server given by
// NETID_TEST_DATABASE_URL and returns a URL for it, with the same
// credentials and options. The database is dropped in tb.Cleanup, after
// terminating any connection left open, so callers should register their
// own cleanup (closing their pool) after calling New. See the package
// documentation for what happens when there is no server.
func New(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		unavailable(tb, ci(), EnvURL+" is not set")
		return "" // not reached: unavailable ends the test
	}
	if _, err := pgx.ParseConfig(base); err != nil {
		// Set but wrong is a mistake to fix, not a missing server.
		tb.Fatalf("pgtest: cannot parse %s", EnvURL)
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	admin, err := connect(ctx, base)
	if err != nil {
		unavailable(tb, ci(), err.Error())
		return ""
	}
	defer admin.Close(context.Background())

	name, err := randomName()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
		return ""
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("pgtest: create database %s on %s: %v", name, postgres.RedactURL(base), err)
		return ""
	}
	tb.Cleanup(func() {
		if err := drop(base, name); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	u, err := withDatabase(base, name)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
		return ""
	}
	return u
}

// ci reports whether the environment variable CI is true (as set by
// GitHub Actions, GitLab CI and most others).
func ci() bool {
	v, err := strconv.ParseBool(os.Getenv("CI"))
	return err == nil && v
}

// unavailable fails the test in CI and skips it elsewhere, saying how to
// run it.
func unavailable(tb testing.TB, inCI bool, reason string) {
	tb.Helper()
	if inCI {
		tb.Fatalf("pgtest: PostgreSQL is required when CI=true: %s", reason)
		return
	}
	tb.Skipf("pgtest: skipping PostgreSQL test: %s. To run it, use `bash .ci/test` (it starts a private server) "+
		"or set %s (e.g. postgres://postgres@127.0.0.1:54329/postgres?sslmode=disable)", reason, EnvURL)
}

// connect opens an administrative connection to base, with an error that
// never quotes the password.
func connect(ctx context.Context, base string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		return nil, fmt.Errorf("cannot parse %s", EnvURL)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		var pce *pgconn.ParseConfigError
		if errors.As(err, &pce) {
			return nil, fmt.Errorf("cannot parse %s", EnvURL)
		}
		return nil, fmt.Errorf("cannot connect to %s: %v", postgres.RedactURL(base), err)
	}
	return conn, nil
}

// drop terminates the connections to database name and drops it.
func drop(base, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	admin, err := connect(ctx, base)
	if err != nil {
		return fmt.Errorf("drop database %s: %v", name, err)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
		return fmt.Errorf("drop database %s: terminate connections: %w", name, err)
	}
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// randomName returns a database name no other test will pick.
func randomName() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random database name: %w", err)
	}
	return "netid_test_" + hex.EncodeToString(b), nil
}

// withDatabase returns base with its database replaced by name, in either
// libpq form.
func withDatabase(base, name string) (string, error) {
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		// keyword=value: a later keyword overrides an earlier one.
		return base + " dbname=" + name, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("cannot parse %s", EnvURL)
	}
	u.Path, u.RawPath = "/"+name, ""
	q := u.Query()
	if q.Has("dbname") || q.Has("database") {
		// A query parameter would override the path.
		q.Del("dbname")
		q.Del("database")
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}
