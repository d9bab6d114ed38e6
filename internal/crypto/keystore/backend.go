package keystore

import (
	"context"
	"crypto"
	"time"
)

// Backend keeps key material and performs the operations that need it. The
// file backend (OpenDir) is one implementation; a PKCS#11 token or a cloud
// KMS fits the same interface, because nothing in it hands secret material
// to the Store: signing goes through crypto.Signer, MAC and AEAD through
// calls that take the message.
//
// The Store chooses ids, purposes, algorithms, states and times and checks
// the life cycle; a Backend persists what it is told and performs
// operations on the keys it holds. Implementations must be safe for
// concurrent use.
type Backend interface {
	// Load returns the metadata of every key the backend holds, re-reading
	// its persistent state (keys added, rotated or retired by another
	// process). The Store calls it on opening, on Reload and, under Lock,
	// before every state change.
	Load(ctx context.Context) ([]Meta, error)
	// Generate creates a key with the algorithm m.Algorithm and persists it
	// with metadata m (ActivateAt included, for a pending key). It fails if
	// a key with id m.ID exists.
	Generate(ctx context.Context, m Meta) error
	// SetState persists a state change of key id, made at time at. A key
	// leaving StatePending loses its ActivateAt (Load must not return one
	// for another state). When state is StateRetired the backend destroys the secret material (a KMS
	// schedules key deletion) but keeps the metadata and, for a signing key,
	// the public key.
	SetState(ctx context.Context, id string, state State, at time.Time) error
	// Lock serialises state changes among every process sharing the
	// backend: the Store holds it from the Load that precedes a change to
	// the end of the change. It returns the function that releases it.
	Lock(ctx context.Context) (unlock func(), err error)

	// Signer returns a signer for signing key id. The Store checks the
	// key's state before every signature. A token-signing key's signer
	// (ECDSA P-256) must accept a nil random source, which asks for a
	// deterministic signature (RFC 6979), as *ecdsa.PrivateKey does; one
	// that cannot make those (an HSM) may sign as it always does.
	Signer(id string) (crypto.Signer, error)
	// PublicKey returns the public key of signing key id, retired or not.
	PublicKey(id string) (crypto.PublicKey, error)
	// MAC returns the MAC of msg under MAC key id.
	MAC(ctx context.Context, id string, msg []byte) ([]byte, error)
	// Seal encrypts plaintext under AEAD key id with associated data aad.
	// The output is self-contained (it carries its nonce).
	Seal(ctx context.Context, id string, aad, plaintext []byte) ([]byte, error)
	// Open decrypts the output of Seal; it fails if the ciphertext or aad
	// was altered.
	Open(ctx context.Context, id string, aad, ciphertext []byte) ([]byte, error)
}
