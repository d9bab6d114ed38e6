package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/translog"
)

// RPRegistry is what the Service needs of the relying-party registry;
// *rp.Service implements it. Its methods must join the transaction ctx
// carries (rp.Service does: every store call takes ctx).
type RPRegistry interface {
	Create(ctx context.Context, reg rp.Registration) (rp.RP, string, error)
	Get(ctx context.Context, id string) (rp.RP, error)
	List(ctx context.Context, after string, limit int) ([]rp.RP, error)
	Update(ctx context.Context, id string, reg rp.Registration) (rp.RP, error)
	Suspend(ctx context.Context, id string) (rp.RP, error)
	Activate(ctx context.Context, id string) (rp.RP, error)
	RotateSecret(ctx context.Context, id string) (string, error)
}

var _ RPRegistry = (*rp.Service)(nil)

// CA is what the Service needs of the certificate authority; *credential.CA
// implements it. The CA must be built with credential.WithEvents recording
// revocations in the resident's transparency log (enrol.CertificateLog, as
// serve wires it): the Service relies on it for the certificate-revoked
// entry, which then commits in the same transaction as the revocation and
// its audit record.
type CA interface {
	Revoke(ctx context.Context, serial *big.Int, reason credential.RevocationReason) error
	RevokeAllFor(ctx context.Context, n credential.InternetNumber, reason credential.RevocationReason) (int, error)
}

var _ CA = (*credential.CA)(nil)

// Certificates reads issued certificates; credential.CertStore (the SQL
// store) implements it.
type Certificates interface {
	Certificate(ctx context.Context, serial string) (credential.CertificateRecord, error)
}

// Residents finds a resident by internet number; enrol.Store (the SQL
// store) implements it.
type Residents interface {
	ResidentByNumber(ctx context.Context, number string) (enrol.ResidentRecord, error)
}

// Identities opens a resident's sealed identity; *enrol.Service implements
// it.
type Identities interface {
	Identity(ctx context.Context, residentID string) (enrol.Identity, error)
}

var _ Identities = (*enrol.Service)(nil)

// Log appends to a resident's transparency log in the transaction ctx
// carries; *translog.Log implements it.
type Log interface {
	Append(ctx context.Context, residentID string, e translog.Entry) (uint64, error)
}

var _ Log = (*translog.Log)(nil)

// Deps are the Service's required dependencies. Store, Stats, Certificates
// and Residents are normally one *sqlstore.Store, shared with RPs, CA,
// Identities and Log, so that an action and its audit record commit in one
// transaction.
type Deps struct {
	Store        Store
	Stats        StatsStore
	RPs          RPRegistry
	CA           CA
	Certificates Certificates
	Residents    Residents
	Identities   Identities
	Log          Log
}

// Config tunes the Service.
type Config struct {
	// EnrolmentTTL is the enrolment service's EnrolmentTTL: how long the
	// store keeps an enrolment after it started. Statistics count started
	// enrolments only within it (older ones may have been pruned). Zero
	// means enrol.DefaultEnrolmentTTL.
	EnrolmentTTL time.Duration
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the Service read the time from now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRand makes the Service draw tokens and ids from r.
func WithRand(r io.Reader) Option { return func(s *Service) { s.rand = r } }

// WithLogger sets the logger of admin actions (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithRPChanged makes the Service call f with the client id of every
// relying party it changed (update, suspend, activate, secret rotation),
// after the change committed: serve passes the OpenID provider's
// ForgetClient, so that the change takes effect on this node at once
// rather than when the provider's cache expires.
func WithRPChanged(f func(clientID string)) Option { return func(s *Service) { s.rpChanged = f } }

// Service is the operator's Go API: admin tokens, relying parties,
// certificate revocation, lawful access and statistics. Every action is
// audited (see act). It is safe for concurrent use and keeps no state.
type Service struct {
	st   Store
	d    Deps
	cfg  Config
	now  func() time.Time
	rand io.Reader
	log  *slog.Logger
	// rpChanged hears of committed RP changes (nil: nobody).
	rpChanged func(clientID string)
}

// New returns a Service. It reports every missing dependency at once.
func New(d Deps, cfg Config, opts ...Option) (*Service, error) {
	var errs []error
	missing := func(ok bool, name string) {
		if !ok {
			errs = append(errs, errors.New("admin: missing dependency "+name))
		}
	}
	missing(d.Store != nil, "Store")
	missing(d.Stats != nil, "Stats")
	missing(d.RPs != nil, "RPs")
	missing(d.CA != nil, "CA")
	missing(d.Certificates != nil, "Certificates")
	missing(d.Residents != nil, "Residents")
	missing(d.Identities != nil, "Identities")
	missing(d.Log != nil, "Log")
	if cfg.EnrolmentTTL < 0 {
		errs = append(errs, errors.New("admin: negative EnrolmentTTL"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.EnrolmentTTL == 0 {
		cfg.EnrolmentTTL = enrol.DefaultEnrolmentTTL
	}
	s := &Service{st: d.Store, d: d, cfg: cfg, now: time.Now, rand: rand.Reader, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// stamp is the current time as the store keeps it.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Audit returns up to limit (1 to 10000) audit records from since on,
// oldest first.
func (s *Service) Audit(ctx context.Context, since time.Time, limit int) ([]AuditRecord, error) {
	if limit < 1 || limit > 10000 {
		return nil, fmt.Errorf("%w: audit limit %d is not between 1 and 10000", ErrInvalid, limit)
	}
	return s.st.AdminAudit(ctx, since, limit)
}

// changed reports a committed change of relying party id.
func (s *Service) changed(id string, err error) {
	if err == nil && s.rpChanged != nil {
		s.rpChanged(id)
	}
}
