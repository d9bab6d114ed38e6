// Package password stores and checks residents' passwords: argon2id hashing
// with a bound on the memory it may use at once (Hasher), and the rules a
// new password must meet, after NIST SP 800-63B (Policy). Throttling of
// failed attempts per account and per client address is not here: it is
// internal/throttle, which the login flow calls around Verify.
//
// # Flows
//
// Choosing a password (enrolment, change, reset):
//
//	if err := policy.Check(pw, internetNumber, phone, name, "netid"); err != nil {
//		// *PolicyError: show err.Error() to the resident (HTTP 422)
//	}
//	encoded, err := hasher.Hash(ctx, pw) // store encoded
//
// Logging in with a password:
//
//	encoded, found, err := lookup(ctx, internetNumber) // the caller's store
//	if !found {
//		err = hasher.DummyVerify(ctx, pw) // same time, same ErrBusy
//		// answer "wrong internet number or password", or 503 on ErrBusy
//	}
//	ok, rehash, err := hasher.Verify(ctx, pw, encoded)
//	// ErrBusy or ctx error: 503 with Retry-After, not a failed attempt.
//	// !ok: a failed attempt for the throttle.
//	// ok && rehash: hasher.Hash(ctx, pw) and store it.
//
// The policy is applied only when a password is chosen, never at login: a
// resident whose password predates a stricter policy can still log in.
//
// # Hashing
//
// Hashes are PHC strings, "$argon2id$v=19$m=65536,t=1,p=2$<salt>$<key>",
// the format of the argon2 reference implementation (and of libsodium,
// PHP, Python's argon2-cffi), so that stored hashes can move between
// implementations; the tests check known answers made by the reference
// implementation. Each string records its own parameters, so changing
// Params in the configuration affects new hashes only, and Verify reports
// needsRehash for older ones at the resident's next login.
//
// DefaultParams is m=64 MiB, t=1, p=2 (see its comment for why). Passwords
// are normalised to Unicode NFKC before hashing, as NIST SP 800-63B
// recommends: the same password typed on another keyboard or input method
// (full-width characters from a Chinese IME, decomposed accents from some
// systems) then verifies. Case is kept.
//
// A stored string is outside data for this package: a damaged or tampered
// row must not be able to exhaust memory. The parser accepts only the
// canonical form this package writes, and Verify refuses stored parameters
// above its limits (by default all the memory of all slots, max(4t, 8)
// passes, max(4p, 16) lanes) with ErrParamsOutOfBounds before allocating
// anything.
//
// # Bounding memory
//
// Each argon2 computation holds Memory KiB for its whole duration, so
// unbounded concurrency is unbounded memory: 1,000 simultaneous attempts
// at 64 MiB would ask for 62 GiB. The Hasher therefore runs computations
// through a gate that counts memory, not requests: its capacity is
// maxConcurrent x Memory, each computation takes the memory its parameters
// need (an old hash with twice the memory takes two slots), and the queue
// is FIFO. Waiting is bounded by a queue length (default 32 per slot), a
// maximum wait (default 2 s) and the request's context; a request that
// cannot be served fails with ErrBusy, which the HTTP layer turns into 503
// with Retry-After. So a burst costs at most the running computations plus
// a bounded number of parked goroutines; the rest are refused at once.
//
// The default concurrency is one computation per core (more cannot compute
// faster), capped so that the computations hold at most 256 MiB
// (DefaultMemoryBudget): with DefaultParams, 2 on a 2-core machine.
//
// A bound on live buffers is not yet a bound on the heap: argon2 allocates
// a fresh buffer per call, and Go's collector lets garbage grow to GOGC
// (100) percent of the live heap before collecting: 1,000 hashes at
// 64 MiB through 4 slots peaked at 643 MiB of heap. The Hasher therefore
// runs a collection after each computation of 4 MiB or more, before
// freeing its slot, which keeps the peak at the slots' total: 259 MiB for
// the same 1,000 hashes, 14% slower. The buffers contain no pointers, so
// these collections are cheap while the rest of the heap is small;
// WithGCAfterHash(false) turns them off for a process that prefers a
// GOMEMLIMIT.
//
// # Policy
//
// Policy follows NIST SP 800-63B-4 section 3.1.1.2 (5.1.1.2 in revision
// 3): at least 8 characters, a maximum of at least 64 (default 128),
// length counted in Unicode code points after NFKC normalisation, every
// printable character allowed (spaces, any script, emoji), no composition
// rules, and a refusal of passwords that guessers try first:
//
//   - ErrCommon: on the bundled blocklist, compared case-insensitively
//     after NFKC, also with spaces removed and with a predictable prefix or
//     suffix of non-letters ignored ("Password1!", "2024dragon").
//   - ErrContext: the resident's own details (internet number, phone
//     number, names, the service's name), when the password is one of
//     them or adds little to one ("ZhangWei1990").
//   - ErrRepetitive: repeated or sequential characters ("aaaaaaaa",
//     "12345678", "abcdefgh", "1234abcd", "passpasspass").
//
// "Adds little" and "predictable" share one measure, weight: the number of
// characters not predictable from the one before (same character,
// neighbouring code point, same step as before). A password is refused
// when it weighs at most 4, or when what surrounds a common word or a
// personal detail weighs at most 4. It is deliberately cruder than an
// entropy estimator: it refuses what NIST names and nothing else, and
// its messages never ask for a digit, a capital or a symbol.
//
// # The blocklist
//
// The list is imported, not copied: github.com/trustelem/zxcvbn v1.0.1
// (MIT licence), a Go port of Dropbox's zxcvbn 4.4.2 (MIT), carries
// zxcvbn's ranked frequency lists as Go data in its frequency package.
// netid uses all of them: the 30,000 most common passwords of a
// leaked-password corpus, the 30,000 most frequent words of English
// Wikipedia and of US television and film scripts (a Wiktionary frequency
// study), and names and surnames from the 1990 US census (zxcvbn keeps
// each word in one list only, so the password list alone misses common
// passwords that are also common words). Entries of
// fewer than 4 characters cannot matter against an 8-character minimum
// and are dropped; about 93,600 remain. The dependency's own package
// initialiser lays out its lists at program start (1.7 ms and 1.5 MB
// measured with GODEBUG=inittrace=1); the set netid looks words up in is
// built on the first Policy.Check (about 8 ms and 3.5 MB), since logins
// never need it.
package password
