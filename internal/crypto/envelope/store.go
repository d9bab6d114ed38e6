package envelope

import (
	"context"
	"time"
)

// DataKey is one resident's data-encryption key, wrapped (encrypted) under a
// key-encryption key (KEK) of the key store. The plaintext data key is never
// stored.
type DataKey struct {
	// Owner identifies whose data the key protects (a resident id).
	Owner string
	// KEKID is the id of the key-encryption key that wrapped this key.
	KEKID string
	// Wrapped is the AEAD ciphertext of the data key under the KEK.
	Wrapped []byte
	// Created is when the data key was first made.
	Created time.Time
}

// Store keeps wrapped data keys. Implementations live in internal/store.
type Store interface {
	// PutDataKey stores a new wrapped data key. It returns store.ErrConflict
	// if the owner already has one.
	PutDataKey(ctx context.Context, k DataKey) error
	// DataKey returns the owner's wrapped data key, or store.ErrNotFound.
	DataKey(ctx context.Context, owner string) (DataKey, error)
	// RewrapDataKey replaces the wrapping of an existing key (KEK rotation).
	// It returns store.ErrNotFound if the owner has no key, and
	// store.ErrConflict if the stored KEKID is not oldKEKID (someone else
	// re-wrapped it meanwhile).
	RewrapDataKey(ctx context.Context, owner, oldKEKID string, k DataKey) error
	// DataKeysWrappedBy lists up to limit owners whose key is wrapped by
	// kekID, in owner order, starting after the owner afterOwner ("" = from
	// the start). Used to re-wrap resumably after an interruption.
	DataKeysWrappedBy(ctx context.Context, kekID, afterOwner string, limit int) ([]DataKey, error)
	// DeleteDataKey destroys the owner's wrapped data key (crypto-shredding).
	// It returns store.ErrNotFound if there is none.
	DeleteDataKey(ctx context.Context, owner string) error
}

// KEKCounter is the optional power of a Store to count data keys by KEK:
// what a re-wrap has left to do (its progress) and what a KEK still
// protects. The SQL store has it.
type KEKCounter interface {
	// DataKeyCountsByKEK returns how many data keys each KEK wraps, by KEK
	// id; a KEK that wraps none is absent.
	DataKeyCountsByKEK(ctx context.Context) (map[string]int64, error)
}
