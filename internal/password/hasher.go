package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// MaxInputBytes bounds the password bytes Hash, Verify and Policy.Check
// accept before doing any work on them. It is far above Policy's maximum
// length (1,024 code points of up to 4 bytes each).
const MaxInputBytes = 4096

// Defaults for the wait queue; see NewHasher.
const (
	// DefaultMaxWait is how long a password check may wait for a slot.
	// Longer than that, the resident is better served by a 503 and a
	// Retry-After than by a page that hangs.
	DefaultMaxWait = 2 * time.Second
	// defaultQueuePerSlot sizes the queue: a slot computes a default hash
	// in roughly 30 to 70 ms on a shared core, so in DefaultMaxWait each
	// slot serves about 30 to 60 waiters. A longer queue would only hold
	// requests that time out anyway.
	defaultQueuePerSlot = 32
	// collectThreshold (KiB): after a computation at least this large,
	// the Hasher asks for a garbage collection before it frees its slot;
	// see WithGCAfterHash.
	collectThreshold = 4 << 10
)

// Hasher hashes and verifies passwords with argon2id, bounding how many
// computations run at once by their memory. It is safe for concurrent use.
type Hasher struct {
	params    Params
	gate      *gate
	limits    Params // ceilings for Memory, Time and Threads of stored hashes
	random    io.Reader
	derive    func(password, salt []byte, p Params) []byte
	collect   bool
	dummySalt []byte
	dummyKey  []byte
}

type config struct {
	maxQueue    int
	maxWait     time.Duration
	limits      *Params
	random      io.Reader
	collect     bool
	allowWeak   bool
	derive      func(password, salt []byte, p Params) []byte
	maxQueueSet bool
	maxWaitSet  bool
	optErrs     []error
}

// Option configures a Hasher.
type Option func(*config)

// WithMaxQueue sets how many password checks may wait for a slot; the next
// one fails at once with ErrBusy. Zero means never wait. The default is 32
// per slot (see defaultQueuePerSlot).
func WithMaxQueue(n int) Option {
	return func(c *config) {
		if n < 0 {
			c.optErrs = append(c.optErrs, fmt.Errorf("password: max queue %d, want 0 or more", n))
		}
		c.maxQueue, c.maxQueueSet = n, true
	}
}

// WithMaxWait sets how long a password check may wait for a slot before it
// fails with ErrBusy. The default is DefaultMaxWait.
func WithMaxWait(d time.Duration) Option {
	return func(c *config) {
		if d <= 0 {
			c.optErrs = append(c.optErrs, fmt.Errorf("password: max wait %v, want more than 0", d))
		}
		c.maxWait, c.maxWaitSet = d, true
	}
}

// WithVerifyLimits sets the largest memory (KiB), passes and lanes that
// Verify accepts in a stored hash; anything above fails with
// ErrParamsOutOfBounds. The defaults are all the memory of all slots,
// max(4*Time, 8) passes (every OWASP setting uses 5 or fewer) and
// max(4*Threads, 16) lanes. Raise them before lowering Params if stored
// hashes were made with more. Memory above what all slots hold is refused
// regardless, since it could never run.
func WithVerifyLimits(maxMemory, maxTime uint32, maxThreads uint8) Option {
	return func(c *config) {
		c.limits = &Params{Memory: maxMemory, Time: maxTime, Threads: maxThreads}
	}
}

// WithRandom makes the Hasher read salts from r instead of crypto/rand. r
// must be safe for concurrent use.
func WithRandom(r io.Reader) Option {
	return func(c *config) { c.random = r }
}

// WithGCAfterHash sets whether the Hasher runs a garbage collection after
// each computation of 4 MiB or more, before freeing its slot (default true).
//
// Why: argon2 allocates a fresh Memory-sized buffer per call and the Go
// collector lets garbage grow to GOGC percent of the live heap before it
// collects. With the live heap made mostly of running argon2 buffers, the
// heap peaks at twice the bound the slots are meant to enforce or more:
// 1,000 hashes at 64 MiB through 4 slots peaked at 643 MiB of heap without
// the collection and 259 MiB with it (BenchmarkBurst1000). The buffers
// hold no pointers, so the collection is cheap while the rest of the heap
// is small: that run took 14% longer with it. A process that sets a memory
// limit (GOMEMLIMIT) may prefer to turn this off and accept its soft bound.
func WithGCAfterHash(on bool) Option {
	return func(c *config) { c.collect = on }
}

// AllowWeakParams lets NewHasher accept Params below the OWASP minimum
// cost. It exists for tests, which need hashes that take microseconds;
// never use it in the service.
func AllowWeakParams() Option {
	return func(c *config) { c.allowWeak = true }
}

// withDerive replaces argon2 in tests, so that they can block a
// computation and observe the queue without depending on timing.
func withDerive(f func(password, salt []byte, p Params) []byte) Option {
	return func(c *config) { c.derive = f }
}

