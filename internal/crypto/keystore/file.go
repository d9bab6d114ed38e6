package keystore

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// fileBackend keeps each key in its own JSON file, <id>.json, in one
// directory: metadata plus the PKCS#8 private key (signing keys) or the raw
// secret (MAC and AEAD keys). Files are written atomically with mode 0600;
// the directory is 0700. Several processes may share the directory: state
// changes are serialised by an flock on dir/.lock, and Load re-reads every
// file.
type fileBackend struct {
	dir  string
	rand io.Reader
	lock dirLock

	mu   sync.RWMutex
	keys map[string]*loadedKey
}

// openFileBackend creates dir with mode 0700 if it is missing and refuses it
// if group or others may access it.
func openFileBackend(dir string, rand io.Reader) (*fileBackend, error) {
	if dir == "" {
		return nil, errors.New("keystore: no key directory given")
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("keystore: create key directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if err := checkDirMode(dir, fi); err != nil {
		return nil, err
	}
	return &fileBackend{dir: dir, rand: rand, lock: dirLock{path: filepath.Join(dir, ".lock")}, keys: map[string]*loadedKey{}}, nil
}

// isKeyFileName reports whether a directory entry is a key file. Dot files
// (the lock, temporary files of an interrupted write) and other names are
// ignored.
func isKeyFileName(name string) bool {
	return !strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".json")
}

func (b *fileBackend) Load(ctx context.Context) ([]Meta, error) {
	fi, err := os.Stat(b.dir)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if err := checkDirMode(b.dir, fi); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		return nil, fmt.Errorf("keystore: read key directory: %w", err)
	}
	keys := make(map[string]*loadedKey)
	var metas []Meta
	for _, e := range entries {
		if !isKeyFileName(e.Name()) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		path := filepath.Join(b.dir, e.Name())
		data, err := readKeyFile(path)
		if err != nil {
			return nil, err
		}
		k, err := parseKeyFile(e.Name(), data)
		if err != nil {
			return nil, err
		}
		keys[k.file.ID] = k
		metas = append(metas, k.file.meta())
	}
	b.mu.Lock()
	b.keys = keys
	b.mu.Unlock()
	return metas, nil
}

func (b *fileBackend) Generate(ctx context.Context, m Meta) error {
	alg, err := lookupAlgorithm(m.Algorithm)
	if err != nil {
		return err
	}
	name := m.ID + ".json"
	if _, err := os.Lstat(filepath.Join(b.dir, name)); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("keystore: key file %s exists already", name)
	}
	f := keyFile{
		Version: keyFileVersion, ID: m.ID, Purpose: m.Purpose, Algorithm: m.Algorithm,
		State: m.State, Created: m.Created, StateChanged: m.StateChanged, ActivateAt: m.ActivateAt,
	}
	if alg.kind == kindSign {
		signer, err := alg.suite.GenerateSigner(b.rand)
		if err != nil {
			return err
		}
		if f.PKCS8, err = alg.suite.MarshalPrivateKey(signer); err != nil {
			return err
		}
		if f.Public, err = alg.suite.MarshalPublicKey(signer.Public()); err != nil {
			return err
		}
	} else {
		f.Secret = make([]byte, alg.secretSize)
		if _, err := io.ReadFull(b.rand, f.Secret); err != nil {
			return err
		}
	}
	// Parse what will be written, so that a key is never persisted in a
	// form that Load would refuse.
	k, err := f.load()
	if err != nil {
		return err
	}
	if err := b.write(&f); err != nil {
		return err
	}
	b.mu.Lock()
	b.keys[m.ID] = k
	b.mu.Unlock()
	return nil
}

// write persists f atomically as <id>.json.
func (b *fileBackend) write(f *keyFile) error {
	data, err := f.encode()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(b.dir, f.ID+".json", data); err != nil {
		return fmt.Errorf("keystore: write key file %s.json: %w", f.ID, err)
	}
	return nil
}

