package credential

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Config holds the CA's settings. Zero durations take the defaults below.
type Config struct {
	// BaseURL is the service's public URL, such as "https://id.example.org"
	// (no query, no fragment). Certificates point to BaseURL/crl?ca=<key id>
	// (CRL distribution point) and BaseURL/ocsp (OCSP responder).
	BaseURL string
	// Validity is the lifetime of an internet certificate. Default: one
	// year (DefaultValidity).
	Validity time.Duration
	// CAValidity is the lifetime of a CA certificate, counted from the CA
	// key's creation. Default: 20 years. A certificate that would outlive
	// the active CA certificate is refused (ErrCAExpiring): rotate first.
	CAValidity time.Duration
	// Backdate moves NotBefore into the past so that a verifier whose
	// clock is a little behind accepts a certificate issued a moment ago.
	// Default: 5 minutes. Must be shorter than Validity.
	Backdate time.Duration
	// CRLValidity is the span from a CRL's thisUpdate to its nextUpdate:
	// how long a relying party may keep using it. Default: 24 hours.
	CRLValidity time.Duration
	// CRLRefresh is how long a node reuses a CRL it signed before signing a
	// new one (a revocation on the node itself refreshes at once). Bounds
	// how stale GET /crl can be. Default: 1 minute. Must be shorter than
	// CRLValidity.
	CRLRefresh time.Duration
	// OCSPValidity is the span from an OCSP response's thisUpdate to its
	// nextUpdate. Default: 1 hour.
	OCSPValidity time.Duration
	// MaxOCSPRequest is the largest OCSP request accepted, in bytes.
	// Default: 4096 (a request for one certificate is about 100 bytes).
	MaxOCSPRequest int
}

// Defaults of Config.
const (
	DefaultValidity       = 365 * 24 * time.Hour
	DefaultCAValidity     = 20 * 365 * 24 * time.Hour
	DefaultBackdate       = 5 * time.Minute
	DefaultCRLValidity    = 24 * time.Hour
	DefaultCRLRefresh     = time.Minute
	DefaultOCSPValidity   = time.Hour
	DefaultMaxOCSPRequest = 4096
)

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Validity, DefaultValidity)
	def(&c.CAValidity, DefaultCAValidity)
	def(&c.Backdate, DefaultBackdate)
	def(&c.CRLValidity, DefaultCRLValidity)
	def(&c.CRLRefresh, DefaultCRLRefresh)
	def(&c.OCSPValidity, DefaultOCSPValidity)
	if c.MaxOCSPRequest == 0 {
		c.MaxOCSPRequest = DefaultMaxOCSPRequest
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c
}

// Validate reports every problem of c at once; zero durations count as
// their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	switch u, err := url.Parse(c.BaseURL); {
	case c.BaseURL == "":
		errs = append(errs, errors.New("credential: base URL is empty"))
	case err != nil:
		errs = append(errs, fmt.Errorf("credential: base URL: %w", err))
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "":
		errs = append(errs, fmt.Errorf("credential: base URL %q must be absolute http(s)", c.BaseURL))
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		errs = append(errs, fmt.Errorf("credential: base URL %q must have no user, query or fragment", c.BaseURL))
	}
	positive := []struct {
		name string
		d    time.Duration
	}{
		{"validity", c.Validity}, {"CA validity", c.CAValidity}, {"backdate", c.Backdate},
		{"CRL validity", c.CRLValidity}, {"CRL refresh", c.CRLRefresh}, {"OCSP validity", c.OCSPValidity},
	}
	for _, p := range positive {
		if p.d < time.Second {
			errs = append(errs, fmt.Errorf("credential: %s %v, want at least 1s", p.name, p.d))
		}
	}
	if c.Backdate >= c.Validity {
		errs = append(errs, fmt.Errorf("credential: backdate %v must be shorter than validity %v", c.Backdate, c.Validity))
	}
	if c.Validity >= c.CAValidity {
		errs = append(errs, fmt.Errorf("credential: validity %v must be shorter than CA validity %v", c.Validity, c.CAValidity))
	}
	if c.CRLRefresh >= c.CRLValidity {
		errs = append(errs, fmt.Errorf("credential: CRL refresh %v must be shorter than CRL validity %v", c.CRLRefresh, c.CRLValidity))
	}
	if c.MaxOCSPRequest < 128 {
		errs = append(errs, fmt.Errorf("credential: max OCSP request %d bytes, want at least 128", c.MaxOCSPRequest))
	}
	return errors.Join(errs...)
}

// Option configures a CA.
type Option func(*CA)

// WithClock makes the CA read the time from now instead of time.Now.
func WithClock(now func() time.Time) Option { return func(ca *CA) { ca.now = now } }

// WithRand makes the CA draw serials, salts and signature randomness from r
// instead of crypto/rand.
func WithRand(r io.Reader) Option { return func(ca *CA) { ca.rand = r } }
