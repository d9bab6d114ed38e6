package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/store"
)

func testDataKeyCRUD(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	cst := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name string
		key  envelope.DataKey
	}{
		{"plain", envelope.DataKey{Owner: "resident-1", KEKID: "kek-1", Wrapped: []byte("ciphertext"),
			Created: time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)}},
		{"binary, nanoseconds, other zone", envelope.DataKey{Owner: "resident-2", KEKID: "kek-1", Wrapped: []byte{0, 1, 2, 0xff, 0, 0x80},
			Created: time.Date(2025, 7, 15, 18, 0, 0, 123456789, cst)}},
		{"before 1970", envelope.DataKey{Owner: "resident-3", KEKID: "kek-2", Wrapped: bytes.Repeat([]byte{0xa5}, 4096),
			Created: time.Date(1969, 12, 31, 23, 59, 59, 999999500, time.UTC)}},
		{"zero time", envelope.DataKey{Owner: "résident-4 ✓", KEKID: "kek-2", Wrapped: []byte{0}}},
	}
	for _, tt := range tests {
		if err := s.PutDataKey(ctx, tt.key); err != nil {
			t.Fatalf("%s: PutDataKey() = %v, want nil", tt.name, err)
		}
		got, err := s.DataKey(ctx, tt.key.Owner)
		if err != nil {
			t.Fatalf("%s: DataKey() error = %v", tt.name, err)
		}
		// Times are kept to the microsecond, floored, and come back in UTC.
		want := tt.key
		want.Created = want.Created.Truncate(time.Microsecond)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: DataKey() mismatch (-want +got):\n%s", tt.name, diff)
		}
		if got.Created.Location() != time.UTC {
			t.Errorf("%s: DataKey().Created location = %v, want UTC", tt.name, got.Created.Location())
		}
		if !got.Created.Equal(time.UnixMicro(tt.key.Created.UnixMicro())) {
			t.Errorf("%s: DataKey().Created = %v, want %v", tt.name, got.Created, tt.key.Created)
		}

		again := tt.key
		again.KEKID, again.Wrapped = "kek-other", []byte("other")
		if err := s.PutDataKey(ctx, again); !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: second PutDataKey() = %v, want store.ErrConflict", tt.name, err)
		}
		if got, _ := s.DataKey(ctx, tt.key.Owner); got.KEKID != tt.key.KEKID {
			t.Errorf("%s: after a conflicting put, KEKID = %q, want it unchanged %q", tt.name, got.KEKID, tt.key.KEKID)
		}
	}

	for _, owner := range []string{"nobody", "", "RESIDENT-1", "resident-1 "} {
		if _, err := s.DataKey(ctx, owner); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DataKey(%q) error = %v, want store.ErrNotFound", owner, err)
		}
	}

	for _, tt := range tests {
		if err := s.DeleteDataKey(ctx, tt.key.Owner); err != nil {
			t.Errorf("%s: DeleteDataKey() = %v, want nil", tt.name, err)
		}
		if _, err := s.DataKey(ctx, tt.key.Owner); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: DataKey() after delete error = %v, want store.ErrNotFound", tt.name, err)
		}
		if err := s.DeleteDataKey(ctx, tt.key.Owner); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: second DeleteDataKey() = %v, want store.ErrNotFound", tt.name, err)
		}
	}
	// A deleted (shredded) owner may get a new key.
	if err := s.PutDataKey(ctx, tests[0].key); err != nil {
		t.Errorf("PutDataKey() after delete = %v, want nil", err)
	}
}