func argon2id(password, salt []byte, p Params) []byte {
	return argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// NewHasher returns a Hasher that hashes with p and runs at most
// maxConcurrent computations of p.Memory at once (zero or less means
// DefaultMaxConcurrent(p)). It reports every problem with p and the
// options at once.
func NewHasher(p Params, maxConcurrent int, opts ...Option) (*Hasher, error) {
	c := config{random: rand.Reader, collect: true, derive: argon2id}
	for _, o := range opts {
		o(&c)
	}
	errs := c.optErrs
	if err := p.validate(c.allowWeak); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if maxConcurrent <= 0 {
		maxConcurrent = DefaultMaxConcurrent(p)
	}
	if !c.maxQueueSet {
		c.maxQueue = defaultQueuePerSlot * maxConcurrent
	}
	if !c.maxWaitSet {
		c.maxWait = DefaultMaxWait
	}
	capacity := int64(maxConcurrent) * int64(p.Memory)
	limits := Params{
		Memory:  uint32(min(capacity, MaxMemory)),
		Time:    max(4*p.Time, 8),
		Threads: uint8(min(max(4*int(p.Threads), 16), 255)),
	}
	if c.limits != nil {
		limits = *c.limits
		limits.Memory = uint32(min(int64(limits.Memory), capacity))
		if limits.Memory < p.Memory || limits.Time < p.Time || limits.Threads < p.Threads {
			return nil, fmt.Errorf("password: verify limits m=%d,t=%d,p=%d refuse the hasher's own m=%d,t=%d,p=%d",
				limits.Memory, limits.Time, limits.Threads, p.Memory, p.Time, p.Threads)
		}
	}
	h := &Hasher{
		params:  p,
		gate:    newGate(capacity, c.maxQueue, c.maxWait),
		limits:  limits,
		random:  c.random,
		derive:  c.derive,
		collect: c.collect,
	}
	// DummyVerify compares against a key nobody knows, derived from a salt
	// nobody knows, so that it cannot succeed by accident.
	h.dummySalt = make([]byte, p.SaltLen)
	h.dummyKey = make([]byte, p.KeyLen)
	if _, err := io.ReadFull(h.random, h.dummySalt); err != nil {
		return nil, fmt.Errorf("password: reading random salt: %w", err)
	}
	if _, err := io.ReadFull(h.random, h.dummyKey); err != nil {
		return nil, fmt.Errorf("password: reading random key: %w", err)
	}
	return h, nil
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Hash returns the PHC string of password under a fresh random salt:
// $argon2id$v=19$m=65536,t=1,p=2$<salt>$<key>. The password is normalised
// to Unicode NFKC first (NIST SP 800-63B), so that the same characters
// typed on another keyboard or input method, composed or decomposed,
// full-width or not, still verify. Hash does not apply a Policy; callers
// check the Policy when the resident chooses the password.
//
// It returns ErrBusy, or the context's error, when no slot became free in
// time, and ErrInputTooLong above MaxInputBytes.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > MaxInputBytes {
		return "", ErrInputTooLong
	}
	salt := make([]byte, h.params.SaltLen)
	if _, err := io.ReadFull(h.random, salt); err != nil {
		return "", fmt.Errorf("password: reading random salt: %w", err)
	}
	key, err := h.compute(ctx, password, salt, h.params)
	if err != nil {
		return "", err
	}
	return encode(h.params, salt, key), nil
}

// Verify reports whether password matches the stored PHC string encoded,
// comparing in constant time. needsRehash is true when the password
// matched but encoded was made with other Params than the Hasher's: the
// caller should then store a fresh Hash while it has the password.
//
// A stored string that is malformed fails with ErrMalformedHash; one whose
// cost exceeds the Hasher's limits fails with ErrParamsOutOfBounds, before
// any memory is allocated. ErrBusy and the context's error mean no
// computation took place: the caller must not count them as a wrong
// password. A password longer than MaxInputBytes cannot have been hashed
// and is a wrong password.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error) {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	if p.Memory > h.limits.Memory || p.Time > h.limits.Time || p.Threads > h.limits.Threads {
		return false, false, fmt.Errorf("%w: m=%d,t=%d,p=%d exceeds m=%d,t=%d,p=%d",
			ErrParamsOutOfBounds, p.Memory, p.Time, p.Threads, h.limits.Memory, h.limits.Time, h.limits.Threads)
	}
	if len(password) > MaxInputBytes {
		return false, false, nil
	}
	got, err := h.compute(ctx, password, salt, p)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, p != h.params, nil
}

// DummyVerify does the work of a Verify against a hash made with the
// Hasher's Params, and always fails. Call it when the account does not
// exist (or has no password), so that the response takes as long and
// fails the same ways (ErrBusy included) as for an account that does:
// otherwise the response time tells an attacker which internet numbers
// exist. It returns nil or the errors Verify returns when no computation
// took place.
//
// Accounts whose stored hash uses older, different Params still take a
// different time until their next login rehashes them.
func (h *Hasher) DummyVerify(ctx context.Context, password string) error {
	if len(password) > MaxInputBytes {
		return nil
	}
	got, err := h.compute(ctx, password, h.dummySalt, h.params)
	if err != nil {
		return err
	}
	subtle.ConstantTimeCompare(got, h.dummyKey)
	return nil
}

// Stats describes the Hasher's load, for metrics.
type Stats struct {
	// InUse and Capacity are the memory (KiB) of the running computations
	// and of all slots.
	InUse, Capacity int64
	// Waiting is the number of password checks waiting for a slot.
	Waiting int
}

// Stats returns the current load.
func (h *Hasher) Stats() Stats {
	used, waiting := h.gate.stats()
	return Stats{InUse: used, Capacity: h.gate.capacity, Waiting: waiting}
}

// compute normalises password and derives its key under p, within a slot.
func (h *Hasher) compute(ctx context.Context, password string, salt []byte, p Params) ([]byte, error) {
	need := int64(p.Memory)
	if err := h.gate.acquire(ctx, need); err != nil {
		return nil, err
	}
	defer h.gate.release(need)
	pw := []byte(norm.NFKC.String(password))
	key := h.derive(pw, salt, p)
	clear(pw)
	if h.collect && p.Memory >= collectThreshold {
		// The argon2 buffer is garbage now; free it before the slot is
		// reused (see WithGCAfterHash).
		runtime.GC()
	}
	return key, nil
}
