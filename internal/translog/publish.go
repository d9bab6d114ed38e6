package translog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"

	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/store"
)

// Checkpoint returns a signed checkpoint of the current tree. If one of
// this size is stored already it returns that one, so that every node
// serves the same checkpoint for a size; otherwise it signs one with the
// active log-signing key and stores it (of two nodes signing the same
// size at once, the first stored wins and both return it).
//
// Before signing, it checks that the tree extends the latest stored
// checkpoint with a consistency proof computed from the store: a log must
// never sign a checkpoint inconsistent with one it signed before
// (c2sp.org/tlog-checkpoint), and a store that was damaged or tampered
// with makes this fail with ErrInconsistent instead of signing a fork.
func (l *Log) Checkpoint(ctx context.Context) (SignedCheckpoint, error) {
	st, err := l.state(ctx)
	if err != nil {
		return SignedCheckpoint{}, err
	}
	root, err := l.root(st)
	if err != nil {
		return SignedCheckpoint{}, err
	}
	stored, err := l.store.TranslogCheckpoint(ctx, st.Size)
	switch {
	case err == nil:
		return l.parseStored(stored)
	case !errors.Is(err, store.ErrNotFound):
		return SignedCheckpoint{}, fmt.Errorf("translog: checkpoint: %w", err)
	}
	at := time.Unix(l.now().Unix(), 0).UTC()
	latest, err := l.store.LatestTranslogCheckpoint(ctx)
	switch {
	case err == nil:
		if err := l.checkExtends(ctx, latest, st.Size, root); err != nil {
			return SignedCheckpoint{}, err
		}
		// Checkpoint times never go backwards, whatever the nodes' clocks.
		if at.Before(latest.Time) {
			at = latest.Time
		}
	case !errors.Is(err, store.ErrNotFound):
		return SignedCheckpoint{}, fmt.Errorf("translog: checkpoint: %w", err)
	}
	cp := Checkpoint{Origin: l.origin, Size: st.Size, Root: root, Time: at}
	signed, err := l.sign(cp)
	if err != nil {
		return SignedCheckpoint{}, err
	}
	err = l.store.PutTranslogCheckpoint(ctx, StoredCheckpoint{Size: cp.Size, Root: cp.Root, Time: cp.Time, Note: signed})
	if errors.Is(err, store.ErrConflict) {
		if stored, err = l.store.TranslogCheckpoint(ctx, st.Size); err == nil {
			return l.parseStored(stored)
		}
	}
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("translog: store checkpoint: %w", err)
	}
	return SignedCheckpoint{Checkpoint: cp, Note: signed}, nil
}

// checkExtends verifies that the tree of size and root extends the
// checkpoint latest.
func (l *Log) checkExtends(ctx context.Context, latest StoredCheckpoint, size uint64, root []byte) error {
	if latest.Size > size {
		return fmt.Errorf("translog: refusing to sign: %w: the tree has %d leaves, a checkpoint of %d exists", ErrInconsistent, size, latest.Size)
	}
	p, err := l.consistency(ctx, latest.Size, size)
	if err != nil {
		return fmt.Errorf("translog: refusing to sign: %w: %w", ErrInconsistent, err)
	}
	if err := proof.VerifyConsistency(l.hasher, latest.Size, size, p, latest.Root, root); err != nil {
		return fmt.Errorf("translog: refusing to sign: %w: tree of %d does not extend the checkpoint of %d: %w", ErrInconsistent, size, latest.Size, err)
	}
	return nil
}

// sign returns the signed note of cp under the active log-signing key.
func (l *Log) sign(cp Checkpoint) ([]byte, error) {
	text, err := cp.Text()
	if err != nil {
		return nil, err
	}
	_, signer, err := l.keys.ActiveSigner(keystore.LogSigning)
	if err != nil {
		return nil, fmt.Errorf("%w: log-signing key: %w", ErrConfig, err)
	}
	ns, err := NewNoteSigner(l.origin, l.suite, signer, l.rand)
	if err != nil {
		return nil, err
	}
	signed, err := note.Sign(&note.Note{Text: text}, ns)
	if err != nil {
		return nil, fmt.Errorf("translog: sign checkpoint: %w", err)
	}
	return signed, nil
}

