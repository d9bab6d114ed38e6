package keystore

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// sharedLocker is the optional power of a Backend to take its lock shared:
// a reader holding it never sees a state change half made (a rotation's new
// active key written but the old one not yet demoted), while other readers
// proceed. The file backend has it.
type sharedLocker interface {
	RLock(ctx context.Context) (unlock func(), err error)
}

// Reload re-reads the backend: keys created, rotated or retired by another
// process sharing it (several nodes on one key directory) become visible.
// Nodes call it periodically and on a signal after an operator rotates; a
// key id the store does not know also triggers one (see meta). When the
// backend can take its lock shared, Reload holds it, so that it sees the
// state before a rotation or after it, never between.
func (s *Store) Reload(ctx context.Context) error {
	if sl, ok := s.backend.(sharedLocker); ok {
		unlock, err := sl.RLock(ctx)
		if err != nil {
			return fmt.Errorf("keystore: shared lock: %w", err)
		}
		defer unlock()
	}
	return s.load(ctx)
}

// load re-reads the backend without locking; the caller holds the lock or
// accepts to see a change in progress. Loads are serialised: the backend
// replaces its material and the Store its metadata as one step, so a
// slower, older load cannot overwrite a newer one.
func (s *Store) load(ctx context.Context) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	seq := s.started.Add(1)
	metas, err := s.backend.Load(ctx)
	if err != nil {
		return err
	}
	keys := make(map[string]Meta, len(metas))
	for _, m := range metas {
		if err := checkMeta(m); err != nil {
			return err
		}
		if _, dup := keys[m.ID]; dup {
			return fmt.Errorf("keystore: key id %s appears twice", m.ID)
		}
		keys[m.ID] = m
	}
	s.mu.Lock()
	s.keys = keys
	// The gap between reloads is measured on the monotonic clock, not on
	// the key clock that stamps key times.
	s.loaded, s.loadedAt = seq, time.Now()
	s.mu.Unlock()
	return nil
}

// missReloadGap is the least time between a reload and one caused by an
// unknown key id. A caller that misses sooner waits for the gap rather than
// fail, so a flood of unknown ids costs at most one directory read per gap.
const missReloadGap = 100 * time.Millisecond

// reloadAfterMiss reloads because a key id was not found: another process
// may have created the key since the last reload (the KEK of a rotation
// that an operator's re-wrap then used). Callers that miss together share
// one reload: a caller returns at once when a load that began after its
// miss has completed.
func (s *Store) reloadAfterMiss(ctx context.Context) error {
	missedAfter := s.started.Load()
	s.missMu.Lock()
	defer s.missMu.Unlock()
	s.mu.RLock()
	done, last := s.loaded, s.loadedAt
	s.mu.RUnlock()
	if done > missedAfter {
		return nil
	}
	if wait := missReloadGap - time.Since(last); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return s.Reload(ctx)
}

// locked runs fn holding the backend lock, after reloading, so that fn
// decides on the state every process sees.
func (s *Store) locked(ctx context.Context, fn func() error) error {
	unlock, err := s.backend.Lock(ctx)
	if err != nil {
		return fmt.Errorf("keystore: lock: %w", err)
	}
	defer unlock()
	if err := s.load(ctx); err != nil {
		return err
	}
	return fn()
}

// generate creates, persists and records a key of purpose p: active, or,
// with a positive delay, pending until delay after now.
func (s *Store) generate(ctx context.Context, p Purpose, delay time.Duration) (Meta, error) {
	id, err := newID(p, s.rand)
	if err != nil {
		return Meta{}, err
	}
	now := s.now().UTC().Round(0)
	m := Meta{ID: id, Purpose: p, Algorithm: algorithmFor(p, s.suite), State: StateActive, Created: now, StateChanged: now}
	if delay > 0 {
		m.State, m.ActivateAt = StatePending, now.Add(delay)
	}
	if err := s.backend.Generate(ctx, m); err != nil {
		return Meta{}, fmt.Errorf("keystore: generate %s key: %w", p, err)
	}
	s.mu.Lock()
	s.keys[id] = m
	s.mu.Unlock()
	return m, nil
}

// setState persists and records a state change.
func (s *Store) setState(ctx context.Context, m Meta, state State) (Meta, error) {
	now := s.now().UTC().Round(0)
	if err := s.backend.SetState(ctx, m.ID, state, now); err != nil {
		return Meta{}, fmt.Errorf("keystore: key %s to %s: %w", m.ID, state, err)
	}
	m.State, m.StateChanged = state, now
	if state != StatePending {
		m.ActivateAt = time.Time{}
	}
	s.mu.Lock()
	s.keys[m.ID] = m
	s.mu.Unlock()
	return m, nil
}

