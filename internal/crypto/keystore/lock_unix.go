//go:build unix

package keystore

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// dirLock is an flock(2) on a lock file in the key directory: exclusive
// for state changes, shared for reads that must not see one half made. It
// excludes other processes and other Stores of this process alike, since
// each acquire opens the file anew (flock locks belong to the open file
// description).
type dirLock struct{ path string }

// acquire waits for the exclusive lock until ctx is done.
func (l dirLock) acquire(ctx context.Context) (func(), error) {
	return l.flock(ctx, syscall.LOCK_EX)
}

// acquireShared waits for the shared lock until ctx is done.
func (l dirLock) acquireShared(ctx context.Context) (func(), error) {
	return l.flock(ctx, syscall.LOCK_SH)
}

// flock takes the lock in mode how, polling, since flock has no timeout of
// its own.
func (l dirLock) flock(ctx context.Context, how int) (func(), error) {
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
