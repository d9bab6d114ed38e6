package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxOpenConns    = 20
	DefaultMaxIdleConns    = 10
	DefaultConnMaxLifetime = 30 * time.Minute
	DefaultConnMaxIdleTime = 5 * time.Minute
)

// Config says which server to use and how to pool connections to it.
type Config struct {
	// URL is a libpq connection string, postgres://user:password@host:port/db?sslmode=...
	// or keyword=value form. It may hold a password: never log it, log
	// RedactURL(URL).
	URL string
	// MaxOpenConns bounds the connections this node opens (default 20).
	// The sum over all nodes must stay below the server's
	// max_connections.
	MaxOpenConns int
	// MaxIdleConns is how many idle connections are kept (default 10, at
	// most MaxOpenConns).
	MaxIdleConns int
	// ConnMaxLifetime closes connections after this long (default 30m), so
	// that a load balancer or a failover spreads them again.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections idle this long (default 5m).
	ConnMaxIdleTime time.Duration
}

// Validate reports every problem with c at once. It does not parse URL
// (Open does, without echoing it).
func (c Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("postgres: database URL is empty"))
	}
	if c.MaxOpenConns < 0 {
		errs = append(errs, fmt.Errorf("postgres: max open connections %d is negative", c.MaxOpenConns))
	}
	if c.MaxIdleConns < 0 {
		errs = append(errs, fmt.Errorf("postgres: max idle connections %d is negative", c.MaxIdleConns))
	}
	if c.MaxOpenConns > 0 && c.MaxIdleConns > c.MaxOpenConns {
		errs = append(errs, fmt.Errorf("postgres: max idle connections %d exceed max open connections %d", c.MaxIdleConns, c.MaxOpenConns))
	}
	if c.ConnMaxLifetime < 0 {
		errs = append(errs, fmt.Errorf("postgres: connection max lifetime %v is negative", c.ConnMaxLifetime))
	}
	if c.ConnMaxIdleTime < 0 {
		errs = append(errs, fmt.Errorf("postgres: connection max idle time %v is negative", c.ConnMaxIdleTime))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.MaxOpenConns == 0 {
		c.MaxOpenConns = DefaultMaxOpenConns
	}
	if c.MaxIdleConns == 0 {
		c.MaxIdleConns = min(DefaultMaxIdleConns, c.MaxOpenConns)
	}
	if c.ConnMaxLifetime == 0 {
		c.ConnMaxLifetime = DefaultConnMaxLifetime
	}
	if c.ConnMaxIdleTime == 0 {
		c.ConnMaxIdleTime = DefaultConnMaxIdleTime
	}
	return c
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Dialect returns the PostgreSQL dialect of the shared store implementation.
func Dialect() sqlstore.Dialect {
	m, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the directory is embedded; fs.Sub only fails on a bad name
	}
	return sqlstore.Dialect{
		Name:       "postgres",
		Migrations: m,
		// SERIALIZABLE makes every InTx behave as if transactions ran one
		// at a time, so domain code needs no SELECT ... FOR UPDATE or
		// explicit constraints to stay correct; the price is SQLSTATE
		// 40001 under contention, which InTx retries. YugabyteDB and
		// Citus support it.
		Isolation:      sql.LevelSerializable,
		Classify:       Classify,
		TableExists:    `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`,
		LockMigrations: lockMigrations,
		// Appends to the transparency log all update its tree-state row;
		// under SERIALIZABLE concurrent appends abort each other, and a
		// burst of logins exhausted the retries (500s). LOCK TABLE takes
		// no snapshot, so a transaction that waited on it reads the state
		// its predecessor committed. SHARE ROW EXCLUSIVE conflicts with
		// itself and with the row lock an unmarked UPDATE takes.
		LogAppendLock: "LOCK TABLE translog_state IN SHARE ROW EXCLUSIVE MODE",
	}
}

// Open connects to the server cfg.URL names and checks that it answers. It
// does not migrate: call Migrate or PendingMigrations on the result. Errors
// never contain the password.
func Open(ctx context.Context, cfg Config, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	pcfg, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		// pgx's message quotes the URL with a best-effort redaction, and
		// the error it wraps may quote it verbatim: say nothing of it.
		return nil, errors.New("postgres: cannot parse the database URL (check its syntax; the parser's message is withheld because it may quote the password)")
	}
	if _, ok := pcfg.RuntimeParams["application_name"]; !ok {
		// Shows up in pg_stat_activity, which helps operators.
		pcfg.RuntimeParams["application_name"] = "netid"
	}
	db := stdlib.OpenDB(*pcfg)
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	db.SetMaxIdleConns(cfg.MaxIdleConns)
	db.SetConnMaxLifetime(cfg.ConnMaxLifetime)
	db.SetConnMaxIdleTime(cfg.ConnMaxIdleTime)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect to %s: %w: %w", RedactURL(cfg.URL), store.ErrUnavailable, err)
	}
	s, err := sqlstore.New(db, Dialect(), opts...)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}
