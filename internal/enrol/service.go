package enrol

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/throttle"
)

// CertificateIssuer issues the internet certificate at the end of an
// enrolment. *credential.CA implements it. Issue runs inside the
// enrolment's transaction (see Complete): its certificate record is written
// through the same store, so a rolled-back enrolment leaves no certificate.
type CertificateIssuer interface {
	Issue(ctx context.Context, req credential.IssueRequest) (*credential.Issued, error)
}

var _ CertificateIssuer = (*credential.CA)(nil)

// BlindIndexKeys is what enrolment needs of the key store: MACs under the
// blind-index purpose, with the key id stored next to each index, and the
// list of keys so that an index made under a retiring key is still found.
// *keystore.Store implements it.
type BlindIndexKeys interface {
	ActiveMAC(ctx context.Context, p keystore.Purpose, msg []byte) (id string, mac []byte, err error)
	MAC(ctx context.Context, id string, msg []byte) ([]byte, error)
	List(p keystore.Purpose) []keystore.Meta
	Suite() suite.Suite
}

var _ BlindIndexKeys = (*keystore.Store)(nil)

// Deps are the Service's required dependencies. Trust and Authority may be
// nil, which disables their evidence pathway (ErrEvidenceUnavailable).
type Deps struct {
	Store    Store
	Keys     BlindIndexKeys
	Envelope *envelope.Envelope
	Phone    *phone.Verifier
	Hasher   *password.Hasher
	Policy   password.Policy
	// Matcher compares the live face with the document portrait; its
	// threshold is the face-match threshold.
	Matcher biometric.Matcher
	// Extractor makes the template kept for high-assurance logins when
	// the resident consents. It must be the extractor the login matcher
	// uses.
	Extractor biometric.Extractor
	Liveness  *biometric.LivenessVerifier
	Trust     *emrtd.TrustStore
	Authority document.Authority
	Issuer    CertificateIssuer
	Throttle  throttle.Store
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the Service read the time from now.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRand makes the Service draw tokens, ids, internet numbers, salts and
// secrets from r instead of crypto/rand.
func WithRand(r io.Reader) Option { return func(s *Service) { s.rand = r } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// Service runs enrolments. It is safe for concurrent use and keeps no state
// of its own: any node can serve any step.
type Service struct {
	d     Deps
	cfg   Config
	suite suite.Suite
	now   func() time.Time
	rand  io.Reader
	log   *slog.Logger
	// events is the transparency log of account events (nil: none).
	events EventLog

	loginAccount *throttle.Limiter
	loginAddress *throttle.Limiter
	startAddress *throttle.Limiter
}

// New returns a Service. It reports every missing dependency and every
// configuration problem at once.
func New(d Deps, cfg Config, opts ...Option) (*Service, error) {
	var errs []error
	missing := func(ok bool, name string) {
		if !ok {
			errs = append(errs, errors.New("enrol: missing dependency "+name))
		}
	}
	missing(d.Store != nil, "Store")
	missing(d.Keys != nil, "Keys")
	missing(d.Envelope != nil, "Envelope")
	missing(d.Phone != nil, "Phone")
	missing(d.Hasher != nil, "Hasher")
	missing(d.Matcher != nil, "Matcher")
	missing(d.Extractor != nil, "Extractor")
	missing(d.Liveness != nil, "Liveness")
	missing(d.Issuer != nil, "Issuer")
	missing(d.Throttle != nil, "Throttle")
	if err := d.Policy.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s := &Service{d: d, cfg: cfg.withDefaults(), suite: d.Keys.Suite(), now: time.Now, rand: rand.Reader, log: slog.Default()}
	for _, o := range opts {
		o(s)
	}
	var err error
	limiter := func(l throttle.Limit) *throttle.Limiter {
		lim, e := throttle.NewLimiter(d.Throttle, l, throttle.WithClock(s.now))
		err = errors.Join(err, e)
		return lim
	}
	s.loginAccount = limiter(s.cfg.LoginPerAccount)
	s.loginAddress = limiter(s.cfg.LoginPerAddress)
	s.startAddress = limiter(s.cfg.StartPerAddress)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Config returns the configuration in force, defaults applied.
func (s *Service) Config() Config { return s.cfg }
