package keystore

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Modes of the key directory and key files. Group and others get nothing.
const (
	dirMode  fs.FileMode = 0o700
	fileMode fs.FileMode = 0o600
)

// checkDirMode refuses a key directory accessible by group or others.
func checkDirMode(dir string, fi fs.FileInfo) error {
	if !fi.IsDir() {
		return fmt.Errorf("keystore: %s is not a directory", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: key directory %s has mode %04o, accessible by group or others; fix with: chmod 700 %s",
			ErrInsecurePermissions, dir, perm, dir)
	}
	return nil
}

// checkFileMode refuses a key file that is not a regular file or that group
// or others may read or write.
func checkFileMode(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("keystore: key file %s is not a regular file (mode %s); symbolic links are refused", path, fi.Mode())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: key file %s has mode %04o, readable or writable by group or others; fix with: chmod 600 %s",
			ErrInsecurePermissions, path, perm, path)
	}
	return nil
}

// readKeyFile reads a key file after checking, on the open file itself, that
// it is the regular file that was listed and that its mode is private.
func readKeyFile(path string) ([]byte, error) {
	lfi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := checkFileMode(path, lfi); err != nil {
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
		return nil, fmt.Errorf("keystore: key file %s changed while being opened", path)
	}
	if err := checkFileMode(path, fi); err != nil {
		return nil, err
	}
	// Key files are small; a limit keeps a stray huge file from eating
	// memory.
	const maxKeyFile = 64 << 10
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxKeyFile {
		return nil, fmt.Errorf("keystore: key file %s is larger than %d bytes", path, maxKeyFile)
	}
	return data, nil
}

// writeFileAtomic replaces dir/name with data so that a reader, or a crash,
// sees the old content or the new, never a mix: the data goes to a
// temporary file in the same directory (mode 0600), is synced, renamed over
// the target, and the directory is synced so that the rename is durable.
func writeFileAtomic(dir, name string, data []byte) (err error) {
	tmp, err := os.CreateTemp(dir, ".tmp-"+name+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// CreateTemp uses 0600 already; Chmod states it and ignores the umask.
	if err = tmp.Chmod(fileMode); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
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
