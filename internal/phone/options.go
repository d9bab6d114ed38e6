package phone

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Defaults of a Verifier.
const (
	DefaultTTL            = 10 * time.Minute
	DefaultMaxAttempts    = 5
	DefaultResendInterval = 60 * time.Second
	// DefaultMaxSends codes per challenge per DefaultSendWindow, and also
	// per number per DefaultSendWindow across all challenges (so that
	// opening many enrolments cannot flood one phone).
	DefaultMaxSends   = 5
	DefaultSendWindow = time.Hour
	// DefaultServiceName signs the SMS.
	DefaultServiceName = "netid"
)

// numberLimitScope is the throttle scope of the per-number send limit.
const numberLimitScope = "phone-send"

// Option configures a Verifier.
type Option func(*config)

type config struct {
	now          func() time.Time
	rand         io.Reader
	secret       []byte
	mac          func(key, msg []byte) []byte
	codeLen      int
	ttl          time.Duration
	maxAttempts  int
	resend       time.Duration
	sendMax      int
	sendWindow   time.Duration
	numberMax    int
	numberWindow time.Duration
	locale       Locale
	service      string
}

func defaultConfig() config {
	return config{
		now:          time.Now,
		rand:         rand.Reader,
		mac:          hmacSHA256,
		codeLen:      DefaultCodeLength,
		ttl:          DefaultTTL,
		maxAttempts:  DefaultMaxAttempts,
		resend:       DefaultResendInterval,
		sendMax:      DefaultMaxSends,
		sendWindow:   DefaultSendWindow,
		numberMax:    DefaultMaxSends,
		numberWindow: DefaultSendWindow,
		locale:       LocaleZhCN,
		service:      DefaultServiceName,
	}
}

// WithKey sets the secret key (at least MinKeyLen bytes) from which the
// keys of code hashes and number blind indexes are derived. Required. Every
// node must use the same key, and it must not be stored in the database
// (take it from the key store): with it, a copy of the database would let
// anyone test the million six-digit codes against a hash.
func WithKey(secret []byte) Option {
	return func(c *config) { c.secret = append([]byte(nil), secret...) }
}

// WithMAC replaces HMAC-SHA-256 as the keyed hash, for example with the sm
// suite's HMAC-SM3 (suite.Suite.MAC). mac must be a PRF returning at least
// 32 bytes.
func WithMAC(mac func(key, msg []byte) []byte) Option {
	return func(c *config) { c.mac = mac }
}

// WithClock makes the Verifier read the time from now.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithRand makes the Verifier draw codes and message ids from r instead of
// crypto/rand. For tests only.
func WithRand(r io.Reader) Option { return func(c *config) { c.rand = r } }

// WithCodeLength sets the number of digits of a code, MinCodeLength to
// MaxCodeLength.
func WithCodeLength(n int) Option { return func(c *config) { c.codeLen = n } }

// WithTTL sets how long a code is accepted, 1 minute to 1 hour.
func WithTTL(d time.Duration) Option { return func(c *config) { c.ttl = d } }

// WithMaxAttempts sets how many wrong codes lock a challenge, 1 to 20.
func WithMaxAttempts(n int) Option { return func(c *config) { c.maxAttempts = n } }

// WithResendInterval sets the minimum time between two Sends for one
// challenge, and the wait after a lock, 1 second to 1 hour.
func WithResendInterval(d time.Duration) Option { return func(c *config) { c.resend = d } }

// WithSendLimit allows at most max Sends per challenge in each window (a
// fixed window starting at the first Send).
func WithSendLimit(max int, window time.Duration) Option {
	return func(c *config) { c.sendMax, c.sendWindow = max, window }
}

// WithNumberSendLimit allows at most max codes to one number in each
// window, across all bindings and purposes; counted in the store, so the
// limit holds on every node.
func WithNumberSendLimit(max int, window time.Duration) Option {
	return func(c *config) { c.numberMax, c.numberWindow = max, window }
}

// WithDefaultLocale sets the locale of messages for which Send is given
// none. The default is LocaleZhCN.
func WithDefaultLocale(l Locale) Option { return func(c *config) { c.locale = l } }

// WithServiceName sets the signature the SMS carries (【netid】 in Chinese
// texts): the name registered with the carriers.
func WithServiceName(name string) Option { return func(c *config) { c.service = name } }

// validate reports every problem with c at once.
func (c *config) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf("phone: "+format, args...)) }
	if len(c.secret) < MinKeyLen {
		add("secret key of %d bytes, want at least %d (WithKey)", len(c.secret), MinKeyLen)
	}
	if c.mac == nil {
		add("nil MAC")
	}
	if c.now == nil {
		add("nil clock")
	}
	if c.rand == nil {
		add("nil random source")
	}
	if c.codeLen < MinCodeLength || c.codeLen > MaxCodeLength {
		add("code length %d, want %d to %d", c.codeLen, MinCodeLength, MaxCodeLength)
	}
	if c.ttl < time.Minute || c.ttl > time.Hour {
		add("code lifetime %v, want 1m to 1h", c.ttl)
	}
	if c.maxAttempts < 1 || c.maxAttempts > 20 {
		add("max attempts %d, want 1 to 20", c.maxAttempts)
	}
	if c.resend < time.Second || c.resend > time.Hour {
		add("resend interval %v, want 1s to 1h", c.resend)
	}
	if c.sendMax < 1 {
		add("max sends per challenge %d, want at least 1", c.sendMax)
	}
	if c.sendWindow < time.Minute || c.sendWindow > 24*time.Hour {
		add("send window per challenge %v, want 1m to 24h", c.sendWindow)
	}
	if c.numberMax < 1 {
		add("max sends per number %d, want at least 1", c.numberMax)
	}
	if c.numberWindow < time.Minute || c.numberWindow > 24*time.Hour {
		add("send window per number %v, want 1m to 24h", c.numberWindow)
	}
	if !c.locale.valid() {
		add("default locale %q, want %q or %q", c.locale, LocaleZhCN, LocaleEN)
	}
	if err := checkServiceName(c.service); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func checkServiceName(s string) error {
	n := utf8.RuneCountInString(s)
	if n < 1 || n > 20 || !utf8.ValidString(s) {
		return fmt.Errorf("phone: service name of %d characters, want 1 to 20", n)
	}
	if strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || r == '【' || r == '】'
	}) >= 0 {
		return errors.New("phone: service name contains a control character or 【】")
	}
	return nil
}
