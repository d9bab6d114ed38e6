package envelope

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/netid/netid/internal/store"
)

// memStore is an in-memory Store for the unit tests of this package; the
// SQL engines are tested by the storage conformance suite.
type memStore struct {
	mu   sync.Mutex
	keys map[string]DataKey
}

var (
	_ Store      = (*memStore)(nil)
	_ KEKCounter = (*memStore)(nil)
)

func newMemStore() *memStore { return &memStore{keys: map[string]DataKey{}} }

func clone(k DataKey) DataKey {
	k.Wrapped = bytes.Clone(k.Wrapped)
	return k
}

func (m *memStore) PutDataKey(_ context.Context, k DataKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[k.Owner]; ok {
		return fmt.Errorf("data key of %s: %w", k.Owner, store.ErrConflict)
	}
	m.keys[k.Owner] = clone(k)
	return nil
}

func (m *memStore) DataKey(_ context.Context, owner string) (DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[owner]
	if !ok {
		return DataKey{}, fmt.Errorf("data key of %s: %w", owner, store.ErrNotFound)
	}
	return clone(k), nil
}

func (m *memStore) RewrapDataKey(_ context.Context, owner, oldKEKID string, k DataKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.keys[owner]
	if !ok {
		return fmt.Errorf("data key of %s: %w", owner, store.ErrNotFound)
	}
	if cur.KEKID != oldKEKID {
		return fmt.Errorf("data key of %s is wrapped by %s, not %s: %w", owner, cur.KEKID, oldKEKID, store.ErrConflict)
	}
	m.keys[owner] = clone(k)
	return nil
}

func (m *memStore) DataKeysWrappedBy(_ context.Context, kekID, afterOwner string, limit int) ([]DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var owners []string
	for o, k := range m.keys {
		if k.KEKID == kekID && o > afterOwner {
			owners = append(owners, o)
		}
	}
	slices.Sort(owners)
	if len(owners) > limit {
		owners = owners[:limit]
	}
	out := make([]DataKey, len(owners))
	for i, o := range owners {
		out[i] = clone(m.keys[o])
	}
	return out, nil
}

func (m *memStore) DataKeyCountsByKEK(context.Context) (map[string]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int64{}
	for _, k := range m.keys {
		out[k.KEKID]++
	}
	return out, nil
}

func (m *memStore) DeleteDataKey(_ context.Context, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[owner]; !ok {
		return fmt.Errorf("data key of %s: %w", owner, store.ErrNotFound)
	}
	delete(m.keys, owner)
	return nil
}

// all returns every stored data key.
func (m *memStore) all() []DataKey {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []DataKey
	for _, k := range m.keys {
		out = append(out, clone(k))
	}
	return out
}