// Bootstrap makes the store ready: it promotes the pending keys that are
// due (as PromoteDue), creates an active key for every purpose that has
// none (first start on an empty directory) and, should a purpose have
// several active keys (a crash in the middle of Rotate), moves all but the
// newest to retiring. A pending key that is not due leaves the active key
// as it is. It returns the keys it created. It is idempotent and safe to
// run on several nodes at once.
func (s *Store) Bootstrap(ctx context.Context) ([]Meta, error) {
	var created []Meta
	err := s.locked(ctx, func() error {
		for _, p := range Purposes() {
			if _, err := s.promoteDue(ctx, p); err != nil {
				return err
			}
			act := s.inState(p, StateActive)
			if len(act) == 0 {
				m, err := s.generate(ctx, p, 0)
				if err != nil {
					return err
				}
				created = append(created, m)
				continue
			}
			for _, extra := range act[1:] {
				if _, err := s.setState(ctx, extra, StateRetiring); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return created, err
}

// RotateOption configures one Rotate.
type RotateOption func(*rotateOptions)

type rotateOptions struct {
	delay time.Duration
}

// WithActivation makes Rotate publish the new key before using it: the key
// is written pending, to become the active key delay after now on every
// node's clock, and the active key stays active until then. A node that
// reloads the directory within delay serves the new public key (JWKS)
// before any node signs with it. A delay of zero is an immediate rotation;
// a negative one is refused.
func WithActivation(delay time.Duration) RotateOption {
	return func(o *rotateOptions) { o.delay = delay }
}

// Rotate creates a new active key for purpose p, with the suite's current
// algorithm, and moves the previous active key to retiring: it still
// verifies, unwraps and MACs for comparison, but does no new work. The new
// key is persisted before the old one is demoted, so the purpose is never
// without an active key. A pending key of p that is not due yet becomes
// retiring too: the new key supersedes it.
//
// With WithActivation and a positive delay, the new key is written pending
// instead and nothing else changes: selection switches to it at ActivateAt
// and PromoteDue records the switch. Rotate refuses it (ErrState) while p
// has a pending key that is not due, so that one rotation's key cannot
// silently replace another's before anyone used it.
func (s *Store) Rotate(ctx context.Context, p Purpose, opts ...RotateOption) (Meta, error) {
	if kindOf(p) == "" {
		return Meta{}, fmt.Errorf("keystore: unknown purpose %q", p)
	}
	var o rotateOptions
	for _, f := range opts {
		f(&o)
	}
	if o.delay < 0 {
		return Meta{}, fmt.Errorf("keystore: rotate %s: negative activation delay %s", p, o.delay)
	}
	var m Meta
	err := s.locked(ctx, func() error {
		// A pending key that is due is the active one already: record it,
		// so that it is demoted below like any active key.
		if _, err := s.promoteDue(ctx, p); err != nil {
			return err
		}
		pending := s.inState(p, StatePending)
		if o.delay > 0 {
			if len(pending) > 0 {
				return fmt.Errorf("%w: purpose %s has a pending key %s, active from %s; rotate without a delay to replace it",
					ErrState, p, pending[0].ID, pending[0].ActivateAt.UTC().Format(time.RFC3339))
			}
			var err error
			m, err = s.generate(ctx, p, o.delay)
			return err
		}
		old := append(s.inState(p, StateActive), pending...)
		var err error
		if m, err = s.generate(ctx, p, 0); err != nil {
			return err
		}
		for _, o := range old {
			if _, err := s.setState(ctx, o, StateRetiring); err != nil {
				return err
			}
		}
		return nil
	})
	return m, err
}

// inState returns the keys of purpose p in state st, newest first.
func (s *Store) inState(p Purpose, st State) []Meta {
	var out []Meta
	for _, m := range s.List(p) {
		if m.State == st {
			out = append([]Meta{m}, out...)
		}
	}
	return out
}

// PromoteDue records, in the backend, the switch that selection made at
// the activation time of a pending key: for every purpose with a pending
// key that is due, the key that selection uses (the due pending key with
// the latest activation time) becomes active and the other active and due
// keys become retiring, the new key first and the old
// ones after, as Rotate does, so that a crash never leaves a purpose
// without an active key. It reports whether it changed anything.
//
// Nodes call it after each reload; it takes the backend lock only when the
// keys last loaded hold a due pending key, and then re-reads the backend,
// so it is idempotent and safe to run on several nodes at once: the first
// promotes, the others find nothing due.
func (s *Store) PromoteDue(ctx context.Context) (bool, error) {
	if !s.hasDuePending() {
		return false, nil
	}
	changed := false
	err := s.locked(ctx, func() error {
		for _, p := range Purposes() {
			c, err := s.promoteDue(ctx, p)
			if err != nil {
				return err
			}
			changed = changed || c
		}
		return nil
	})
	return changed, err
}

// hasDuePending reports whether the keys last loaded hold a pending key
// whose activation time has come: then PromoteDue has work to do. It reads
// no backend and takes no lock.
func (s *Store) hasDuePending() bool {
	s.mu.RLock()
	var pending []Meta
	for _, m := range s.keys {
		if m.State == StatePending {
			pending = append(pending, m)
		}
	}
	s.mu.RUnlock()
	if len(pending) == 0 {
		return false
	}
	now := s.now()
	for _, m := range pending {
		if isDue(m, now) {
			return true
		}
	}
	return false
}

// promoteDue is PromoteDue for purpose p; the caller holds the lock and has
// just reloaded.
func (s *Store) promoteDue(ctx context.Context, p Purpose) (bool, error) {
	pending := s.inState(p, StatePending)
	if len(pending) == 0 {
		return false, nil // without reading the clock
	}
	now := s.now()
	var due []Meta
	for _, m := range pending {
		if isDue(m, now) {
			due = append(due, m)
		}
	}
	if len(due) == 0 {
		return false, nil
	}
	cands := append(s.inState(p, StateActive), due...)
	keep, _ := inUse(cands, func() time.Time { return now })
	if keep.State == StatePending {
		if _, err := s.setState(ctx, keep, StateActive); err != nil {
			return false, err
		}
	}
	for _, m := range cands {
		if m.ID == keep.ID {
			continue
		}
		if _, err := s.setState(ctx, m, StateRetiring); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Retire moves retiring key id to retired: it no longer signs, verifies,
// MACs or unwraps, and its secret material is destroyed; its metadata and
// public key stay. An active key cannot be retired (rotate first: ErrState);
// retiring a retired key does nothing.
//
// Retiring a KEK makes every data key still wrapped by it unreadable: re-wrap
// them first (package envelope, Rewrap and KEKInUse).
func (s *Store) Retire(ctx context.Context, id string) (Meta, error) {
	var m Meta
	err := s.locked(ctx, func() error {
		s.mu.RLock()
		cur, ok := s.keys[id]
		s.mu.RUnlock()
		switch {
		case !ok:
			return fmt.Errorf("%w: %q", ErrNotFound, id)
		case cur.State == StateRetired:
			m = cur
			return nil
		case cur.State == StateActive:
			return fmt.Errorf("%w: key %s is active; rotate %s first", ErrState, id, cur.Purpose)
		case cur.State == StatePending:
			return fmt.Errorf("%w: key %s is pending (active from %s); rotate %s without a delay to make it retiring first",
				ErrState, id, cur.ActivateAt.UTC().Format(time.RFC3339), cur.Purpose)
		}
		var err error
		m, err = s.setState(ctx, cur, StateRetired)
		return err
	})
	return m, err
}

// Check reports whether the store is ready to serve: every purpose has
// exactly one active key, of the algorithm the suite wants for it. A
// pending key beside it is fine: it is published and will take over at its
// activation time. The error wraps ErrNotReady and lists every problem.
func (s *Store) Check() error {
	var errs []error
	for _, p := range Purposes() {
		act := s.inState(p, StateActive)
		switch {
		case len(act) == 0:
			errs = append(errs, fmt.Errorf("purpose %s has no active key (run bootstrap)", p))
			continue
		case len(act) > 1:
			errs = append(errs, fmt.Errorf("purpose %s has %d active keys (run bootstrap to keep the newest)", p, len(act)))
		}
		if want := algorithmFor(p, s.suite); act[0].Algorithm != want {
			errs = append(errs, fmt.Errorf("purpose %s: active key %s is %s but suite %s wants %s (rotate %s)",
				p, act[0].ID, act[0].Algorithm, s.suite.Name(), want, p))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrNotReady, errors.Join(errs...))
	}
	return nil
}
