// Package keystore holds netid's service keys: their metadata, their life
// cycle, and the operations that use them.
//
// # Keys
//
// Every key has an id, a purpose, an algorithm, a state and a creation time
// (Meta). The purposes and their algorithms are:
//
//	purpose          capability          intl          sm
//	token-signing    crypto.Signer       ES256         ES256 (always: every OIDC library verifies it)
//	ca               crypto.Signer       ecdsa-p256    sm2
//	log-signing      crypto.Signer       ecdsa-p256    sm2
//	blind-index      MAC (32-byte key)   hmac-sha256   hmac-sm3
//	key-encryption   Wrap / Unwrap       aes-256-gcm   sm4-gcm
//	cookie           MAC (32-byte key)   hmac-sha256   hmac-sm3
//
// Ids are random ("ca-" followed by 24 hex digits), never derived from the
// key material, and safe in file names and URLs.
//
// # Life cycle
//
//	Bootstrap ──▶ active ──Rotate──▶ retiring ──Retire──▶ retired
//	Rotate with a delay ──▶ pending ──(ActivateAt passes)──▶ active
//
// Bootstrap creates an active key for every purpose that has none (first
// start on an empty directory). Rotate creates a new active key and moves
// the previous one to retiring: a retiring key still verifies (it stays in
// PublicKeys, hence in JWKS), unwraps, and MACs for comparison (VerifyMAC),
// and it may still sign what must come from it (a CRL for certificates it
// issued), but new work uses the active key. Retire moves a retiring key to
// retired: it does nothing any more, its secret material is destroyed, its
// metadata and public key stay for audit (PublicKey). An active key cannot
// be retired directly. Check reports whether every purpose has exactly one
// active key of the suite's algorithm; the service refuses to start until it
// does. Changing the suite is a rotation of every purpose except
// token-signing: Check says so.
//
// Rotate with WithActivation(delay) publishes before it uses: the new key is
// written pending, with ActivateAt = now + delay, and the active key stays
// active. A pending key is in PublicKeys (hence JWKS) as soon as a node has
// loaded it, but its signer refuses to sign before ActivateAt (ErrPending).
// From ActivateAt, every node that has loaded it selects it for new work
// (ActiveSigner, ActiveMAC, Wrap) by its own clock, at the same wall-clock
// moment and without any write: with a delay longer than the nodes' reload
// interval, every node serves the new public key before any node signs with
// it, so a verifier that takes a token from one node and JWKS from another
// never misses the key. PromoteDue then records the switch under the lock
// (pending to active, the previous active key to retiring, in that order);
// it is idempotent and nodes call it after each reload, and Bootstrap does
// it too. A pending key cannot be retired; an immediate Rotate supersedes it
// (it becomes retiring), and a second delayed Rotate is refused while one
// is pending. Nodes' clocks must agree to well within the delay's margin
// over the reload interval.
//
// # Capabilities, not material
//
// The Store never returns secret material. Signing keys are used through
// crypto.Signer, MAC keys through MAC, ActiveMAC and VerifyMAC, KEKs through
// Wrap and Unwrap. The material lives in a Backend, a small interface that a
// PKCS#11 token or a cloud KMS can implement (see the test backend that keeps
// opaque signers). The signer handed out checks the key's state at every
// signature, so a key retired later stops signing even through a signer
// obtained before.
//
// # The file backend
//
// OpenDir keeps one JSON file per key, <id>.json, in a directory of mode
// 0700: metadata plus the PKCS#8 private key and PKIX public key (signing
// keys) or the raw secret (MAC and AEAD keys), base64. Files are written
// atomically: a temporary file in the same directory (mode 0600), fsync,
// rename, fsync of the directory, so that a crash leaves the old file or the
// new, never a torn one. Opening and reloading refuse, with an error naming
// the file and the fix (chmod 600, chmod 700 for the directory), any key file
// or the directory itself accessible by group or others, and any key file
// that is a symbolic link; every file is parsed and checked (version,
// purpose, algorithm, state, that the public key matches the private key).
//
// Several nodes may share one key directory (a shared volume): state changes
// take an flock on dir/.lock and re-read the directory first, so concurrent
// Bootstrap or Rotate on two nodes cannot create two active keys, and Reload
// makes one node see another's rotation. Reload takes the lock shared, so
// it sees the directory before a change or after it, never in between (a
// new active key beside the old one not yet demoted). Until a node reloads
// it keeps using the key it knew, which is retiring and therefore still
// accepted everywhere; and a key id it does not know (a KEK that another
// process created and already used to re-wrap a data key) makes it reload
// at once, concurrent callers sharing one reload, at most one every 100ms.
// Snapshot reads every key file under the shared lock, for backups.
//
// The Store is safe for concurrent use.
package keystore
