package fixedkey

import (
	"crypto/ecdsa"
	"sync"
)

// cacheSize bounds the tables ForKey keeps: about 400 KB each. Trust
// anchors are few (netid's are its CA keys, a handful across rotations);
// the bound only stops a process that meets many keys from growing
// without limit.
const cacheSize = 32

// cache holds the tables ForKey built, keyed by the SEC 1 encoding of the
// key, and their order of insertion for eviction.
var cache = struct {
	sync.Mutex
	byKey map[[65]byte]*P256
	order [][65]byte
}{byKey: make(map[[65]byte]*P256)}

// ForKey returns the verifier of pub from a process-wide cache, building
// it (NewP256) on first use. It is meant for trust anchors, which callers
// hold as certificates rather than as *P256 values: the cache keeps the
// tables of at most 32 keys and evicts the oldest when a new one comes.
// A key that is not a valid P-256 key is an error and is not cached.
//
// Do not call it with keys chosen by a peer: building a table costs as much
// as about fifty verifications, and a stream of new keys would evict the
// trust anchors' tables.
func ForKey(pub *ecdsa.PublicKey) (*P256, error) {
	enc, err := encodeKey(pub)
	if err != nil {
		return nil, err
	}
	cache.Lock()
	k, ok := cache.byKey[enc]
	cache.Unlock()
	if ok {
		return k, nil
	}
	// Built outside the lock: it takes milliseconds, and verifications
	// under other keys should not wait. Two callers may build the same
	// table at once; the first stored wins.
	k, err = NewP256(pub)
	if err != nil {
		return nil, err
	}
	cache.Lock()
	defer cache.Unlock()
	if prev, ok := cache.byKey[enc]; ok {
		return prev, nil
	}
	if len(cache.order) >= cacheSize {
		delete(cache.byKey, cache.order[0])
		cache.order = append(cache.order[:0], cache.order[1:]...)
	}
	cache.byKey[enc] = k
	cache.order = append(cache.order, enc)
	return k, nil
}
