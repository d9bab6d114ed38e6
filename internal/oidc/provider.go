package oidc

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rs/cors"
	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/throttle"
)

// The provider's paths. The protocol endpoints are listed in discovery, so
// RPs never hard-code them; the pages are the provider's own.
const (
	pathDiscovery  = "/.well-known/openid-configuration"
	pathJWKS       = "/oidc/jwks"
	pathAuthorize  = "/oidc/authorize"
	pathToken      = "/oidc/token"
	pathUserinfo   = "/oidc/userinfo"
	pathRevoke     = "/oidc/revoke"
	pathIntrospect = "/oidc/introspect"
	pathEndSession = "/oidc/end_session"
	pathLogin      = "/login"
	pathConsent    = "/consent"
	pathLogout     = "/logout"

	// RFC 8628 and the wallet's approvals (approvals_api.go, device.go,
	// stepup.go).
	pathDeviceAuthorization = "/oidc/device_authorization"
	pathDevice              = "/device"
	pathApprovePage         = "/approve/"
	pathStepUp              = "/login/second-factor"
	pathApprovalsAPI        = "/v1/approvals/"
)

// Residents is what the provider needs of enrolment: checking a password
// and the wallet's dynamic code, whether the resident locked a way of
// signing in, and reading the identity behind released claims.
// *enrol.Service implements it.
type Residents interface {
	// AuthenticateResident checks an internet number or login phone number and password
	// (throttled per address and account); see enrol.Service.
	AuthenticateResident(ctx context.Context, internetNumber, password, clientAddr string) (enrol.Account, error)
	// VerifyDynamicCode checks the wallet's dynamic code of a resident
	// (throttled, single use; enrol.ErrBadDynamicCode,
	// enrol.ErrDynamicCodeReused, *enrol.ThrottledError,
	// *enrol.LockedError).
	VerifyDynamicCode(ctx context.Context, residentID, code, clientAddr string) error
	// CheckMethod refuses a way of signing in that the resident locked
	// (*enrol.LockedError): the provider asks it for enrol.MethodWallet
	// before accepting a wallet's approval.
	CheckMethod(ctx context.Context, residentID string, m enrol.Method) error
	// Resident returns the resident's account (for the internet number
	// claim).
	Resident(ctx context.Context, id string) (enrol.Account, error)
	// Identity returns the resident's decrypted identity attributes.
	Identity(ctx context.Context, id string) (enrol.Identity, error)
}

var _ Residents = (*enrol.Service)(nil)

// Deps are the provider's required dependencies.
type Deps struct {
	// Store keeps sessions, interactions, consents, grants, tokens.
	Store Store
	// RPs is the relying-party registry (rp.Store).
	RPs RelyingParties
	// Keys is the key store.
	Keys Keys
	// Residents authenticates residents and opens their identity.
	Residents Residents
	// Disclosures records each release of claims; nil records them in
	// Store (its plain disclosures table).
	Disclosures DisclosureRecorder
	// Suite is the service's crypto suite: wallet presentations are
	// verified with it.
	Suite suite.Suite
	// CA gives the CA certificates a wallet's certificate must chain to
	// (*credential.CA).
	CA CACertificates
}

// CACertificates lists the issuing CA's certificates, active and retiring
// (*credential.CA).
type CACertificates interface {
	CACertificates(ctx context.Context) ([]*x509.Certificate, error)
}

// Option configures a Provider.
type Option func(*Provider)

// WithClock makes the provider read the time from now.
func WithClock(now func() time.Time) Option { return func(p *Provider) { p.now = now } }

// WithRand makes the provider draw ids, codes and tokens from r instead of
// crypto/rand.
func WithRand(r io.Reader) Option { return func(p *Provider) { p.rand = r } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(p *Provider) { p.log = l } }

// WithClientAddr sets how the provider learns a request's client address,
// which login throttling counts by. The default is the host of
// Request.RemoteAddr; behind netid's HTTP stack pass
// httpapi.ClientAddrFrom on the request's context.
func WithClientAddr(f func(*http.Request) string) Option {
	return func(p *Provider) { p.clientAddr = f }
}

// Provider is netid's OpenID provider. It is safe for concurrent use and
// keeps no state of its own beyond caches: every node serves every
// request.
type Provider struct {
	cfg        Config
	d          Deps
	log        *slog.Logger
	now        func() time.Time
	rand       io.Reader
	clientAddr func(*http.Request) string

	clients  *clientCache
	lookups  *throttle.Limiter
	signer   *tokenSigner
	pairwise *pairwise
	cookies  cookieNames
	pages    *pages
	encoder  httphelper.Encoder
	handler  http.Handler
}

