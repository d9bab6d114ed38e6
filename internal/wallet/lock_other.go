//go:build !unix

package wallet

import "sync"

// processLocks holds one mutex per lock path, for tryLock.
var processLocks sync.Map // path -> *sync.Mutex

// tryLock, where flock(2) does not exist, only excludes Wallets of this
// process: two processes on one wallet are guarded against on Unix only.
func tryLock(path string) (unlock func(), err error) {
	v, _ := processLocks.LoadOrStore(path, new(sync.Mutex))
	mu := v.(*sync.Mutex)
	if !mu.TryLock() {
		return nil, ErrWalletBusy
	}
	return mu.Unlock, nil
}
