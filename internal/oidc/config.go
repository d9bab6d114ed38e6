package oidc

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/netid/netid/internal/throttle"
)

// Config is what the operator configures about the provider.
type Config struct {
	// Issuer is the public URL of the service, the "iss" of every token:
	// https://host[:port], without a path (netid serves the provider at
	// the root of its host), query or fragment. http is accepted only for
	// a loopback host, for development and tests.
	Issuer string

	// CodeLifetime bounds how long an authorization code may wait for its
	// exchange (default 60 s; RFC 6749 section 4.1.2 recommends at most
	// 10 minutes).
	CodeLifetime time.Duration
	// AccessTokenLifetime is the lifetime of access tokens (default 10
	// minutes).
	AccessTokenLifetime time.Duration
	// IDTokenLifetime is the lifetime of ID tokens (default 10 minutes).
	IDTokenLifetime time.Duration
	// RefreshTokenLifetime bounds a grant that includes offline_access:
	// refresh tokens rotate at every use, but none outlives the grant
	// (default 30 days).
	RefreshTokenLifetime time.Duration
	// SessionLifetime is how long a login session serves single sign-on
	// (default 12 hours).
	SessionLifetime time.Duration
	// InteractionLifetime is how long a resident has to log in and
	// consent (default 15 minutes).
	InteractionLifetime time.Duration
	// ApprovalLifetime is how long a wallet approval waits: the second
	// factor of a login after the password, and a device authorization
	// (RFC 8628 expires_in). Default 5 minutes; at most 30.
	ApprovalLifetime time.Duration
	// DevicePollInterval is the least time a relying party waits between
	// two polls of a device authorization (RFC 8628 interval; whole
	// seconds, default 5 s). Polling faster is answered slow_down, which
	// adds 5 seconds for that device code.
	DevicePollInterval time.Duration
	// ApprovalLookups limits, per client address, the lookups of approval
	// codes that name no approval (guesses; the wallet's lookups of a
	// live code are not counted): an approval code has 40 bits, so it
	// must not be guessable at speed. Default 30 per 10 minutes; a zero
	// field takes its default.
	ApprovalLookups throttle.Limit
	// ClientCacheTTL is how long a relying party's registration is cached
	// in memory: a suspension or a secret rotation takes effect within it
	// on every node. Zero means the default (5 s); negative disables the
	// cache.
	ClientCacheTTL time.Duration
}

// The defaults of the zero Config fields.
const (
	defaultCodeLifetime        = 60 * time.Second
	defaultAccessTokenLifetime = 10 * time.Minute
	defaultIDTokenLifetime     = 10 * time.Minute
	defaultRefreshLifetime     = 30 * 24 * time.Hour
	defaultSessionLifetime     = 12 * time.Hour
	defaultInteractionLifetime = 15 * time.Minute
	defaultClientCacheTTL      = 5 * time.Second
	defaultApprovalLifetime    = 5 * time.Minute
	defaultDevicePollInterval  = 5 * time.Second
	maxApprovalLifetime        = 30 * time.Minute
)

// defaultApprovalLookups is the default of Config.ApprovalLookups: 30
// unknown codes in 10 minutes leaves room for mistyped codes of several
// people behind one address, and an address guesses a live code of 2^40
// with negligible odds.
var defaultApprovalLookups = throttle.Limit{Scope: "oidc-approval-lookup", Max: 30, Window: 10 * time.Minute}

// approvalLookups is ApprovalLookups with each zero field defaulted.
func (c Config) approvalLookups() throttle.Limit {
	l := c.ApprovalLookups
	if l.Scope == "" {
		l.Scope = defaultApprovalLookups.Scope
	}
	if l.Max == 0 {
		l.Max = defaultApprovalLookups.Max
	}
	if l.Window == 0 {
		l.Window = defaultApprovalLookups.Window
	}
	return l
}

// withDefaults returns c with every zero duration replaced by its default
// and the issuer without a trailing slash.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.CodeLifetime, defaultCodeLifetime)
	def(&c.AccessTokenLifetime, defaultAccessTokenLifetime)
	def(&c.IDTokenLifetime, defaultIDTokenLifetime)
	def(&c.RefreshTokenLifetime, defaultRefreshLifetime)
	def(&c.SessionLifetime, defaultSessionLifetime)
	def(&c.InteractionLifetime, defaultInteractionLifetime)
	def(&c.ClientCacheTTL, defaultClientCacheTTL)
	def(&c.ApprovalLifetime, defaultApprovalLifetime)
	def(&c.DevicePollInterval, defaultDevicePollInterval)
	c.ApprovalLookups = c.approvalLookups()
	c.Issuer = strings.TrimSuffix(c.Issuer, "/")
	return c
}

// Validate reports every problem of c at once.
func (c Config) Validate() error {
	var errs []error
	if err := checkIssuer(c.Issuer); err != nil {
		errs = append(errs, err)
	}
	for name, d := range map[string]time.Duration{
		"CodeLifetime": c.CodeLifetime, "AccessTokenLifetime": c.AccessTokenLifetime,
		"IDTokenLifetime": c.IDTokenLifetime, "RefreshTokenLifetime": c.RefreshTokenLifetime,
		"SessionLifetime": c.SessionLifetime, "InteractionLifetime": c.InteractionLifetime,
		"ApprovalLifetime": c.ApprovalLifetime, "DevicePollInterval": c.DevicePollInterval,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("oidc: %s %v is negative", name, d))
		}
	}
	if c.CodeLifetime > 10*time.Minute {
		errs = append(errs, fmt.Errorf("oidc: CodeLifetime %v is more than the 10 minutes RFC 6749 allows", c.CodeLifetime))
	}
	if c.ApprovalLifetime > maxApprovalLifetime {
		errs = append(errs, fmt.Errorf("oidc: ApprovalLifetime %v is more than %v: an approval code is short and must not live long", c.ApprovalLifetime, maxApprovalLifetime))
	}
	if c.DevicePollInterval%time.Second != 0 {
		errs = append(errs, fmt.Errorf("oidc: DevicePollInterval %v is not whole seconds (RFC 8628 interval)", c.DevicePollInterval))
	}
	if err := c.approvalLookups().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("oidc: ApprovalLookups: %w", err))
	}
	return errors.Join(errs...)
}

// checkIssuer reports what is wrong with an issuer URL.
func checkIssuer(s string) error {
	if s == "" {
		return errors.New("oidc: Issuer is empty: set the public https URL of the service")
	}
	u, err := url.Parse(strings.TrimSuffix(s, "/"))
	if err != nil {
		return fmt.Errorf("oidc: Issuer %q is not a URL", s)
	}
	switch {
	case u.Host == "" || u.Opaque != "":
		return fmt.Errorf("oidc: Issuer %q is not an absolute URL", s)
	case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.Contains(s, "#") || strings.Contains(s, "?"):
		return fmt.Errorf("oidc: Issuer %q has a path, query or fragment: the provider is served at the root of its host", s)
	case u.User != nil:
		return fmt.Errorf("oidc: Issuer %q contains user information", s)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
		return nil
	}
	return fmt.Errorf("oidc: Issuer %q must use https (http only for a loopback host)", s)
}

// isLoopbackHost reports whether host is localhost or a loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
