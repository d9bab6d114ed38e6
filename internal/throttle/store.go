package throttle

import (
	"context"
	"time"
)

// Store keeps attempt counters. Implementations live in internal/store; every
// method is atomic on its own and joins the transaction carried by ctx, if
// any (see store.TxRunner).
type Store interface {
	// ThrottleHit counts one hit on key and returns the count in the current
	// window, this hit included, and when that window started. The window
	// started at windowStart ends at windowStart+window; a hit at or after
	// that instant opens a new window starting at now with count 1.
	// Concurrent hits on the same key are all counted: n concurrent calls on
	// a fresh key return the counts 1..n, each exactly once.
	// windowStart is in UTC with microsecond precision.
	ThrottleHit(ctx context.Context, key string, window time.Duration, now time.Time) (count int, windowStart time.Time, err error)
	// ThrottleCount returns key's count in the current window and when
	// that window started, without counting a hit; 0 when key has no
	// counter or its window is over. Limiter.Check needs it for limits
	// that count only failures.
	ThrottleCount(ctx context.Context, key string, window time.Duration, now time.Time) (count int, windowStart time.Time, err error)
	// ThrottleReset forgets key's counter (for example after a successful
	// login). Resetting a key without a counter is not an error.
	ThrottleReset(ctx context.Context, key string) error
	// ThrottlePrune deletes the counters whose window started before
	// before, and returns how many it deleted. Call it periodically with
	// now minus the longest configured window.
	ThrottlePrune(ctx context.Context, before time.Time) (deleted int64, err error)
}
