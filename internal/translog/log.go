package translog

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/transparency-dev/merkle/compact"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store"
)

// Keys is what the log needs of the key store: the blind-index MAC that
// computes log ids, and the log-signing key. *keystore.Store implements
// it.
type Keys interface {
	Suite() suite.Suite
	ActiveMAC(ctx context.Context, p keystore.Purpose, msg []byte) (id string, mac []byte, err error)
	MAC(ctx context.Context, id string, msg []byte) ([]byte, error)
	ActiveSigner(p keystore.Purpose) (keystore.Meta, crypto.Signer, error)
	PublicKeys(p keystore.Purpose) ([]keystore.PublicKey, error)
}

var _ Keys = (*keystore.Store)(nil)

// Deps are the Log's required dependencies. Store and Tx are normally the
// same *sqlstore.Store.
type Deps struct {
	Store Store
	Tx    store.TxRunner
	Keys  Keys
}

// Option configures a Log.
type Option func(*Log)

// WithClock makes the Log read the time from now (checkpoint times, the
// end of a notice delay) instead of time.Now.
func WithClock(now func() time.Time) Option { return func(l *Log) { l.now = now } }

// WithMaxNoticeDelay bounds the notice delay of lawful-access entries
// below MaxNoticeDelay, the bound of the format (the default). Values
// outside (0, MaxNoticeDelay] make New fail.
func WithMaxNoticeDelay(d time.Duration) Option { return func(l *Log) { l.maxNotice = d } }

// WithRand sets the randomness of checkpoint signatures (default
// crypto/rand).
func WithRand(r io.Reader) Option { return func(l *Log) { l.rand = r } }

// Log is the service side of the transparency log: it appends entries in
// the caller's transaction, signs checkpoints and serves proofs. It is
// safe for concurrent use, and any number of nodes may share one store.
type Log struct {
	origin    string
	store     Store
	tx        store.TxRunner
	keys      Keys
	suite     suite.Suite
	hasher    *Hasher
	rf        *compact.RangeFactory
	now       func() time.Time
	maxNotice time.Duration
	rand      io.Reader
}