// NewProvider returns a provider. It reports every configuration problem
// and every missing dependency at once.
func NewProvider(cfg Config, deps Deps, opts ...Option) (*Provider, error) {
	var errs []error
	if err := cfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	missing := func(ok bool, name string) {
		if !ok {
			errs = append(errs, errors.New("oidc: missing dependency "+name))
		}
	}
	missing(deps.Store != nil, "Store")
	missing(deps.RPs != nil, "RPs")
	missing(deps.Keys != nil, "Keys")
	missing(deps.Residents != nil, "Residents")
	missing(deps.Suite != nil, "Suite")
	missing(deps.CA != nil, "CA")
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if deps.Disclosures == nil {
		deps.Disclosures = deps.Store
	}
	cfg = cfg.withDefaults()
	p := &Provider{cfg: cfg, d: deps, log: slog.Default(), now: time.Now, rand: rand.Reader, clientAddr: remoteHost}
	for _, o := range opts {
		o(p)
	}
	p.clients = &clientCache{src: deps.RPs, ttl: cfg.ClientCacheTTL, now: p.now, entries: map[string]clientEntry{}}
	var err error
	if p.lookups, err = throttle.NewLimiter(deps.Store, cfg.ApprovalLookups, throttle.WithClock(p.now)); err != nil {
		return nil, err
	}
	p.signer = &tokenSigner{keys: deps.Keys}
	p.pairwise = &pairwise{keys: deps.Keys, store: deps.Store}
	p.cookies = newCookieNames(strings.HasPrefix(cfg.Issuer, "https://"))
	if p.pages, err = newPages(); err != nil {
		return nil, err
	}
	p.encoder = issEncoder{inner: oidc.NewEncoder(), issuer: cfg.Issuer}
	p.handler = op.RegisterServer(&server{p: p}, p.endpoints(),
		op.WithEncoder(p.encoder),
		// Browser clients need CORS on the token, userinfo and metadata
		// endpoints, but never with credentials: the protocol endpoints
		// take bearer tokens and client secrets, not cookies.
		op.WithServerCORSOptions(&cors.Options{
			AllowedOrigins: []string{"*"},
			AllowedMethods: []string{http.MethodGet, http.MethodPost},
			AllowedHeaders: []string{"Authorization", "Content-Type"},
		}))
	return p, nil
}

// remoteHost is the default client address: the host of RemoteAddr.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// endpoints are the protocol endpoints the library routes and discovery
// lists.
func (p *Provider) endpoints() op.Endpoints {
	return op.Endpoints{
		Authorization: op.NewEndpoint(pathAuthorize),
		Token:         op.NewEndpoint(pathToken),
		Introspection: op.NewEndpoint(pathIntrospect),
		Userinfo:      op.NewEndpoint(pathUserinfo),
		Revocation:    op.NewEndpoint(pathRevoke),
		EndSession:    op.NewEndpoint(pathEndSession),
		JwksURI:       op.NewEndpoint(pathJWKS),

		DeviceAuthorization: op.NewEndpoint(pathDeviceAuthorization),
	}
}