func testDataKeyValidation(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	if err := s.PutDataKey(ctx, dataKey("present", "kek-1")); err != nil {
		t.Fatal(err)
	}
	invalid := []struct {
		name string
		call func() error
	}{
		{"put: empty owner", func() error { return s.PutDataKey(ctx, envelope.DataKey{KEKID: "k", Wrapped: []byte{1}}) }},
		{"put: empty KEK", func() error { return s.PutDataKey(ctx, envelope.DataKey{Owner: "x", Wrapped: []byte{1}}) }},
		{"put: empty wrapped", func() error { return s.PutDataKey(ctx, envelope.DataKey{Owner: "x", KEKID: "k"}) }},
		{"rewrap: empty KEK", func() error {
			return s.RewrapDataKey(ctx, "present", "kek-1", envelope.DataKey{Wrapped: []byte{1}})
		}},
		{"rewrap: empty wrapped", func() error {
			return s.RewrapDataKey(ctx, "present", "kek-1", envelope.DataKey{KEKID: "kek-2"})
		}},
		{"rewrap: owner differs", func() error {
			return s.RewrapDataKey(ctx, "present", "kek-1", envelope.DataKey{Owner: "other", KEKID: "kek-2", Wrapped: []byte{1}})
		}},
		{"list: zero limit", func() error { _, err := s.DataKeysWrappedBy(ctx, "kek-1", "", 0); return err }},
		{"list: negative limit", func() error { _, err := s.DataKeysWrappedBy(ctx, "kek-1", "", -1); return err }},
	}
	for _, tt := range invalid {
		err := tt.call()
		if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: error = %v, want an invalid-argument error", tt.name, err)
		}
	}
	if _, err := s.DataKey(ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DataKey(x) error = %v, want store.ErrNotFound: invalid puts must store nothing", err)
	}
	if got, _ := s.DataKey(ctx, "present"); got.KEKID != "kek-1" {
		t.Errorf("DataKey(present).KEKID = %q after invalid rewraps, want kek-1", got.KEKID)
	}
}

func testDataKeyRewrap(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	orig := dataKey("r1", "kek-1")
	if err := s.PutDataKey(ctx, orig); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name     string
		owner    string
		oldKEKID string
		newKEKID string
		wantErr  error
		wantKEK  string // stored KEK id of r1 afterwards
	}{
		{name: "wrong old KEK", owner: "r1", oldKEKID: "kek-x", newKEKID: "kek-2", wantErr: store.ErrConflict, wantKEK: "kek-1"},
		{name: "missing owner", owner: "nobody", oldKEKID: "kek-1", newKEKID: "kek-2", wantErr: store.ErrNotFound, wantKEK: "kek-1"},
		{name: "rotation", owner: "r1", oldKEKID: "kek-1", newKEKID: "kek-2", wantKEK: "kek-2"},
		{name: "stale rotation", owner: "r1", oldKEKID: "kek-1", newKEKID: "kek-3", wantErr: store.ErrConflict, wantKEK: "kek-2"},
		{name: "re-wrap under the same KEK", owner: "r1", oldKEKID: "kek-2", newKEKID: "kek-2", wantKEK: "kek-2"},
		{name: "owner given in the key", owner: "r1", oldKEKID: "kek-2", newKEKID: "kek-4", wantKEK: "kek-4"},
	}
	for i, st := range steps {
		k := envelope.DataKey{KEKID: st.newKEKID, Wrapped: []byte(fmt.Sprintf("wrapped-%d", i)),
			Created: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} // ignored
		if st.name == "owner given in the key" {
			k.Owner = st.owner
		}
		err := s.RewrapDataKey(ctx, st.owner, st.oldKEKID, k)
		if st.wantErr == nil && err != nil || st.wantErr != nil && !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: RewrapDataKey() = %v, want %v", st.name, err, st.wantErr)
		}
		got, err := s.DataKey(ctx, "r1")
		if err != nil {
			t.Fatalf("%s: DataKey() error = %v", st.name, err)
		}
		if got.KEKID != st.wantKEK {
			t.Errorf("%s: KEKID = %q, want %q", st.name, got.KEKID, st.wantKEK)
		}
		if st.wantErr == nil && !bytes.Equal(got.Wrapped, k.Wrapped) {
			t.Errorf("%s: Wrapped = %q, want %q", st.name, got.Wrapped, k.Wrapped)
		}
		if !got.Created.Equal(orig.Created) {
			t.Errorf("%s: Created = %v, want it unchanged %v", st.name, got.Created, orig.Created)
		}
	}
	if _, err := s.DataKey(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DataKey(nobody) error = %v, want store.ErrNotFound: rewrap must not create keys", err)
	}
}

