package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store/postgres"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/sqlstore"
)

// service is what serve and the operator commands open: the store and the
// keys, with the suite they were made for.
type service struct {
	suite suite.Suite
	store *sqlstore.Store
	keys  *keystore.Store
}

func (s *service) Close() error { return s.store.Close() }

// openStore opens the store the flags name: PostgreSQL when a URL is given,
// else the embedded SQLite database in the data dir.
func openStore(ctx context.Context, f storageFlags) (*sqlstore.Store, error) {
	if f.databaseURL != "" {
		st, err := postgres.Open(ctx, postgres.Config{URL: f.databaseURL, MaxOpenConns: f.dbMaxConns})
		if err != nil {
			return nil, fmt.Errorf("opening PostgreSQL %s: %w", postgres.RedactURL(f.databaseURL), err)
		}
		return st, nil
	}
	if err := ensureDataDir(f.dataDir); err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, sqlite.Config{Dir: f.dataDir, MaxOpenConns: f.dbMaxConns})
	if err != nil {
		return nil, fmt.Errorf("opening SQLite in %s: %w", f.dataDir, err)
	}
	return st, nil
}

// openService opens keys and store, creating the keys on first start and
// migrating the schema when migrate is true (else refusing a schema that is
// behind).
func openService(ctx context.Context, f storageFlags, log *slog.Logger, migrate bool) (*service, error) {
	name, err := suite.Parse(f.suite)
	if err != nil {
		return nil, err
	}
	s, err := suite.New(name)
	if err != nil {
		return nil, err
	}
	if err := ensureDataDir(f.dataDir); err != nil {
		return nil, err
	}
	keys, err := keystore.OpenDir(filepath.Join(f.dataDir, "keys"), s)
	if err != nil {
		return nil, fmt.Errorf("opening key store: %w", err)
	}
	created, err := keys.Bootstrap(ctx)
	if err != nil {
		return nil, fmt.Errorf("creating keys: %w", err)
	}
	for _, m := range created {
		log.Info("created key", "id", m.ID, "purpose", m.Purpose, "algorithm", m.Algorithm)
	}
	// Keys of another suite (the data dir was made with a different
	// --suite) or a missing key make Check fail: refuse to start rather
	// than serve a node /readyz would keep out of rotation.
	if err := keys.Check(); err != nil {
		return nil, fmt.Errorf("keys in %s are not usable with --suite %s: %w", filepath.Join(f.dataDir, "keys"), f.suite, err)
	}

	st, err := openStore(ctx, f)
	if err != nil {
		return nil, err
	}
	pending, err := st.PendingMigrations(ctx)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("reading schema version: %w", err)
	}
	if len(pending) > 0 {
		if !migrate {
			st.Close()
			return nil, exitError{code: 1, msg: fmt.Sprintf("database schema is behind by %d migration(s) (%v) and --no-auto-migrate is set: run netid migrate", len(pending), pending)}
		}
		applied, err := st.Migrate(ctx)
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("migrating schema: %w", err)
		}
		log.Info("migrated schema", "applied", applied)
	}
	return &service{suite: s, store: st, keys: keys}, nil
}

// registerCommitMetrics puts the store's group commit on /metrics (SQLite):
// transactions per commit is what the fsync budget buys, and a queue that
// keeps growing means the single writer is saturated.
func registerCommitMetrics(reg prometheus.Registerer, st *sqlstore.Store) error {
	if !st.CommitStats().Enabled {
		return nil
	}
	cs := []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "netid_store_commits_total",
			Help: "Engine commits of the store's group commit (each one fsync)."},
			func() float64 { return float64(st.CommitStats().Batches) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "netid_store_committed_transactions_total",
			Help: "Write transactions committed through the group commit."},
			func() float64 { return float64(st.CommitStats().Transactions) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "netid_store_commit_queue",
			Help: "Write transactions waiting for their commit, the one running included."},
			func() float64 { return float64(st.CommitStats().Waiting) }),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("registering store metrics: %w", err)
		}
	}
	return nil
}