// Issuer returns the issuer URL, as it appears in tokens.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// Routes returns the provider's routes as net/http.ServeMux patterns, for
// httpapi.Server.Handle:
//
//	GET       /.well-known/openid-configuration   discovery
//	GET       /oidc/jwks                          token-signing keys (JWKS)
//	GET, POST /oidc/authorize                     authorization endpoint
//	POST      /oidc/token                         token endpoint
//	GET, POST /oidc/userinfo                      userinfo
//	POST      /oidc/revoke                        revocation (RFC 7009)
//	POST      /oidc/introspect                    introspection (RFC 7662)
//	GET, POST /oidc/end_session                   RP-initiated logout
//	GET, POST /login                              login page
//	GET, POST /consent                            consent page
//	GET, POST /logout                             logout confirmation page
//	POST      /oidc/device_authorization          RFC 8628 device authorization
//	GET, POST /login/second-factor                the second factor of a login (dynamic code, wallet)
//	GET       /device                             the QR code of a device authorization
//	GET       /approve/{code}                     where an approval QR code leads a browser
//	GET, POST /v1/approvals/{code}                the wallet's approval API (JSON)
func (p *Provider) Routes() map[string]http.Handler {
	proto := noStore(p.handler)
	routes := map[string]http.Handler{
		"GET " + pathDiscovery:   p.handler,
		"GET " + pathJWKS:        p.handler,
		"POST " + pathToken:      proto,
		"POST " + pathRevoke:     proto,
		"POST " + pathIntrospect: proto,

		"POST " + pathDeviceAuthorization: proto,
	}
	for _, path := range []string{pathAuthorize, pathUserinfo, pathEndSession} {
		routes["GET "+path], routes["POST "+path] = proto, proto
	}
	routes["GET "+pathLogin] = http.HandlerFunc(p.loginPage)
	routes["POST "+pathLogin] = http.HandlerFunc(p.login)
	routes["GET "+pathConsent] = http.HandlerFunc(p.consentPage)
	routes["POST "+pathConsent] = http.HandlerFunc(p.consent)
	routes["GET "+pathLogout] = http.HandlerFunc(p.logoutPage)
	routes["POST "+pathLogout] = http.HandlerFunc(p.logout)
	routes["GET "+pathStepUp] = http.HandlerFunc(p.stepUpPage)
	routes["POST "+pathStepUp] = http.HandlerFunc(p.stepUp)
	routes["GET "+pathDevice] = http.HandlerFunc(p.devicePage)
	routes["GET "+pathApprovePage+"{code}"] = http.HandlerFunc(p.approvePage)
	routes["GET "+pathApprovalsAPI+"{code}"] = http.HandlerFunc(p.approvalRequest)
	routes["POST "+pathApprovalsAPI+"{code}"] = http.HandlerFunc(p.approvalAnswer)
	return routes
}

// noStore marks responses as not cacheable: tokens, codes in redirects
// and personal claims must stay out of every cache (RFC 6749 section 5.1).
func noStore(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// Check reports whether the provider can serve: the token-signing key is
// usable and the pinned pairwise key still computes subjects. serve adds it
// to /readyz; a retired pairwise key keeps the node out of rotation instead
// of handing every RP new subjects.
func (p *Provider) Check(ctx context.Context) error {
	meta, s, err := p.d.Keys.ActiveSigner(keystore.TokenSigning)
	if err != nil {
		return fmt.Errorf("oidc: token-signing key: %w", err)
	}
	if _, err := newES256Signer(meta.ID, s); err != nil {
		return err
	}
	_, err = p.pairwise.subject(ctx, "readiness.check", "0000000000")
	return err
}

// PairwiseSubject returns the subject a resident of internet number number
// has at every RP of sector.
func (p *Provider) PairwiseSubject(ctx context.Context, sector, number string) (string, error) {
	return p.pairwise.subject(ctx, sector, number)
}

// WithdrawConsent forgets the consent a resident gave an RP and revokes
// every grant (and so every token) the RP holds for them. The next login
// asks again.
func (p *Provider) WithdrawConsent(ctx context.Context, residentID, clientID string) error {
	if residentID == "" || clientID == "" {
		return errors.New("oidc: withdraw consent: empty resident or client id")
	}
	return p.d.Store.InTx(ctx, func(ctx context.Context) error {
		if err := p.d.Store.DeleteRememberedConsent(ctx, residentID, clientID); err != nil && !isNotFound(err) {
			return err
		}
		_, err := p.d.Store.RevokeGrantsOf(ctx, residentID, clientID, p.stamp())
		return err
	})
}

// ForgetClient drops the provider's cached registration of an RP, so that
// a suspension or a secret rotation made in this process takes effect at
// once here; other nodes see it within Config.ClientCacheTTL.
func (p *Provider) ForgetClient(clientID string) { p.clients.forget(clientID) }

// Prune deletes the sessions, interactions, approvals, grants and tokens
// that have expired, and returns how many rows it deleted. Run it
// periodically.
func (p *Provider) Prune(ctx context.Context) (int64, error) {
	n, err := p.d.Store.PruneOIDC(ctx, p.stamp())
	if err != nil {
		return n, err
	}
	m, err := p.d.Store.PruneApprovals(ctx, p.stamp())
	return n + m, err
}

// stamp is the current time as the store keeps it.
func (p *Provider) stamp() time.Time { return p.now().UTC().Truncate(time.Microsecond) }

// issEncoder adds the issuer to every authorization response the library
// encodes (its error redirects), as RFC 9207 requires; the provider adds
// it to its own success and error redirects too.
type issEncoder struct {
	inner  httphelper.Encoder
	issuer string
}

func (e issEncoder) Encode(src any, dst map[string][]string) error {
	if err := e.inner.Encode(src, dst); err != nil {
		return err
	}
	dst["iss"] = []string{e.issuer}
	return nil
}
