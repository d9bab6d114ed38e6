package throttle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrEmptyKey is returned by Limiter methods called with an empty key, which
// would otherwise make every caller share one counter.
var ErrEmptyKey = errors.New("throttle: empty key")

// Limit is one configured rate limit: at most Max hits per Window for each
// key within Scope.
type Limit struct {
	// Scope names what is limited ("password", "sms-code"). It prefixes
	// every key, so limiters with different scopes never share a counter.
	// Letters, digits, '-', '_' and '.' only.
	Scope string
	// Max is how many hits a key may make in one window.
	Max int
	// Window is the length of the fixed window.
	Window time.Duration
}

// Validate reports every problem with l at once.
func (l Limit) Validate() error {
	var errs []error
	if l.Scope == "" {
		errs = append(errs, errors.New("throttle: limit scope is empty"))
	} else if strings.IndexFunc(l.Scope, func(r rune) bool { return !scopeRune(r) }) >= 0 {
		errs = append(errs, fmt.Errorf("throttle: limit scope %q: only letters, digits, '-', '_' and '.' are allowed", l.Scope))
	}
	if l.Max < 1 {
		errs = append(errs, fmt.Errorf("throttle: limit %q: max %d, want at least 1", l.Scope, l.Max))
	}
	// The store keeps times in microseconds; a shorter window would round
	// to nothing.
	if l.Window < time.Millisecond {
		errs = append(errs, fmt.Errorf("throttle: limit %q: window %v, want at least 1ms", l.Scope, l.Window))
	}
	return errors.Join(errs...)
}

func scopeRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
}

// Limiter applies one Limit to keys, counting in a Store shared by every
// node.
type Limiter struct {
	store Store
	limit Limit
	now   func() time.Time
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithClock makes the Limiter read the time from now instead of time.Now.
func WithClock(now func() time.Time) Option {
	return func(l *Limiter) { l.now = now }
}

// NewLimiter returns a Limiter applying limit with counters kept in s. It
// returns the errors of limit.Validate.
func NewLimiter(s Store, limit Limit, opts ...Option) (*Limiter, error) {
	if s == nil {
		return nil, errors.New("throttle: nil store")
	}
	if err := limit.Validate(); err != nil {
		return nil, err
	}
	l := &Limiter{store: s, limit: limit, now: time.Now}
	for _, o := range opts {
		o(l)
	}
	return l, nil
}

// Limit returns the limit l applies.
func (l *Limiter) Limit() Limit { return l.limit }

// Allow counts one attempt for key and reports whether it is within the
// limit. When it is not, retryAfter is how long until the current window
// ends: always positive and at most Limit.Window. The attempt is counted
// either way. key must be a non-identifying value (see the package
// documentation).
func (l *Limiter) Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error) {
	if key == "" {
		return false, 0, ErrEmptyKey
	}
	now := l.now()
	count, start, err := l.store.ThrottleHit(ctx, l.storeKey(key), l.limit.Window, now)
	if err != nil {
		return false, 0, fmt.Errorf("throttle: %s: %w", l.limit.Scope, err)
	}
	if count <= l.limit.Max {
		return true, 0, nil
	}
	return false, l.wait(start, now), nil
}

// Check reports whether key is still within the limit without counting
// an attempt, for limits that count only failures: a caller checks
// first, and calls Allow only for an attempt that failed. A key is within
// the limit while it has at most Max counted attempts.
func (l *Limiter) Check(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error) {
	if key == "" {
		return false, 0, ErrEmptyKey
	}
	now := l.now()
	count, start, err := l.store.ThrottleCount(ctx, l.storeKey(key), l.limit.Window, now)
	if err != nil {
		return false, 0, fmt.Errorf("throttle: %s: %w", l.limit.Scope, err)
	}
	if count < l.limit.Max {
		return true, 0, nil
	}
	return false, l.wait(start, now), nil
}

// wait returns how long until the window started at start ends, clamped to
// (0, Window]: node clocks disagree a little, and a caller told to wait zero
// or a negative time would retry at once, while one told to wait longer than
// a window would wait for nothing.
func (l *Limiter) wait(start, now time.Time) time.Duration {
	d := start.Add(l.limit.Window).Sub(now)
	switch {
	case d <= 0:
		return time.Millisecond
	case d > l.limit.Window:
		return l.limit.Window
	}
	return d
}

// Reset forgets key's counter, for example after a successful login.
func (l *Limiter) Reset(ctx context.Context, key string) error {
	if key == "" {
		return ErrEmptyKey
	}
	if err := l.store.ThrottleReset(ctx, l.storeKey(key)); err != nil {
		return fmt.Errorf("throttle: %s: %w", l.limit.Scope, err)
	}
	return nil
}

// storeKey namespaces key by scope. A scope cannot contain ':', so the
// result is unambiguous whatever key holds.
func (l *Limiter) storeKey(key string) string {
	return l.limit.Scope + ":" + key
}
