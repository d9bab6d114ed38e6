//go:build unix

package wallet

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive flock(2) on path without waiting: a wallet is
// one resident's, and two commands on it at once are a mistake to report,
// not to queue. Each call opens the file anew, so the lock also excludes
// other Wallets of this process (flock locks belong to the open file
// description).
func tryLock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrWalletBusy
		}
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
