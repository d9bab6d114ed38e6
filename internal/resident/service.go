package resident

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/throttle"
	"github.com/netid/netid/internal/translog"
)

// Residents is what the service needs of enrolment: signing in with a
// password, the account and what it holds, guardianship, locks and
// deletion. *enrol.Service implements it.
type Residents interface {
	AuthenticateResident(ctx context.Context, username, password, clientAddr string) (enrol.Account, error)
	Resident(ctx context.Context, id string) (enrol.Account, error)
	Held(ctx context.Context, id string) (enrol.Held, error)
	GuardedMinors(ctx context.Context, guardianID string) ([]enrol.MinorView, error)
	GuardianOf(ctx context.Context, guardianID, minorID string) (enrol.MinorView, error)
	LockMethod(ctx context.Context, residentID string, m enrol.Method) error
	UnlockMethod(ctx context.Context, residentID string, m enrol.Method) error
	Locks(ctx context.Context, residentID string) (enrol.Locks, error)
	PrepareDeletion(ctx context.Context) (enrol.Deletion, error)
	DeleteResident(ctx context.Context, id string, d enrol.Deletion) (enrol.Erased, error)
}

var _ Residents = (*enrol.Service)(nil)

// Accounts finds the account of an internet number, for the wallet's
// sign-in (the certificate names the number). enrol.Store implements it.
type Accounts interface {
	ResidentByNumber(ctx context.Context, n string) (enrol.ResidentRecord, error)
}

// Grants is what the service reads and revokes of the OpenID provider's
// state. oidc.Store implements it.
type Grants interface {
	RememberedConsent(ctx context.Context, residentID, clientID string) (oidc.Consent, error)
	RememberedConsentsOf(ctx context.Context, residentID string) ([]oidc.Consent, error)
	DeleteRememberedConsent(ctx context.Context, residentID, clientID string) error
	RevokeGrantsOf(ctx context.Context, residentID, clientID string, t time.Time) (int64, error)
	LiveGrantClientsOf(ctx context.Context, residentID string, now time.Time) ([]oidc.GrantSummary, error)
	DeleteLoginSessionsOf(ctx context.Context, residentID string) (int64, error)
	DisclosuresOf(ctx context.Context, residentID string, before time.Time, limit int) ([]oidc.Disclosure, error)
}

var _ Grants = (oidc.Store)(nil)

// Provider withdraws consents: it forgets the remembered consent and
// revokes every grant, and so every access and refresh token, of the
// platform. *oidc.Provider implements it.
type Provider interface {
	WithdrawConsent(ctx context.Context, residentID, clientID string) error
}

var _ Provider = (*oidc.Provider)(nil)

// CA is what the service needs of the issuing CA. *credential.CA
// implements it. Its revocations must be reported to the transparency log
// (credential.WithEvents with enrol.CertificateLog), as serve wires it:
// the service does not log certificate events itself.
type CA interface {
	CACertificates(ctx context.Context) ([]*x509.Certificate, error)
	Revoke(ctx context.Context, serial *big.Int, reason credential.RevocationReason) error
	RevokeAllFor(ctx context.Context, n credential.InternetNumber, reason credential.RevocationReason) (int, error)
}

var _ CA = (*credential.CA)(nil)

// Certificates reads the CA's records. credential.CertStore implements it.
type Certificates interface {
	Certificate(ctx context.Context, serial string) (credential.CertificateRecord, error)
	CertificatesFor(ctx context.Context, internetNumber string) ([]credential.CertificateRecord, error)
}

// Log is what the service needs of the transparency log. *translog.Log
// implements it.
type Log interface {
	Origin() string
	Append(ctx context.Context, residentID string, e translog.Entry) (uint64, error)
	LogID(ctx context.Context, residentID string) (translog.LogID, error)
	Entries(ctx context.Context, id translog.LogID, afterSeq uint64, limit int) ([]translog.Record, error)
	InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error)
	ConsistencyProof(ctx context.Context, oldSize, newSize uint64) ([][]byte, error)
	LatestCheckpoint(ctx context.Context) (translog.SignedCheckpoint, error)
	Checkpoint(ctx context.Context) (translog.SignedCheckpoint, error)
}

