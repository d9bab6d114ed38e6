package password

import (
	"errors"
	"fmt"
	"runtime"
)

// Params are the argon2id cost parameters and output sizes. They come from
// the service configuration; every hash records the ones it was made with,
// so changing them only affects new hashes (and Verify reports older ones
// as needing a rehash).
type Params struct {
	// Memory is the memory cost m in KiB. Each computation holds this much
	// memory for its whole duration.
	Memory uint32
	// Time is the number of passes t over the memory.
	Time uint32
	// Threads is the number of lanes p. Go computes the lanes of one hash
	// on that many goroutines, so one hash can use up to Threads cores.
	Threads uint8
	// KeyLen is the length in bytes of the derived key (the tag).
	KeyLen uint32
	// SaltLen is the length in bytes of the random salt.
	SaltLen uint32
}

// Bounds that Validate enforces, and that Verify applies to the lengths
// found in stored strings.
const (
	MinKeyLen  = 16 // 128 bits: below that, collisions become the weak point
	MaxKeyLen  = 64
	MinSaltLen = 16 // RFC 9106 section 3.1 recommends 128 bits for password hashing
	MaxSaltLen = 64
	// MaxMemory (KiB) is 4 GiB, well above any sane interactive setting;
	// larger values are a typo.
	MaxMemory = 4 << 20
	// MaxTime is far above any interactive setting; larger values are a
	// typo.
	MaxTime = 64
)

// DefaultParams returns m=64 MiB, t=1, p=2, a 32-byte key and a 16-byte salt.
//
// Why these: RFC 9106 section 4 recommends argon2id with 2 GiB and t=1
// (first option) or, "if much less memory is available", 64 MiB with t=3
// (second option), both with p=4. netid keeps the second option's 64 MiB,
// because memory is what makes guessing expensive on GPUs and ASICs, and
// takes the first option's single pass, so that one core computes some 20
// to 30 hashes a second (20 to 23 per CPU-second measured on a shared AMD
// EPYC core; see BenchmarkHashDefaultParallel): logins must stay limited
// by argon2 yet cheap enough to serve. This is above the OWASP Password
// Storage Cheat Sheet's setting for t=1 (46 MiB). p=2 lets one hash use
// two cores, which can nearly halve the latency a resident sees on an idle
// machine without changing the work an attacker must do per guess.
// Memory, Time and Threads are configuration: operators on bigger machines
// should raise Memory first.
func DefaultParams() Params {
	return Params{Memory: 64 * 1024, Time: 1, Threads: 2, KeyLen: 32, SaltLen: 16}
}

// owaspMinMemory is the smallest memory (KiB) the OWASP Password Storage
// Cheat Sheet accepts for argon2id with t passes: 46 MiB at t=1, 19 MiB at
// t=2, 12 MiB at t=3, 9 MiB at t=4 and 7 MiB from t=5 on.
func owaspMinMemory(t uint32) uint32 {
	switch t {
	case 0, 1:
		return 47104
	case 2:
		return 19456
	case 3:
		return 12288
	case 4:
		return 9216
	default:
		return 7168
	}
}

// Validate reports every problem with p at once, including a cost below the
// OWASP minimum for argon2id (see owaspMinMemory).
func (p Params) Validate() error { return p.validate(false) }

func (p Params) validate(allowWeak bool) error {
	var errs []error
	if p.Time < 1 || p.Time > MaxTime {
		errs = append(errs, fmt.Errorf("password: argon2 time %d, want 1 to %d passes", p.Time, MaxTime))
	}
	if p.Threads < 1 {
		errs = append(errs, errors.New("password: argon2 threads 0, want at least 1"))
	}
	// RFC 9106 section 3.1: m is at least 8*p KiB.
	if minMem := max(8, 8*uint32(p.Threads)); p.Memory < minMem || p.Memory > MaxMemory {
		errs = append(errs, fmt.Errorf("password: argon2 memory %d KiB, want %d to %d KiB", p.Memory, minMem, MaxMemory))
	}
	if !allowWeak && p.Time >= 1 && p.Memory < owaspMinMemory(p.Time) {
		errs = append(errs, fmt.Errorf("password: argon2 memory %d KiB with %d pass(es) is below the OWASP minimum of %d KiB", p.Memory, p.Time, owaspMinMemory(p.Time)))
	}
	if p.KeyLen < MinKeyLen || p.KeyLen > MaxKeyLen {
		errs = append(errs, fmt.Errorf("password: argon2 key length %d, want %d to %d bytes", p.KeyLen, MinKeyLen, MaxKeyLen))
	}
	if p.SaltLen < MinSaltLen || p.SaltLen > MaxSaltLen {
		errs = append(errs, fmt.Errorf("password: argon2 salt length %d, want %d to %d bytes", p.SaltLen, MinSaltLen, MaxSaltLen))
	}
	return errors.Join(errs...)
}

// DefaultMemoryBudget (bytes) is how much memory the argon2 computations of
// one process may hold at once when NewHasher picks the concurrency: half of
// the 512 MiB the whole process is meant to stay under, the rest being the
// service itself and the Go runtime's headroom.
const DefaultMemoryBudget = 256 << 20

// DefaultMaxConcurrent is the concurrency NewHasher uses when given zero:
// one computation per core (GOMAXPROCS), because more cannot compute faster
// and only adds memory and latency, but no more than fit in
// DefaultMemoryBudget at p.Memory each, and at least one. With
// DefaultParams on 2 cores that is 2 (128 MiB); on 8 cores it is 4, capped
// by memory: operators with more memory pass a larger number explicitly.
func DefaultMaxConcurrent(p Params) int {
	n := runtime.GOMAXPROCS(0)
	if p.Memory > 0 {
		n = min(n, int(DefaultMemoryBudget/(int64(p.Memory)*1024)))
	}
	return max(n, 1)
}
