package translog_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the raw handle of tampering tests

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store/pgtest"
	"github.com/netid/netid/internal/store/postgres"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/sqlstore"
	"github.com/netid/netid/internal/translog"
)

const origin = "id.example.cn/translog"

var t0 = time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a log on a real store, with a raw handle on the same database
// for tests that go behind the log's back.
type env struct {
	ctx   context.Context
	store *sqlstore.Store
	raw   *sql.DB
	keys  *keystore.Store
	clock *clock
	log   *translog.Log
}

// engines are the storage engines the store-backed tests run on.
var engines = []string{"sqlite", "postgres"}

// forEngines runs fn as a subtest per engine. The PostgreSQL one skips
// when no server is configured (and fails when CI=true), as pgtest does.
func forEngines(t *testing.T, fn func(t *testing.T, engine string)) {
	for _, e := range engines {
		t.Run(e, func(t *testing.T) { fn(t, e) })
	}
}

// openStore opens a migrated store of engine and a raw handle on it.
func openStore(tb testing.TB, engine string) (*sqlstore.Store, *sql.DB) {
	tb.Helper()
	ctx := context.Background()
	var s *sqlstore.Store
	var raw *sql.DB
	var err error
	switch engine {
	case "sqlite":
		dir := tb.TempDir()
		if s, err = sqlite.Open(ctx, sqlite.Config{Dir: dir}); err != nil {
			tb.Fatal(err)
		}
		raw, err = sql.Open("sqlite", sqlite.DSN(filepath.Join(dir, sqlite.FileName), sqlite.DefaultBusyTimeout))
	case "postgres":
		u := pgtest.New(tb)
		if s, err = postgres.Open(ctx, postgres.Config{URL: u, MaxOpenConns: 10}); err != nil {
			tb.Fatal(err)
		}
		raw, err = sql.Open("pgx", u)
	default:
		tb.Fatalf("unknown engine %q", engine)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close(); s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	return s, raw
}

// newKeys returns a bootstrapped key store of suite name.
func newKeys(tb testing.TB, name suite.Name) *keystore.Store {
	tb.Helper()
	s, err := suite.New(name)
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := keystore.OpenDir(filepath.Join(tb.TempDir(), "keys"), s)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := keys.Bootstrap(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return keys
}

func newEnv(tb testing.TB, engine string, name suite.Name, opts ...translog.Option) *env {
	tb.Helper()
	s, raw := openStore(tb, engine)
	e := &env{ctx: context.Background(), store: s, raw: raw, keys: newKeys(tb, name), clock: &clock{t: t0}}
	e.log = e.newLog(tb, e.keys, opts...)
	return e
}

// newLog returns another Log (another node) on e's store.
func (e *env) newLog(tb testing.TB, keys translog.Keys, opts ...translog.Option) *translog.Log {
	tb.Helper()
	l, err := translog.New(origin, translog.Deps{Store: e.store, Tx: e.store, Keys: keys},
		append([]translog.Option{translog.WithClock(e.clock.Now)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// entry returns a valid entry of kind k whose fields depend on i, timed
// by the env's clock.
func entry(k translog.Kind, i int, at time.Time) translog.Entry {
	e := translog.Entry{ID: fmt.Sprintf("%s-%05d", k, i), Kind: k, Time: at}
	switch k {
	case translog.KindDisclosure:
		e.ClientID, e.Level, e.Event = fmt.Sprintf("rp-%032x", i%3), translog.LevelSubstantial, translog.EventAuthorizationCode
		e.Claims, e.Ref = []string{"internet_number", "age_over_18"}, fmt.Sprintf("grant-%d", i)
	case translog.KindConsentGranted, translog.KindConsentWithdrawn:
		e.ClientID, e.Claims = fmt.Sprintf("rp-%032x", i%3), []string{"name"}
	case translog.KindCertificateIssued:
		e.Ref = fmt.Sprintf("%x", 0x7a000+i)
	case translog.KindCertificateRevoked:
		e.Ref, e.Event = fmt.Sprintf("%x", 0x7a000+i), translog.EventRevokedSuperseded
	case translog.KindAccountEvent:
		e.Event = translog.EventPhoneChanged
	case translog.KindLawfulAccess:
		e.Authority, e.LegalBasis, e.Ref = "PSB-110000", "CPL-2018/art.54", fmt.Sprintf("case-%d", i)
		e.NoticeDelayedUntil = at
	}
	return e
}

var allKinds = []translog.Kind{translog.KindDisclosure, translog.KindConsentGranted, translog.KindConsentWithdrawn,
	translog.KindCertificateIssued, translog.KindCertificateRevoked, translog.KindAccountEvent, translog.KindLawfulAccess}

// appendN appends n entries of assorted kinds, resident i%len(residents)
// for the i-th, numbering entries from first, and returns their indexes.
func (e *env) appendN(tb testing.TB, residents []string, first, n int) []uint64 {
	tb.Helper()
	var out []uint64
	for i := first; i < first+n; i++ {
		e.clock.Add(time.Second)
		idx, err := e.log.Append(e.ctx, residents[i%len(residents)], entry(allKinds[i%len(allKinds)], i, e.clock.Now()))
		if err != nil {
			tb.Fatalf("Append(%d) error = %v", i, err)
		}
		out = append(out, idx)
	}
	return out
}

// auditor returns an Auditor trusting e's log keys.
func (e *env) auditor(tb testing.TB) *translog.Auditor {
	tb.Helper()
	a, err := e.log.Auditor()
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// listing returns every record of log id, reading pages of 3 as a wallet
// might.
func (e *env) listing(tb testing.TB, id translog.LogID) []translog.Record {
	tb.Helper()
	var out []translog.Record
	for {
		var after uint64
		if len(out) > 0 {
			after = out[len(out)-1].Seq
		}
		page, err := e.log.Entries(e.ctx, id, after, 3)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, page...)
		if len(page) < 3 {
			return out
		}
	}
}

// wallet is what `netid wallet history --verify` will do, here against
// the Log directly: it keeps the last checkpoint and head it verified.
type wallet struct {
	a     *translog.Auditor
	logID translog.LogID
	cp    translog.Checkpoint
	head  translog.Head
}

// verify fetches the latest checkpoint, the consistency proof from the
// one the wallet saw, the resident's listing and an inclusion proof for
// every entry, and checks them all. It returns every failure, joined, so
// that a test can check exactly which were found; on success the wallet
// remembers the new checkpoint and head.
func (w *wallet) verify(tb testing.TB, e *env) error {
	tb.Helper()
	latest, err := e.log.LatestCheckpoint(e.ctx)
	if err != nil {
		tb.Fatal(err)
	}
	cp, err := w.a.VerifyCheckpoint(latest.Note)
	if err != nil {
		return err
	}
	var errs []error
	if w.cp.Origin != "" {
		p, err := e.log.ConsistencyProof(e.ctx, w.cp.Size, cp.Size)
		if err != nil && !errors.Is(err, translog.ErrRange) {
			tb.Fatal(err)
		}
		// A log that shrank cannot prove anything: the Auditor says so
		// with the empty proof.
		errs = append(errs, w.a.VerifyConsistency(w.cp, cp, p))
	}
	records := e.listing(tb, w.logID)
	head, err := w.a.VerifyResidentChain(records, w.head)
	errs = append(errs, err)
	for _, r := range records {
		p, err := e.log.InclusionProof(e.ctx, r.Index, cp.Size)
		if err != nil {
			tb.Fatal(err)
		}
		errs = append(errs, w.a.VerifyEntryInclusion(r, p, cp))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	w.cp, w.head = cp, head
	return nil
}
