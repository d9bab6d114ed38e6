package enroltest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/store/pgtest"
	"github.com/netid/netid/internal/store/postgres"
	"github.com/netid/netid/internal/store/sqlite"
	"github.com/netid/netid/internal/store/sqlstore"
	"github.com/netid/netid/internal/throttle"
	"github.com/netid/netid/internal/translog"
)

// Env is an enrolment Service over real dependencies (see the package
// documentation), with the handles tests need to drive and observe it.
type Env struct {
	T         testing.TB
	SuiteName string
	Suite     suite.Suite
	Clock     *Clock
	Store     *sqlstore.Store
	Keys      *keystore.Store
	Envelope  *envelope.Envelope
	// SMS holds every code the phone verifier sent.
	SMS *SMS
	// Extractor is the matcher's feature extractor, for tests that check a
	// stored template.
	Extractor *biometric.AppearanceExtractor
	// Liveness is the development liveness detector the Service trusts.
	Liveness *biometric.LivenessSigner
	// Issuer issues TEST documents the Service trusts.
	Issuer *testdoc.Issuer
	CA     *credential.CA
	// Log is the transparency log the CA and the Service record
	// certificate and account events in, as serve wires them.
	Log     *translog.Log
	Service *enrol.Service

	mu        sync.Mutex
	records   []document.AuthorityRecord
	authority *document.SimulatedAuthority
}

// Option changes what New builds.
type Option func(*options)

type options struct {
	suite  string
	engine string
	cfg    enrol.Config
	log    *slog.Logger
}

// WithSuite selects the cryptographic suite, "intl" (the default) or "sm".
func WithSuite(name string) Option { return func(o *options) { o.suite = name } }

// WithEngine selects the store engine: "sqlite" (the default) or
// "postgres", a fresh database from pgtest, which skips or fails the test
// as pgtest decides when no server is configured.
func WithEngine(name string) Option { return func(o *options) { o.engine = name } }

// WithConfig sets the Service's configuration; the default is
// DefaultConfig().
func WithConfig(cfg enrol.Config) Option { return func(o *options) { o.cfg = cfg } }

// WithLogger sets the Service's logger; the default discards everything.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// DefaultConfig has generous per-address rate limits, so that tests that
// enrol many people from one address are not throttled unless they mean to
// be, and the production per-account login limit (5 in 15 minutes).
func DefaultConfig() enrol.Config {
	return enrol.Config{
		StartPerAddress: throttle.Limit{Scope: "enrol-start", Max: 1000, Window: time.Hour},
		LoginPerAccount: throttle.Limit{Scope: "login-account", Max: 5, Window: 15 * time.Minute},
		LoginPerAddress: throttle.Limit{Scope: "login-address", Max: 1000, Window: 15 * time.Minute},
	}
}

// testHashParams make argon2id cheap: a test enrols many residents.
var testHashParams = password.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// New builds an Env for t. Everything it opens is closed in t.Cleanup;
// any failure fails t at once.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	o := options{suite: "intl", engine: "sqlite", cfg: DefaultConfig(),
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, opt := range opts {
		opt(&o)
	}
	ctx := context.Background()
	dir := t.TempDir()
	s, err := suite.New(suite.Name(o.suite))
	must(t, err)
	e := &Env{T: t, SuiteName: o.suite, Suite: s, Clock: NewClock(time.Now().UTC().Truncate(time.Second)), SMS: newSMS()}
	e.Store = openStore(t, o.engine, filepath.Join(dir, "db"))
	e.Keys, err = keystore.OpenDir(filepath.Join(dir, "keys"), s, keystore.WithClock(e.Clock.Now))
	must(t, err)
	_, err = e.Keys.Bootstrap(ctx)
	must(t, err)
	e.Envelope = envelope.New(s, e.Keys, e.Store, envelope.WithClock(e.Clock.Now))

	phoneKey := make([]byte, phone.MinKeyLen)
	_, err = rand.Read(phoneKey)
	must(t, err)
	verifier, err := phone.New(e.Store, phone.SenderFunc(e.SMS.send), phone.WithKey(phoneKey), phone.WithClock(e.Clock.Now))
	must(t, err)
	hasher, err := password.NewHasher(testHashParams, 4, password.AllowWeakParams())
	must(t, err)

	e.Extractor = biometric.NewAppearanceExtractor()
	matcher, err := biometric.NewCosineMatcher(e.Extractor, biometric.AppearanceThreshold)
	must(t, err)
	detectorKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	e.Liveness, err = biometric.NewLivenessSigner("test-detector", detectorKey)
	must(t, err)
	liveness, err := biometric.NewLivenessVerifier([]biometric.TrustedKey{e.Liveness.TrustedKey()})
	must(t, err)

	e.Issuer, err = testdoc.NewIssuer(o.suite, "CN")
	must(t, err)
	trustDir := filepath.Join(dir, "trust")
	must(t, e.Issuer.WriteTrust(trustDir))
	trust, err := emrtd.LoadTrustDir(trustDir, e.Clock.Now())
	must(t, err)
	e.AddAuthorityRecords()

	e.Log, err = translog.New("id.example.test/translog", translog.Deps{Store: e.Store, Tx: e.Store, Keys: e.Keys},
		translog.WithClock(e.Clock.Now))
	must(t, err)
	e.CA, err = credential.NewCA(s, e.Keys, e.Store, credential.Config{BaseURL: "https://id.example.test"},
		credential.WithClock(e.Clock.Now), credential.WithEvents(enrol.CertificateLog{Residents: e.Store, Log: e.Log}))
	must(t, err)
	e.Service, err = enrol.New(enrol.Deps{
		Store: e.Store, Keys: e.Keys, Envelope: e.Envelope, Phone: verifier, Hasher: hasher,
		Policy: password.DefaultPolicy(), Matcher: matcher, Extractor: e.Extractor, Liveness: liveness,
		Trust: trust, Authority: authority{e}, Issuer: e.CA, Throttle: e.Store,
	}, o.cfg, enrol.WithClock(e.Clock.Now), enrol.WithLogger(o.log), enrol.WithEventLog(e.Log))
	must(t, err)
	return e
}

// openStore opens and migrates a store of engine, closed in t.Cleanup.
func openStore(t testing.TB, engine, dir string) *sqlstore.Store {
	t.Helper()
	ctx := context.Background()
	var st *sqlstore.Store
	var err error
	switch engine {
	case "sqlite":
		st, err = sqlite.Open(ctx, sqlite.Config{Dir: dir})
	case "postgres":
		st, err = postgres.Open(ctx, postgres.Config{URL: pgtest.New(t), MaxOpenConns: 8})
	default:
		t.Fatalf("enroltest: unknown engine %q", engine)
	}
	must(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Migrate(ctx)
	must(t, err)
	return st
}

// must fails t at once on err.
func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Clock is a settable clock shared by every component of an Env. It is
// safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t until moved.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time; pass the method value as a component's clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
