// Package translog is the residents' transparency log: an append-only
// Merkle log (RFC 6962 / RFC 9162 hashing, github.com/transparency-dev/merkle)
// of every disclosure, consent change, certificate event, account event
// and lawful-access disclosure concerning a resident, with checkpoints
// signed by the service, so that the operator cannot silently drop or
// rewrite a resident's history.
//
// # Shape
//
// There is one global log for all residents, so that witnesses watch one
// log and one sequence of checkpoints. Each leaf (Leaf) holds one Entry
// and three fields that make a per-resident chain inside the global log:
//
//	LogID  the resident's pseudonymous log id: MAC(blind-index key,
//	       "netid/translog/log-id/v1" || 0 || resident id), base64url;
//	       never the internet number, never the resident id in clear
//	Seq    the resident's own sequence number, 1, 2, 3, ...
//	Prev   the leaf hash of the resident's previous entry (none for 1)
//
// An Entry is a validated struct, not free text: a kind (disclosure,
// consent-granted, consent-withdrawn, certificate-issued,
// certificate-revoked, account-event, lawful-access), a time, the relying
// party's client id, claim names (never values), an assurance level, an
// event from the kind's closed set, and reference ids; for a lawful access
// also the authority's registered code, a citation of the legal basis and
// the date until which the notice is delayed. Every text field has a
// bounded shape without spaces (Entry.Validate), so none can hold a name,
// an address or a narrative. Leaves are encoded in a canonical, versioned,
// length-prefixed binary form (Leaf.Encode, DecodeLeaf) and hashed as RFC
// 6962 leaves.
//
// # Flow
//
//	service (same transaction as the state change)   Log.Append
//	publisher, every node, periodically               Publisher.PublishIfDue -> Log.Checkpoint
//	resident API (later)                              Log.Entries, Log.InclusionProof,
//	                                                  Log.ConsistencyProof, Log.LatestCheckpoint
//	anyone                                            Log.LatestCheckpoint, Log.VerifierKeys
//	wallet, witness (client side)                     Auditor.VerifyCheckpoint, VerifyEntryInclusion,
//	                                                  VerifyConsistency, VerifyResidentChain
//
// # Threat model
//
// The adversary is the operator, or anyone with write access to its
// database, and possibly its log-signing key. Residents' wallets and
// third-party witnesses hold earlier signed checkpoints and the log's
// verifier keys. What each check catches:
//
//   - A logged entry changed, dropped, reordered or the log truncated or
//     forked after a checkpoint someone holds: the new checkpoint does not
//     extend the old one (Auditor.VerifyConsistency, ErrInconsistent),
//     even if the operator re-signs the rewritten tree with its own key.
//   - An entry whose bytes differ from what the tree holds at its index:
//     the inclusion proof fails (ErrInclusion).
//   - An entry kept in the tree but hidden from the resident's listing
//     (deleted from the listing, moved to another log id): the resident's
//     sequence numbers skip (ErrGap). Entries swapped, replaced or mixed
//     in from another resident: the previous-hash chain breaks
//     (ErrBrokenChain). A listing cut below the last entry the wallet saw:
//     ErrGap against the wallet's remembered Head.
//   - A checkpoint not signed by a trusted log key, or of another log:
//     ErrBadSignature.
//
// What the log does not catch, and what covers it instead:
//
//   - An event never logged at all. The guarantee is that the service
//     appends in the transaction of the state change (no tokens without
//     their disclosure entry); that is code and review, not cryptography.
//   - The newest entries hidden from a resident who has not seen them yet:
//     detected at the resident's next entry (a gap), or by the wallet,
//     which knows the logins it approved itself.
//   - A split view (one tree shown to a resident, another to the world):
//     detected only when checkpoints are compared, which is what witnesses
//     are for; the wallet should prefer checkpoints cosigned by witnesses
//     (c2sp.org/tlog-witness), which is left to the wallet work.
//   - The operator linking log ids to residents: it holds the MAC key, so
//     log ids are pseudonyms towards everyone else, not towards it.
//   - Any entry presented as withheld (see Lawful access below): the
//     chain and the inclusion proof bind its hash, so it cannot be
//     replaced, but the resident cannot tell a withheld lawful access from
//     another entry whose content the operator refuses to show. The
//     format's bound (MaxNoticeDelay) lets the wallet report a record
//     still withheld that long after it first saw it, which is left to
//     the wallet work.
//
// Leaves are served only to the resident they concern (their listing) and
// as proofs; the public sees checkpoints and verifier keys, which reveal
// the number of entries and nothing about them.
//
// # Decisions
//
// One global log with per-resident chains rather than one log per
// resident: witnesses follow one log, a resident's entries cannot be
// silently moved to a log nobody watches, and the per-resident sequence
// and previous hash give the resident what a per-resident log would
// (completeness of their own listing), which Merkle proofs alone cannot:
// an inclusion proof proves what is shown, not that nothing was left out.
//
// Storage: every node of every perfect subtree (translog_nodes; level 0 is
// the leaf hashes), written once when the subtree completes, plus one
// state row with the tree size and the compact range of the whole tree.
// An append reads three rows (state, entry id, the resident's last leaf)
// and writes the state, the leaf and amortised two nodes (at most
// log2(n)+1), in the caller's transaction; a proof is one read of O(log n)
// rows, because every node of any inclusion or consistency proof of any
// tree size up to the current one is such a node (proof.Nodes). Tiles
// (c2sp.org/tlog-tiles) would serve static files better but need batching
// to be written efficiently; the node table can feed a tile server later.
//
// Serialisation: appends compare-and-set the tree size in the state row,
// so concurrent appends from any number of nodes serialise (SERIALIZABLE
// on PostgreSQL turns the race into a retry, SQLite has one writer) and
// leaf indexes and sequence numbers have no gaps. The price is one hot
// row: every logged event in the whole service commits one after another.
// If that ever limits throughput, the way out is a queue of pending
// entries written in the caller's transaction and integrated into the tree
// in batches by one sequencer (as trillian does), at the cost of an entry
// being logged before it is in a checkpoint.
//
// Hash: SHA-256 for the intl suite, SM3 for the sm suite, with the RFC
// 6962 prefixes (0x00 leaf, 0x01 node) in both (Hasher; merkle's rfc6962
// package only takes a crypto.Hash, which SM3 has none of). The log's
// integrity rests on its hash, and Article 13 of the Measures points to
// the state commercial algorithms for exactly such protection, so an sm
// deployment hashes with SM3. The cost is interoperability: off-the-shelf
// witnesses check consistency with SHA-256, so an sm log needs SM3-aware
// witnesses (the checkpoint format and notes are unchanged). The store
// records the hash when the log begins and a node of the other suite
// refuses to continue it (ErrConfig).
//
// Checkpoints: C2SP signed notes (c2sp.org/tlog-checkpoint,
// c2sp.org/signed-note) as golang.org/x/mod/sumdb/note reads them, with
// the origin as key name and one extension line, "time <Unix seconds>",
// so that a signed checkpoint dates the log's content (which matters for
// lawful-access entries). intl signs with signature type 0x02, ECDSA P-256
// over SHA-256 as transparency-dev/witness implements it (key ID =
// SHA-256(SPKI)[:4]), so that witness tooling verifies netid checkpoints
// as they are; sm signs with SM2 under type 0xff followed by
// "netid-sm2-sm3", the spec's escape for unassigned types. Verifier keys
// are published as "<origin>+<key ID>+<base64(type || SPKI)>"
// (VerifierKey). One checkpoint is stored per tree size so that every node
// serves the same bytes; before signing, a node proves that the tree
// extends the latest stored checkpoint and refuses otherwise
// (ErrInconsistent), so a damaged or tampered store is never signed.
//
// Lawful access: the entry is appended at once, in the transaction of the
// operator command that records the authority and the legal basis, and is
// in the next checkpoint. Only its content is withheld from the resident's
// listing until NoticeDelayedUntil (Log.Entries): the record keeps its
// sequence number, index and leaf hash, so the chain and the inclusion
// proof still verify. The resident therefore learns that something is
// withheld, not what; the alternative, showing nothing, would make a
// lawful delay indistinguishable from the operator hiding an entry, which
// is what the log exists to expose. The delay is bounded by the format
// (MaxNoticeDelay, checked by every client when decoding) and, more
// tightly, by configuration (WithMaxNoticeDelay).
//
// Log ids: a MAC under the blind-index key pinned in the store when the
// log begins (TreeState.LogIDKey), so that rotating the blind-index
// purpose does not change them. That key must never be retired, or every
// resident's log id changes (Log.LogID then fails with ErrConfig).
//
// Idempotency: Entry.ID is unique in the log. Appending an entry whose ID
// is logged returns the logged index if the content is the same, so a
// caller that cannot join the transaction may retry safely; different
// content is ErrDuplicate.
//
// Entries are kept when an account is deleted: they hold no plaintext
// identity data and the log cannot drop leaves without breaking every
// later checkpoint.
package translog
