package fixedkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"sync"
)

// cacheSize bounds the tables each of ForKey and SM2ForKey keeps: about
// 400 KB (P-256) or 270 KB (SM2) each. Trust anchors are few (netid's are
// its CA keys, a handful across rotations); the bound only stops a process
// that meets many keys from growing without limit.
const cacheSize = 32

// keyCache holds verifiers keyed by the SEC 1 encoding of their key, and
// their order of insertion for eviction.
type keyCache[V any] struct {
	mu    sync.Mutex
	byKey map[[65]byte]*V
	order [][65]byte
}

var (
	p256Cache = &keyCache[P256]{byKey: make(map[[65]byte]*P256)}
	sm2Cache  = &keyCache[SM2]{byKey: make(map[[65]byte]*SM2)}
)

// get returns the verifier of enc, building it with build on first use.
// A key build refuses is an error and is not cached.
func (c *keyCache[V]) get(enc [65]byte, build func() (*V, error)) (*V, error) {
	c.mu.Lock()
	v, ok := c.byKey[enc]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	// Built outside the lock: it takes milliseconds, and verifications
	// under other keys should not wait. Two callers may build the same
	// table at once; the first stored wins.
	v, err := build()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.byKey[enc]; ok {
		return prev, nil
	}
	if len(c.order) >= cacheSize {
		delete(c.byKey, c.order[0])
		c.order = append(c.order[:0], c.order[1:]...)
	}
	c.byKey[enc] = v
	c.order = append(c.order, enc)
	return v, nil
}

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
	enc, err := encodeKey(pub, elliptic.P256(), "P-256")
	if err != nil {
		return nil, err
	}
	return p256Cache.get(enc, func() (*P256, error) { return NewP256(pub) })
}

// SM2ForKey is ForKey for SM2 keys (NewSM2), with a cache of its own. The
// same caution holds, more so: an SM2 table costs about a thousand
// verifications to build.
func SM2ForKey(pub *ecdsa.PublicKey) (*SM2, error) {
	enc, err := encodeKey(pub, sm2Curve, "SM2")
	if err != nil {
		return nil, err
	}
	return sm2Cache.get(enc, func() (*SM2, error) { return NewSM2(pub) })
}
