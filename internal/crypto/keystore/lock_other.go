//go:build !unix

package keystore

import (
	"context"
	"sync"
)

// dirLock, where flock(2) does not exist, only excludes Stores of this
// process: sharing a key directory between processes is supported on Unix
// only.
type dirLock struct{ path string }

var processLocks sync.Map // path -> *sync.Mutex

func (l dirLock) acquire(ctx context.Context) (func(), error) {
	v, _ := processLocks.LoadOrStore(l.path, new(sync.Mutex))
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock, nil
}

// acquireShared is acquire: without flock(2) there is no shared mode, and
// readers of one process simply take turns.
func (l dirLock) acquireShared(ctx context.Context) (func(), error) { return l.acquire(ctx) }
