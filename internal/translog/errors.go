package translog

import "errors"

// The errors of client-side verification (Auditor). Each names one way in
// which an operator can misbehave, so that a wallet can tell the resident
// which: test with errors.Is.
var (
	// ErrBadSignature: a checkpoint carries no valid signature by a
	// trusted log key, or a signature by a trusted key fails, or it was
	// signed for another log (origin).
	ErrBadSignature = errors.New("translog: checkpoint signature does not verify")
	// ErrInclusion: an entry is not in the tree that a checkpoint commits
	// to (its bytes were changed, or it was never logged at that index).
	ErrInclusion = errors.New("translog: entry is not included in the checkpoint's tree")
	// ErrInconsistent: a checkpoint does not extend an earlier one, so the
	// log was rewritten, truncated or forked between them.
	ErrInconsistent = errors.New("translog: checkpoints are inconsistent: the log was rewritten")
	// ErrGap: a resident's listing skips a sequence number, or ends before
	// an entry the resident saw earlier: an entry was hidden from it.
	ErrGap = errors.New("translog: an entry is missing from the resident's listing")
	// ErrBrokenChain: a resident's entries do not chain (an entry's
	// previous-entry hash, sequence number or log id does not match its
	// predecessor), so entries were reordered, replaced or mixed in.
	ErrBrokenChain = errors.New("translog: the resident's entries do not chain")
)

// The errors of the server side and of parsing.
var (
	// ErrInvalidEntry: an entry breaks the rules of its kind (Entry.Validate).
	ErrInvalidEntry = errors.New("translog: invalid entry")
	// ErrMalformed: bytes from outside (a leaf, a checkpoint, a verifier
	// key, a proof) do not parse.
	ErrMalformed = errors.New("translog: malformed input")
	// ErrConfig: the log's configuration or the key store does not fit
	// the log recorded in the store (another hash algorithm, no signing
	// key).
	ErrConfig = errors.New("translog: configuration")
	// ErrDuplicate: an entry with the same ID but different content is
	// logged already. Appending the same entry again is not an error.
	ErrDuplicate = errors.New("translog: another entry with this id is logged")
	// ErrRange: a proof was asked for sizes or indexes outside the tree.
	ErrRange = errors.New("translog: index or size out of range")
)
