package wallet

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
)

// The files of a wallet directory.
const (
	// KeyFile holds the device key: PKCS#8, PEM ("PRIVATE KEY").
	KeyFile = "device.key"
	// StateFile holds the State, JSON.
	StateFile = "wallet.json"
	// lockFile is flocked by commands that change the wallet.
	lockFile = ".lock"
)

// Wallet is an open wallet directory: the device key and the State. A
// Wallet is used by one goroutine at a time; between processes the lock
// (Lock) keeps changes apart.
type Wallet struct {
	dir   string
	suite suite.Suite
	key   crypto.Signer
	state State
}

// Create makes a new wallet in dir: the directory (mode 0700, created if
// missing; an existing one must be private), a device key of suite name
// drawn from r (crypto/rand when nil) in device.key, and wallet.json.
// server, when not empty, is the server the wallet will enrol with. It
// refuses a directory that holds a wallet or a device key already
// (ErrWalletExists): a device key is never replaced.
func Create(dir string, name suite.Name, server string, r io.Reader, now time.Time) (*Wallet, error) {
	s, err := suite.New(name)
	if err != nil {
		return nil, err
	}
	if server != "" {
		if server, err = normaliseServer(server); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("creating wallet directory: %w", err)
	}
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	unlock, err := tryLock(filepath.Join(dir, lockFile))
	if err != nil {
		return nil, err
	}
	defer unlock()
	for _, f := range []string{StateFile, KeyFile} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return nil, fmt.Errorf("%w: %s exists", ErrWalletExists, filepath.Join(dir, f))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	key, err := s.GenerateSigner(r)
	if err != nil {
		return nil, fmt.Errorf("generating the device key: %w", err)
	}
	der, err := s.MarshalPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the device key: %w", err)
	}
	if err := createFileAtomic(dir, KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, err
	}
	w := &Wallet{dir: dir, suite: s, key: key, state: State{
		Format: Format, Suite: name, Server: server, CreatedAt: now.UTC().Truncate(time.Second),
	}}
	b, err := w.state.marshal()
	if err != nil {
		return nil, err
	}
	if err := createFileAtomic(dir, StateFile, b); err != nil {
		return nil, err
	}
	return w, nil
}

// Open opens the wallet in dir. It refuses a directory or file that group
// or others may access, or a file that is a symbolic link
// (ErrInsecurePermissions), a missing wallet (ErrNoWallet), and files it
// cannot fully understand (ErrWalletFormat).
func Open(dir string) (*Wallet, error) {
	if err := checkDir(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s does not exist", ErrNoWallet, dir)
		}
		return nil, err
	}
	b, err := readPrivateFile(filepath.Join(dir, StateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no %s", ErrNoWallet, dir, StateFile)
	}
	if err != nil {
		return nil, err
	}
	st, err := parseState(b)
	if err != nil {
		return nil, err
	}
	s, err := suite.New(st.Suite)
	if err != nil {
		return nil, err
	}
	key, err := readKey(filepath.Join(dir, KeyFile), s)
	if err != nil {
		return nil, err
	}
	return &Wallet{dir: dir, suite: s, key: key, state: st}, nil
}

// readKey reads and parses device.key with suite s.
func readKey(path string, s suite.Suite) (crypto.Signer, error) {
	b, err := readPrivateFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: the device key %s is missing", ErrWalletFormat, path)
	}
	if err != nil {
		return nil, err
	}
	block, rest := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" || len(block.Headers) > 0 || len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("%w: %s is not one PEM PRIVATE KEY block", ErrWalletFormat, path)
	}
	key, err := s.ParsePrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrWalletFormat, path, err)
	}
	return key, nil
}

// Dir returns the wallet directory.
func (w *Wallet) Dir() string { return w.dir }

// Suite returns the suite of the device key.
func (w *Wallet) Suite() suite.Suite { return w.suite }

// Signer returns the device key. It signs certification requests, and in
// later versions QR-login approvals and certificate presentations.
func (w *Wallet) Signer() crypto.Signer { return w.key }

// DeviceKeyFingerprint returns the SHA-256 of the device key's
// SubjectPublicKeyInfo, hexadecimal: what a resident can compare with the
// certificate's key without seeing either.
func (w *Wallet) DeviceKeyFingerprint() string {
	spki, err := w.suite.MarshalPublicKey(w.key.Public())
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(spki)
	return hex.EncodeToString(sum[:])
}

// State returns a copy of the wallet's state.
func (w *Wallet) State() State { return w.state.clone() }

// Lock takes the wallet's lock for a change that spans several saves
// (Enrol holds it from start to end), so that two commands cannot
// interleave their changes. It fails at once with ErrWalletBusy when
// another holds it; it does not wait.
func (w *Wallet) Lock() (unlock func(), err error) {
	return tryLock(filepath.Join(w.dir, lockFile))
}

// Update applies change to a copy of the state and saves it atomically,
// under the lock, after re-reading wallet.json so that a change made by
// another process meanwhile is not lost. On error nothing is saved.
func (w *Wallet) Update(change func(*State) error) error {
	unlock, err := w.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := w.reload(); err != nil {
		return err
	}
	return w.update(change)
}

// reload re-reads wallet.json.
func (w *Wallet) reload() error {
	b, err := readPrivateFile(filepath.Join(w.dir, StateFile))
	if err != nil {
		return err
	}
	st, err := parseState(b)
	if err != nil {
		return err
	}
	if st.Suite != w.suite.Name() {
		return fmt.Errorf("%w: wallet.json changed suite from %s to %s", ErrWalletFormat, w.suite.Name(), st.Suite)
	}
	w.state = st
	return nil
}

// update is Update for a caller that holds the lock.
func (w *Wallet) update(change func(*State) error) error {
	next := w.state.clone()
	if err := change(&next); err != nil {
		return err
	}
	next.Format, next.Suite = Format, w.suite.Name()
	if err := next.check(); err != nil {
		return err
	}
	b, err := next.marshal()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(w.dir, StateFile, b); err != nil {
		return fmt.Errorf("saving the wallet: %w", err)
	}
	w.state = next
	return nil
}
