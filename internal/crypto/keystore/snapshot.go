package keystore

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// KeyFile is one key file of a key directory as Snapshot read it: the key's
// metadata, the file's name and its exact bytes, secret material included.
type KeyFile struct {
	Meta Meta
	Name string
	Data []byte
}

// Snapshot reads every key file of the file-backed key store in dir and
// calls fn with them, holding the directory's lock shared from before the
// first read until fn returns: no process rotates or retires a key in that
// time (Rotate and Retire wait), so the files form one state of the store.
// A backup copies the database inside fn, so that every data key in the
// copy is wrapped by a KEK in the snapshot and every CA certificate has its
// key. Every file is checked as OpenDir checks it (directory and file
// modes, format, material); the directory must exist.
//
// It is the one function of this package that hands out secret material,
// because a backup must hold it: whoever calls it keeps the bytes as
// private as the key directory (0600 files).
func Snapshot(ctx context.Context, dir string, fn func(ctx context.Context, files []KeyFile) error) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	if err := checkDirMode(dir, fi); err != nil {
		return err
	}
	unlock, err := dirLock{path: filepath.Join(dir, ".lock")}.acquireShared(ctx)
	if err != nil {
		return fmt.Errorf("keystore: shared lock: %w", err)
	}
	defer unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("keystore: read key directory: %w", err)
	}
	var files []KeyFile
	for _, e := range entries {
		if !isKeyFileName(e.Name()) {
			continue
		}
		data, err := readKeyFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		k, err := parseKeyFile(e.Name(), data)
		if err != nil {
			return err
		}
		files = append(files, KeyFile{Meta: k.file.meta(), Name: e.Name(), Data: data})
	}
	slices.SortFunc(files, func(a, b KeyFile) int { return cmp.Compare(a.Name, b.Name) })
	return fn(ctx, files)
}

// IsKeyFileName reports whether name is the name of a key file: a key id
// (ValidID) followed by ".json". Restoring a backup accepts no other name
// in the key directory.
func IsKeyFileName(name string) bool {
	id, ok := strings.CutSuffix(name, ".json")
	return ok && ValidID(id)
}