var _ Log = (*translog.Log)(nil)

// RPs names platforms. *rp.Service implements it; an unknown client id is
// an error wrapping rp.ErrNotFound.
type RPs interface {
	Get(ctx context.Context, clientID string) (rp.RP, error)
}

// Deps are the service's required dependencies. Store, Accounts and
// Grants are normally the same *sqlstore.Store, which the log, the CA and
// the provider share: every change and its log entry commit in one
// transaction.
type Deps struct {
	Store        Store
	Suite        suite.Suite
	Residents    Residents
	Accounts     Accounts
	Grants       Grants
	Provider     Provider
	CA           CA
	Certificates Certificates
	Log          Log
	RPs          RPs
	Throttle     throttle.Store
}

// Defaults of Config.
const (
	DefaultSessionTTL   = 15 * time.Minute
	DefaultChallengeTTL = credential.MaxPresentationLifetime
	// DefaultAudience is the client id a wallet's sign-in presentation is
	// bound to: no platform can have it (rp client ids are "rp-" and hex),
	// so a presentation made for a platform never signs in here, nor the
	// other way round.
	DefaultAudience = "netid:resident"
)

// Config holds the service's limits. The zero value of a field means its
// default; Validate reports every problem at once.
type Config struct {
	// SessionTTL is how long a session lasts from sign-in (no sliding):
	// default 15 minutes.
	SessionTTL time.Duration
	// ChallengeTTL is how long a sign-in challenge may be answered:
	// default credential.MaxPresentationLifetime.
	ChallengeTTL time.Duration
	// Audience is the client id of sign-in presentations (DefaultAudience).
	Audience string
	// ChallengesPerAddress limits GET /v1/me/challenge (and
	// Service.Challenge) per client address: default 60 a minute.
	ChallengesPerAddress throttle.Limit
	// WalletLoginsPerAddress limits wallet sign-ins per client address:
	// default 60 a minute. Password sign-ins are limited by
	// enrol.AuthenticateResident.
	WalletLoginsPerAddress throttle.Limit
}

func (c Config) withDefaults() Config {
	if c.SessionTTL == 0 {
		c.SessionTTL = DefaultSessionTTL
	}
	if c.ChallengeTTL == 0 {
		c.ChallengeTTL = DefaultChallengeTTL
	}
	if c.Audience == "" {
		c.Audience = DefaultAudience
	}
	if c.ChallengesPerAddress == (throttle.Limit{}) {
		c.ChallengesPerAddress = throttle.Limit{Scope: "resident-challenge", Max: 60, Window: time.Minute}
	}
	if c.WalletLoginsPerAddress == (throttle.Limit{}) {
		c.WalletLoginsPerAddress = throttle.Limit{Scope: "resident-wallet-login", Max: 60, Window: time.Minute}
	}
	return c
}