func (b *fileBackend) SetState(ctx context.Context, id string, state State, at time.Time) error {
	if !ValidID(id) {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	// Start from the file on disk, not from memory: another process may
	// have changed it (the Store holds the lock and has just reloaded, but
	// the file is the truth).
	name := id + ".json"
	data, err := readKeyFile(filepath.Join(b.dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if err != nil {
		return err
	}
	k, err := parseKeyFile(name, data)
	if err != nil {
		return err
	}
	f := k.file
	f.State, f.StateChanged = state, at
	if state != StatePending {
		f.ActivateAt = time.Time{} // a promoted key is active from now on
	}
	if state == StateRetired {
		// Destroy the secret material; keep the public key for audit. The
		// old file content is replaced by the rename; the filesystem may
		// still hold the old blocks until they are reused.
		clear(f.PKCS8)
		clear(f.Secret)
		f.PKCS8, f.Secret = nil, nil
	}
	nk, err := f.load()
	if err != nil {
		return err
	}
	if err := b.write(&f); err != nil {
		return err
	}
	b.mu.Lock()
	b.keys[id] = nk
	b.mu.Unlock()
	return nil
}

func (b *fileBackend) Lock(ctx context.Context) (func(), error) { return b.lock.acquire(ctx) }

// RLock takes the directory lock shared: Reload holds it, so that it reads
// the directory before or after another process's state change, never in
// the middle of one.
func (b *fileBackend) RLock(ctx context.Context) (func(), error) { return b.lock.acquireShared(ctx) }

// key returns loaded key id with its material.
func (b *fileBackend) key(id string) (*loadedKey, error) {
	b.mu.RLock()
	k, ok := b.keys[id]
	b.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if k.file.State == StateRetired {
		return nil, fmt.Errorf("%w: %s", ErrRetired, id)
	}
	return k, nil
}

func (b *fileBackend) Signer(id string) (crypto.Signer, error) {
	k, err := b.key(id)
	if err != nil {
		return nil, err
	}
	if k.signer == nil {
		return nil, fmt.Errorf("%w: key %s does not sign", ErrWrongPurpose, id)
	}
	return k.signer, nil
}

func (b *fileBackend) PublicKey(id string) (crypto.PublicKey, error) {
	b.mu.RLock()
	k, ok := b.keys[id]
	b.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, id)
	}
	if k.public == nil {
		return nil, fmt.Errorf("%w: key %s has no public key", ErrWrongPurpose, id)
	}
	return k.public, nil
}

func (b *fileBackend) MAC(ctx context.Context, id string, msg []byte) ([]byte, error) {
	k, err := b.key(id)
	if err != nil {
		return nil, err
	}
	if k.alg.kind != kindMAC {
		return nil, fmt.Errorf("%w: key %s is not a MAC key", ErrWrongPurpose, id)
	}
	return k.alg.suite.MAC(k.file.Secret, msg), nil
}

// Seal returns nonce || AEAD ciphertext, with a random 12-byte nonce. A KEK
// wraps one data key per resident: at 2^32 random nonces per key the
// collision probability stays below 2^-32 (NIST SP 800-38D section 8.3), and
// KEKs are rotated long before that.
func (b *fileBackend) Seal(ctx context.Context, id string, aad, plaintext []byte) ([]byte, error) {
	k, err := b.key(id)
	if err != nil {
		return nil, err
	}
	if k.alg.kind != kindAEAD {
		return nil, fmt.Errorf("%w: key %s is not a key-encryption key", ErrWrongPurpose, id)
	}
	aead, err := k.alg.suite.NewAEAD(k.file.Secret)
	if err != nil {
		return nil, err
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(b.rand, out); err != nil {
		return nil, err
	}
	return aead.Seal(out, out, plaintext, aad), nil
}

func (b *fileBackend) Open(ctx context.Context, id string, aad, ciphertext []byte) ([]byte, error) {
	k, err := b.key(id)
	if err != nil {
		return nil, err
	}
	if k.alg.kind != kindAEAD {
		return nil, fmt.Errorf("%w: key %s is not a key-encryption key", ErrWrongPurpose, id)
	}
	aead, err := k.alg.suite.NewAEAD(k.file.Secret)
	if err != nil {
		return nil, err
	}
	n := aead.NonceSize()
	if len(ciphertext) < n+aead.Overhead() {
		return nil, errors.New("ciphertext too short")
	}
	return aead.Open(nil, ciphertext[:n], ciphertext[n:], aad)
}
