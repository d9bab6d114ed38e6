package wallet

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Modes of the wallet directory and its files: the device key and the
// account's secrets belong to the resident alone.
const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// maxFileSize bounds wallet.json and device.key. A wallet file is a few
// kilobytes; the limit keeps a stray huge file from eating memory.
const maxFileSize = 1 << 20

// checkDir refuses a wallet path that is not a directory or that group or
// others may access.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%w: %s is not a directory", ErrWalletFormat, dir)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: wallet directory %s has mode %04o; fix with: chmod 700 %s",
			ErrInsecurePermissions, dir, perm, dir)
	}
	return nil
}

// checkFile refuses a wallet file that is not a regular file (symbolic
// links included) or that group or others may read or write.
func checkFile(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file (mode %s); symbolic links are refused",
			ErrInsecurePermissions, path, fi.Mode())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o; fix with: chmod 600 %s", ErrInsecurePermissions, path, perm, path)
	}
	return nil
}

// readPrivateFile reads a wallet file after checking, on the open file
// itself, that it is the regular private file that was looked up: a file
// swapped between the check and the open is refused.
func readPrivateFile(path string) ([]byte, error) {
	lfi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := checkFile(path, lfi); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !os.SameFile(lfi, fi) {
		return nil, fmt.Errorf("%w: %s changed while being opened", ErrWalletFormat, path)
	}
	if err := checkFile(path, fi); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrWalletFormat, path, maxFileSize)
	}
	return b, nil
}

// writeTemp writes data to a new temporary file of mode 0600 in dir,
// synced, and returns its path.
func writeTemp(dir, name string, data []byte) (path string, err error) {
	tmp, err := os.CreateTemp(dir, ".tmp-"+name+"-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp uses 0600 already; Chmod states it whatever the umask.
	if err = tmp.Chmod(fileMode); err != nil {
		return "", err
	}
	if _, err = tmp.Write(data); err != nil {
		return "", err
	}
	if err = tmp.Sync(); err != nil {
		return "", err
	}
	if err = tmp.Close(); err != nil {
		return "", err
	}
	return tmp.Name(), nil
}

// writeFileAtomic replaces dir/name with data so that a reader, or a
// crash, sees the old content or the new, never a mix: temporary file,
// fsync, rename, fsync of the directory.
func writeFileAtomic(dir, name string, data []byte) error {
	tmp, err := writeTemp(dir, name, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// createFileAtomic is writeFileAtomic that never replaces an existing
// file: link(2) fails when the target exists, so a second `wallet init`
// racing the first cannot overwrite a device key.
func createFileAtomic(dir, name string, data []byte) error {
	tmp, err := writeTemp(dir, name, data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, filepath.Join(dir, name)); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s exists", ErrWalletExists, filepath.Join(dir, name))
		}
		return err
	}
	return syncDir(dir)
}

// syncDir flushes a directory's entries (a rename) to stable storage.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
