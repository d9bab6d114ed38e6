// Package envelope encrypts each resident's sensitive fields (person
// numbers, biometric templates, document data) under a data key of that
// resident's own, and makes deleting a resident's data a matter of deleting
// one row: crypto-shredding.
//
// # Keys
//
//	key store (package keystore)        store (Store, SQL)
//	  active KEK ──wraps──▶  data key of resident R  ──encrypts──▶ R's fields
//
// CreateDataKey draws a random data key of the suite's AEAD key size (32
// bytes for AES-256-GCM, 16 for SM4-GCM), wraps it with the active
// key-encryption key (KEK) of the key store through the KeyWrapper interface,
// with associated data bound to the owner, and stores the wrapped key
// (DataKey). The plaintext data key is never stored. Seal and Open unwrap it
// for the duration of one call; Unlock returns an OwnerKey for several calls,
// which the caller closes: nothing else keeps a plaintext data key.
//
// # Ciphertext
//
//	format (1 byte) || nonce (12 bytes) || AEAD ciphertext || tag (16 bytes)
//
// The format byte names the layout and the AEAD (0x01 AES-256-GCM, 0x02
// SM4-GCM), so that a ciphertext of the other suite is refused with a clear
// error and a future layout can coexist with this one. The associated data
// binds the format, the owner and the field name, each length-prefixed: a
// ciphertext copied to another resident's row or into another column does
// not open (ErrInvalidCiphertext).
//
// # Crypto-shredding
//
// Shred deletes the owner's wrapped data key. Every ciphertext sealed for
// the owner becomes unreadable for good: Open returns ErrShredded, and even
// the raw KEK cannot help, since the only copy of the data key it could
// unwrap is gone (backups aside: the operator's retention of database
// backups bounds how long shredded data stays recoverable from them).
//
// # KEK rotation
//
// After the key-encryption purpose is rotated in the key store, the old KEK
// is retiring: it still unwraps, so nothing breaks. Rewrap then moves every
// data key wrapped by the old KEK under the active one, page by page
// (Store.DataKeysWrappedBy) with a conditional update (Store.RewrapDataKey),
// each page one transaction when the store runs them, so that it is
// resumable and safe to run on several nodes; KEKCounter says how much is
// left. When KEKInUse reports false, the operator retires the
// old KEK, which destroys it (`netid admin keys rewrap`, then `retire`).
package envelope