// Validate reports every problem with c (after defaults) at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.SessionTTL < time.Minute || c.SessionTTL > 24*time.Hour {
		errs = append(errs, fmt.Errorf("resident: session TTL %v: want 1m to 24h", c.SessionTTL))
	}
	if c.ChallengeTTL < 10*time.Second || c.ChallengeTTL > 10*time.Minute {
		errs = append(errs, fmt.Errorf("resident: challenge TTL %v: want 10s to 10m", c.ChallengeTTL))
	}
	if len(c.Audience) > 255 {
		errs = append(errs, errors.New("resident: audience longer than 255 bytes"))
	}
	for _, l := range []throttle.Limit{c.ChallengesPerAddress, c.WalletLoginsPerAddress} {
		if err := l.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("resident: limit %q: %w", l.Scope, err))
		}
	}
	if c.ChallengesPerAddress.Scope == c.WalletLoginsPerAddress.Scope {
		errs = append(errs, fmt.Errorf("resident: the two limits share the scope %q", c.ChallengesPerAddress.Scope))
	}
	return errors.Join(errs...)
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the Service read the time from now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRand makes the Service draw tokens, challenges and entry ids from r.
func WithRand(r io.Reader) Option { return func(s *Service) { s.rand = r } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// WithClientAddr sets how the HTTP handlers learn a request's client
// address, which sign-ins are throttled by. The default is the host of
// Request.RemoteAddr; behind netid's HTTP stack pass
// httpapi.ClientAddrFrom on the request's context.
func WithClientAddr(f func(*http.Request) string) Option {
	return func(s *Service) { s.clientAddr = f }
}

// WithRequestID sets how problems learn the request id they quote
// (httpapi.RequestIDFrom); none by default.
func WithRequestID(f func(context.Context) string) Option {
	return func(s *Service) { s.requestID = f }
}

// Service is the resident's side of netid: signing in to one's own
// account, and every right the law gives over it (see the package
// documentation). It is safe for concurrent use and keeps no state of its
// own: any node serves any request.
type Service struct {
	d          Deps
	cfg        Config
	now        func() time.Time
	rand       io.Reader
	log        *slog.Logger
	clientAddr func(*http.Request) string
	requestID  func(context.Context) string

	challenges   *throttle.Limiter
	walletLogins *throttle.Limiter
}

// New returns a Service. It reports every missing dependency and every
// configuration problem at once.
func New(d Deps, cfg Config, opts ...Option) (*Service, error) {
	var errs []error
	missing := func(ok bool, name string) {
		if !ok {
			errs = append(errs, errors.New("resident: missing dependency "+name))
		}
	}
	missing(d.Store != nil, "Store")
	missing(d.Suite != nil, "Suite")
	missing(d.Residents != nil, "Residents")
	missing(d.Accounts != nil, "Accounts")
	missing(d.Grants != nil, "Grants")
	missing(d.Provider != nil, "Provider")
	missing(d.CA != nil, "CA")
	missing(d.Certificates != nil, "Certificates")
	missing(d.Log != nil, "Log")
	missing(d.RPs != nil, "RPs")
	missing(d.Throttle != nil, "Throttle")
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Service{d: d, cfg: cfg.withDefaults(), now: time.Now, rand: rand.Reader, log: slog.Default(),
		clientAddr: remoteHost, requestID: func(context.Context) string { return "" }}
	for _, o := range opts {
		o(s)
	}
	var err error
	limiter := func(l throttle.Limit) *throttle.Limiter {
		lim, e := throttle.NewLimiter(d.Throttle, l, throttle.WithClock(s.now))
		err = errors.Join(err, e)
		return lim
	}
	s.challenges = limiter(s.cfg.ChallengesPerAddress)
	s.walletLogins = limiter(s.cfg.WalletLoginsPerAddress)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Config returns the configuration in force, defaults applied.
func (s *Service) Config() Config { return s.cfg }

// remoteHost is the default client address: the host of RemoteAddr.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// stamp is the current time as the store keeps it.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// randomString returns n random bytes in unpadded base64url.
func (s *Service) randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.rand, b); err != nil {
		return "", fmt.Errorf("resident: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// entryID draws the id of a log entry, before the transaction that
// appends it, so that a rerun appends the same entry.
func (s *Service) entryID(prefix string) (string, error) {
	r, err := s.randomString(16)
	if err != nil {
		return "", err
	}
	return prefix + "-" + r, nil
}

// throttleKey is the counter key of a client address: its hash, so that
// the counters table holds no addresses.
func (s *Service) throttleKey(addr string) string {
	return base64.RawURLEncoding.EncodeToString(s.d.Suite.Hash([]byte("netid/resident/throttle/v1\x00" + addr)))
}

// allow counts one attempt of addr against lim.
func (s *Service) allow(ctx context.Context, lim *throttle.Limiter, addr string) error {
	if addr == "" {
		return fmt.Errorf("%w: no client address", ErrInvalidRequest)
	}
	ok, wait, err := lim.Allow(ctx, s.throttleKey(addr))
	if err != nil {
		return fmt.Errorf("resident: throttle: %w", err)
	}
	if !ok {
		return &enrol.ThrottledError{RetryAfter: wait}
	}
	return nil
}