// New returns the log named origin, a schema-less URL such as
// "id.example.cn/translog": the first line of every checkpoint and the
// key name of its signatures. The hash follows the key store's suite.
// New does not touch the store.
func New(origin string, d Deps, opts ...Option) (*Log, error) {
	l := &Log{origin: origin, store: d.Store, tx: d.Tx, keys: d.Keys, now: time.Now, maxNotice: MaxNoticeDelay}
	for _, o := range opts {
		o(l)
	}
	var errs []error
	if !ValidOrigin(origin) {
		errs = append(errs, fmt.Errorf("%w: origin %q: want 1 to %d printable ASCII characters, no spaces or '+'", ErrConfig, origin, maxOrigin))
	}
	if d.Store == nil || d.Tx == nil || d.Keys == nil {
		errs = append(errs, fmt.Errorf("%w: Store, Tx and Keys are required", ErrConfig))
	}
	if l.maxNotice <= 0 || l.maxNotice > MaxNoticeDelay {
		errs = append(errs, fmt.Errorf("%w: maximum notice delay %v, want more than 0 and at most %v", ErrConfig, l.maxNotice, MaxNoticeDelay))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l.suite = d.Keys.Suite()
	l.hasher = NewHasher(l.suite)
	l.rf = &compact.RangeFactory{Hash: l.hasher.HashChildren}
	return l, nil
}

// Origin returns the log's name.
func (l *Log) Origin() string { return l.origin }

// Hasher returns the log's tree hasher.
func (l *Log) Hasher() *Hasher { return l.hasher }

// logIDDomain separates log-id MACs from every other use of the
// blind-index key.
const logIDDomain = "netid/translog/log-id/v1\x00"

// state returns the log's state, pinning it on first use: the suite's
// hash and the active blind-index key. It refuses a log begun with
// another hash.
func (l *Log) state(ctx context.Context) (TreeState, error) {
	st, err := l.store.TranslogState(ctx)
	if errors.Is(err, store.ErrNotFound) {
		keyID, _, merr := l.keys.ActiveMAC(ctx, keystore.BlindIndex, []byte(logIDDomain))
		if merr != nil {
			return TreeState{}, fmt.Errorf("translog: blind-index key: %w", merr)
		}
		st, err = l.store.PinTranslog(ctx, l.hasher.Name(), keyID)
	}
	if err != nil {
		return TreeState{}, fmt.Errorf("translog: state: %w", err)
	}
	if st.Hash != l.hasher.Name() {
		return TreeState{}, fmt.Errorf("%w: the log was begun with hash %s; this node's suite hashes with %s", ErrConfig, st.Hash, l.hasher.Name())
	}
	return st, nil
}

// LogID returns the pseudonymous log id of resident residentID:
// base64url(MAC(pinned blind-index key, domain || resident id)). The
// resident API uses it to list the resident's entries.
func (l *Log) LogID(ctx context.Context, residentID string) (LogID, error) {
	st, err := l.state(ctx)
	if err != nil {
		return "", err
	}
	return l.logID(ctx, st.LogIDKey, residentID)
}

func (l *Log) logID(ctx context.Context, keyID, residentID string) (LogID, error) {
	if residentID == "" {
		return "", fmt.Errorf("%w: empty resident id", ErrInvalidEntry)
	}
	mac, err := l.keys.MAC(ctx, keyID, append([]byte(logIDDomain), residentID...))
	if err != nil {
		if errors.Is(err, keystore.ErrRetired) || errors.Is(err, keystore.ErrNotFound) {
			return "", fmt.Errorf("%w: the log-id key %s is gone (%w): every log id would change; restore it", ErrConfig, keyID, err)
		}
		return "", fmt.Errorf("translog: log id: %w", err)
	}
	if len(mac) != HashSize {
		return "", fmt.Errorf("%w: log-id MAC of %d bytes, want %d", ErrConfig, len(mac), HashSize)
	}
	return LogID(base64.RawURLEncoding.EncodeToString(mac)), nil
}

// Append logs entry e of resident residentID and returns its leaf index.
// It runs in the transaction that ctx carries (store.TxRunner), so the
// entry commits or rolls back with the state change it records, and it
// is retry-safe: every run recomputes everything from the store. Appends
// serialise on the tree size (a compare-and-set of the state row), so
// leaf indexes and each resident's sequence numbers have no gaps.
//
// e is normalised first (times to the microsecond in UTC, claims sorted
// and unique), then validated: errors wrap ErrInvalidEntry. Appending an
// entry whose ID is logged already returns the logged index if the
// content is the same (a replay), and an error wrapping ErrDuplicate and
// store.ErrConflict if not.
func (l *Log) Append(ctx context.Context, residentID string, e Entry) (uint64, error) {
	e = e.normalize()
	if err := e.Validate(); err != nil {
		return 0, err
	}
	if e.Kind == KindLawfulAccess && e.NoticeDelayedUntil.Sub(e.Time) > l.maxNotice {
		return 0, fmt.Errorf("%w: notice delayed by %v, the configured maximum is %v", ErrInvalidEntry,
			e.NoticeDelayedUntil.Sub(e.Time), l.maxNotice)
	}
	var index uint64
	// Marked, so that an append in a transaction of its own waits for
	// other appends instead of aborting them; a caller that appends in
	// its own transaction marks that one (store.WithLogAppend).
	err := l.tx.InTx(store.WithLogAppend(ctx), func(ctx context.Context) error {
		var err error
		index, err = l.append(ctx, residentID, e)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("translog: append %s: %w", e.ID, err)
	}
	return index, nil
}

// append is one run of Append's transaction.
func (l *Log) append(ctx context.Context, residentID string, e Entry) (uint64, error) {
	st, err := l.state(ctx)
	if err != nil {
		return 0, err
	}
	logID, err := l.logID(ctx, st.LogIDKey, residentID)
	if err != nil {
		return 0, err
	}
	prior, err := l.store.TranslogLeafByEntryID(ctx, e.ID)
	switch {
	case err == nil:
		if pl, err := DecodeLeaf(prior.Leaf); err == nil && pl.LogID == logID && pl.Entry.equal(e) {
			return prior.Index, nil
		}
		return 0, fmt.Errorf("%w: %w", ErrDuplicate, store.ErrConflict)
	case !errors.Is(err, store.ErrNotFound):
		return 0, err
	}
	leaf := Leaf{LogID: logID, Seq: 1, Entry: e}
	last, err := l.store.TranslogLastLeaf(ctx, logID)
	switch {
	case err == nil:
		leaf.Seq, leaf.Prev = last.Seq+1, l.hasher.HashLeaf(last.Leaf)
	case !errors.Is(err, store.ErrNotFound):
		return 0, err
	}
	b, err := leaf.Encode()
	if err != nil {
		return 0, err
	}
	cr, err := l.rf.NewRange(0, st.Size, st.Compact)
	if err != nil {
		return 0, fmt.Errorf("translog: stored compact range: %w", err)
	}
	var nodes []Node
	if err := cr.Append(l.hasher.HashLeaf(b), func(id compact.NodeID, hash []byte) {
		nodes = append(nodes, Node{ID: id, Hash: hash})
	}); err != nil {
		return 0, fmt.Errorf("translog: grow the tree: %w", err)
	}
	w := LeafWrite{
		Leaf:    StoredLeaf{Index: st.Size, EntryID: e.ID, LogID: logID, Seq: leaf.Seq, Leaf: b},
		Nodes:   nodes,
		Compact: cr.Hashes(),
	}
	if err := l.store.AppendTranslogLeaf(ctx, st.Size, w); err != nil {
		return 0, err
	}
	return st.Size, nil
}

// root returns the root hash of the tree that st describes.
func (l *Log) root(st TreeState) ([]byte, error) {
	if st.Size == 0 {
		return l.hasher.EmptyRoot(), nil
	}
	cr, err := l.rf.NewRange(0, st.Size, st.Compact)
	if err != nil {
		return nil, fmt.Errorf("translog: stored compact range: %w", err)
	}
	return cr.GetRootHash(nil)
}
