// Package throttle limits how often something may happen per key: password
// attempts per account, one-time codes sent per phone, enrolment attempts
// per device. It owns the attempt-counter aggregate and declares the narrow
// Store it needs; internal/store/sqlstore implements it on SQLite and
// PostgreSQL.
//
// # Why the counters live in the store
//
// netid runs as many stateless nodes behind a load balancer. A counter kept
// in one node's memory would let an attacker multiply their budget by the
// number of nodes (and reset it by waiting for a restart). Keeping the
// counter in the shared store, and incrementing it with one atomic upsert,
// makes the limit hold across every node: any node can serve any request.
//
// # Model
//
// Each key has a fixed window. The first hit opens a window of the
// configured length and counts 1; later hits inside the window add 1; the
// first hit after the window has ended opens a new window. A Limiter allows
// a request while the count, including this hit, is at most Limit.Max, and
// otherwise says how long until the window ends. Hits are counted even when
// they are refused, so hammering a blocked key does not earn anything, but a
// fixed window also does not extend itself: the wait is bounded by
// Limit.Window.
//
// A fixed window is the simplest rule that one atomic statement can keep
// exactly on both engines; its known weakness (up to 2*Max hits across a
// window boundary) is acceptable for attempt limits, which exist to make
// guessing slow, not to meter traffic precisely.
//
// # Keys
//
// Keys are opaque strings. Callers MUST pass a keyed hash or another
// non-identifying value, never a raw phone number, document number or
// address: the store is readable by operators and ends up in backups. The
// Limiter prefixes each key with its Limit.Scope so that two limiters
// (say "password" and "sms") never share a counter.
package throttle