// parseStored reads a stored checkpoint from its note text, the bytes
// that were signed, rather than from the columns beside it.
func (l *Log) parseStored(c StoredCheckpoint) (SignedCheckpoint, error) {
	i := bytes.LastIndex(c.Note, []byte("\n\n"))
	if i < 0 {
		return SignedCheckpoint{}, fmt.Errorf("translog: stored checkpoint of %d: %w: no signature block", c.Size, ErrMalformed)
	}
	cp, err := ParseCheckpoint(string(c.Note[:i+1]))
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("translog: stored checkpoint of %d: %w", c.Size, err)
	}
	return SignedCheckpoint{Checkpoint: cp, Note: c.Note}, nil
}

// LatestCheckpoint returns the stored checkpoint of the largest tree, what
// the service publishes: an error wrapping store.ErrNotFound before the
// first checkpoint.
func (l *Log) LatestCheckpoint(ctx context.Context) (SignedCheckpoint, error) {
	c, err := l.store.LatestTranslogCheckpoint(ctx)
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("translog: latest checkpoint: %w", err)
	}
	return l.parseStored(c)
}

// VerifierKeys returns the verifier keys (VerifierKey) of the log-signing
// keys that verify: the active one and those retiring. The service
// publishes them; wallets and witnesses configure them.
func (l *Log) VerifierKeys() ([]string, error) {
	pubs, err := l.keys.PublicKeys(keystore.LogSigning)
	if err != nil {
		return nil, fmt.Errorf("%w: log-signing keys: %w", ErrConfig, err)
	}
	out := make([]string, 0, len(pubs))
	for _, p := range pubs {
		k, err := VerifierKey(l.origin, l.suite, p.Key)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

// Auditor returns an Auditor trusting the log's current verifier keys.
func (l *Log) Auditor() (*Auditor, error) {
	keys, err := l.VerifierKeys()
	if err != nil {
		return nil, err
	}
	vs := make([]note.Verifier, len(keys))
	for i, k := range keys {
		if vs[i], err = ParseVerifierKey(k); err != nil {
			return nil, err
		}
	}
	return NewAuditor(l.suite, l.origin, vs...)
}

// Publisher signs checkpoints periodically: when the tree grew since the
// latest checkpoint and at least the interval passed since it. Any number
// of nodes may run one: the store keeps one checkpoint per size, so they
// all serve the same ones.
type Publisher struct {
	log      *Log
	interval time.Duration
	logger   *slog.Logger
}

// NewPublisher returns a Publisher for l that waits at least interval
// between checkpoints.
func NewPublisher(l *Log, interval time.Duration, logger *slog.Logger) (*Publisher, error) {
	if l == nil || logger == nil || interval <= 0 {
		return nil, fmt.Errorf("%w: publisher needs a log, a logger and a positive interval", ErrConfig)
	}
	return &Publisher{log: l, interval: interval, logger: logger}, nil
}

// PublishIfDue signs a checkpoint if the tree grew since the latest one
// and the interval has passed since that one was signed (or there is
// none), and reports whether it did.
func (p *Publisher) PublishIfDue(ctx context.Context) (SignedCheckpoint, bool, error) {
	size, err := p.log.size(ctx)
	if err != nil {
		return SignedCheckpoint{}, false, fmt.Errorf("translog: publish: %w", err)
	}
	latest, err := p.log.store.LatestTranslogCheckpoint(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if size == 0 {
			return SignedCheckpoint{}, false, nil
		}
	case err != nil:
		return SignedCheckpoint{}, false, fmt.Errorf("translog: publish: %w", err)
	case size <= latest.Size || p.log.now().Sub(latest.Time) < p.interval:
		return SignedCheckpoint{}, false, nil
	}
	cp, err := p.log.Checkpoint(ctx)
	if err != nil {
		return SignedCheckpoint{}, false, err
	}
	return cp, true, nil
}

// Run calls PublishIfDue a few times per interval until ctx ends, logging
// what it publishes and any error (the next tick tries again).
func (p *Publisher) Run(ctx context.Context) {
	t := time.NewTicker(max(p.interval/4, 100*time.Millisecond))
	defer t.Stop()
	for {
		cp, ok, err := p.PublishIfDue(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			p.logger.ErrorContext(ctx, "transparency log: publishing a checkpoint failed", "err", err)
		case ok:
			p.logger.InfoContext(ctx, "transparency log: checkpoint published", "size", cp.Size, "time", cp.Time)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