func testDataKeyPagination(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	// Owners chosen so that bytewise order differs from any locale's.
	onA := []string{"a", "B", "b", "Z", "ä", "ab", "a b", "0", "résident", "~", "a\u0301", "Ω"}
	onB := []string{"c", "D"}
	for _, o := range onA {
		if err := s.PutDataKey(ctx, dataKey(o, "kek-A")); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range onB {
		if err := s.PutDataKey(ctx, dataKey(o, "kek-B")); err != nil {
			t.Fatal(err)
		}
	}
	list := func(kek string, limit int) []string {
		t.Helper()
		var owners []string
		after := ""
		for {
			page, err := s.DataKeysWrappedBy(ctx, kek, after, limit)
			if err != nil {
				t.Fatalf("DataKeysWrappedBy(%q, %q, %d) error = %v", kek, after, limit, err)
			}
			if len(page) > limit {
				t.Fatalf("DataKeysWrappedBy(%q, %q, %d) returned %d keys", kek, after, limit, len(page))
			}
			if len(page) == 0 {
				return owners
			}
			for _, k := range page {
				if k.KEKID != kek {
					t.Errorf("DataKeysWrappedBy(%q) returned a key wrapped by %q", kek, k.KEKID)
				}
				if want := dataKey(k.Owner, kek); !bytes.Equal(k.Wrapped, want.Wrapped) || !k.Created.Equal(want.Created) {
					t.Errorf("DataKeysWrappedBy(%q) returned %+v, want %+v", kek, k, want)
				}
				owners = append(owners, k.Owner)
			}
			after = page[len(page)-1].Owner
		}
	}
	wantA := slices.Clone(onA)
	slices.Sort(wantA) // bytewise, as the store promises
	wantB := slices.Clone(onB)
	slices.Sort(wantB)
	tests := []struct {
		kek   string
		limit int
		want  []string
	}{
		{"kek-A", 1, wantA},
		{"kek-A", 3, wantA},
		{"kek-A", 100, wantA},
		{"kek-B", 1, wantB},
		{"kek-unknown", 5, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, list(tt.kek, tt.limit)); diff != "" {
			t.Errorf("listing %s by %d: mismatch (-want +got):\n%s", tt.kek, tt.limit, diff)
		}
	}
	if page, err := s.DataKeysWrappedBy(ctx, "kek-A", "~", 10); err != nil || len(page) != 2 {
		t.Errorf("DataKeysWrappedBy(kek-A, after ~) = %d keys, %v; want Ω and ä", len(page), err)
	}

	// The use it exists for: re-wrap everything, a page at a time, always
	// restarting from the beginning as an interrupted job would.
	for rounds := 0; ; rounds++ {
		page, err := s.DataKeysWrappedBy(ctx, "kek-A", "", 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		if rounds > len(onA) {
			t.Fatal("re-wrap loop does not terminate")
		}
		for _, k := range page {
			if err := s.RewrapDataKey(ctx, k.Owner, "kek-A", envelope.DataKey{KEKID: "kek-B", Wrapped: dataKey(k.Owner, "kek-B").Wrapped}); err != nil {
				t.Fatal(err)
			}
		}
	}
	wantAll := append(slices.Clone(onA), onB...)
	slices.Sort(wantAll)
	if diff := cmp.Diff(wantAll, list("kek-B", 4)); diff != "" {
		t.Errorf("after re-wrapping, kek-B keys mismatch (-want +got):\n%s", diff)
	}
}

func testDataKeyCounts(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	got, err := s.DataKeyCountsByKEK(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("DataKeyCountsByKEK() on an empty store = %v, %v; want empty, nil", got, err)
	}
	for i := range 7 {
		kek := "kek-A"
		if i%3 == 0 {
			kek = "kek-B"
		}
		if err := s.PutDataKey(ctx, dataKey(fmt.Sprintf("owner-%d", i), kek)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RewrapDataKey(ctx, "owner-1", "kek-A", envelope.DataKey{KEKID: "kek-C", Wrapped: []byte("w")}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDataKey(ctx, "owner-2"); err != nil {
		t.Fatal(err)
	}
	got, err = s.DataKeyCountsByKEK(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// owner-0, 3, 6 on B; 1 moved to C; 2 deleted; 4, 5 on A.
	if diff := cmp.Diff(map[string]int64{"kek-A": 2, "kek-B": 3, "kek-C": 1}, got); diff != "" {
		t.Errorf("DataKeyCountsByKEK() mismatch (-want +got):\n%s", diff)
	}
	// Inside a transaction it sees the transaction's writes.
	err = s.InTx(ctx, func(ctx context.Context) error {
		if err := s.DeleteDataKey(ctx, "owner-4"); err != nil {
			return err
		}
		in, err := s.DataKeyCountsByKEK(ctx)
		if err != nil {
			return err
		}
		if in["kek-A"] != 1 {
			t.Errorf("in a transaction after a delete: kek-A wraps %d, want 1", in["kek-A"])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// testDataKeyRewrapBatches runs envelope.Rewrap over the engine: each batch
// is one transaction, so a batch that fails half way leaves every key of
// it as it was, and a run cancelled between batches resumes where it
// stopped.
func testDataKeyRewrapBatches(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	keys := tlKeys(t, suite.Intl)
	env := envelope.New(keys.Suite(), keys, s)
	const n = 25
	owners := make([]string, n)
	sealed := map[string][]byte{}
	for i := range owners {
		owners[i] = fmt.Sprintf("resident-%02d", i)
		if err := env.CreateDataKey(ctx, owners[i]); err != nil {
			t.Fatal(err)
		}
		ct, err := env.Seal(ctx, owners[i], "name", []byte(owners[i]))
		if err != nil {
			t.Fatal(err)
		}
		sealed[owners[i]] = ct
	}
	old, err := s.DataKey(ctx, owners[0])
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := keys.Rotate(ctx, keystore.KeyEncryption)
	if err != nil {
		t.Fatal(err)
	}
	counts := func() map[string]int64 {
		t.Helper()
		c, err := s.DataKeyCountsByKEK(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	// A key that does not unwrap (its wrapping moved onto another owner's
	// row) in the second batch: the first batch commits, the second rolls
	// back whole, keys before the bad one included.
	bad := owners[13]
	donor, err := s.DataKey(ctx, owners[0])
	if err != nil {
		t.Fatal(err)
	}
	orig, err := s.DataKey(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RewrapDataKey(ctx, bad, old.KEKID, envelope.DataKey{KEKID: old.KEKID, Wrapped: donor.Wrapped}); err != nil {
		t.Fatal(err)
	}
	done, err := env.Rewrap(ctx, old.KEKID, 10, nil)
	if err == nil || !strings.Contains(err.Error(), bad) || done != 10 {
		t.Fatalf("Rewrap with a bad key in batch 2 = %d, %v; want 10 and an error naming %s", done, err, bad)
	}
	if diff := cmp.Diff(map[string]int64{old.KEKID: n - 10, rotated.ID: 10}, counts()); diff != "" {
		t.Errorf("after the failed batch (-want +got):\n%s", diff)
	}
	if err := s.RewrapDataKey(ctx, bad, old.KEKID, orig); err != nil {
		t.Fatal(err)
	}

	// Cancelled after the next batch: that batch stays, the rest waits.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done, err = env.Rewrap(cctx, old.KEKID, 10, func(int) { cancel() })
	if !errors.Is(err, context.Canceled) || done != 10 {
		t.Fatalf("cancelled Rewrap = %d, %v; want 10, context.Canceled", done, err)
	}
	if diff := cmp.Diff(map[string]int64{old.KEKID: n - 20, rotated.ID: 20}, counts()); diff != "" {
		t.Errorf("after the cancelled run (-want +got):\n%s", diff)
	}
	done, err = env.Rewrap(ctx, old.KEKID, 10, nil)
	if err != nil || done != n-20 {
		t.Fatalf("resumed Rewrap = %d, %v; want %d, nil", done, err, n-20)
	}
	if diff := cmp.Diff(map[string]int64{rotated.ID: n}, counts()); diff != "" {
		t.Errorf("after the resumed run (-want +got):\n%s", diff)
	}
	if _, err := keys.Retire(ctx, old.KEKID); err != nil {
		t.Fatal(err)
	}
	for _, o := range owners {
		if got, err := env.Open(ctx, o, "name", sealed[o]); err != nil || string(got) != o {
			t.Errorf("Open(%s) after re-wrap and retirement = %q, %v", o, got, err)
		}
	}
}
