package loadtest

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// SeedStore is what Seed needs of the store (*sqlstore.Store): the bulk
// inserts, and the certificate store the CA reads its own certificates
// from.
type SeedStore interface {
	credential.CertStore
	SeedInternetNumbers(ctx context.Context, recs []enrol.InternetNumberRecord) (taken []string, err error)
	SeedResidents(ctx context.Context, rs []sqlstore.SeedResident) error
}

// SeedKeys is what Seed needs of the key store (*keystore.Store): the KEK
// to wrap data keys, the blind-index key for anchors, the CA key for
// certificates.
type SeedKeys interface {
	envelope.KeyWrapper
	credential.CAKeys
	ActiveMAC(ctx context.Context, p keystore.Purpose, msg []byte) (id string, mac []byte, err error)
}

var (
	_ SeedStore = (*sqlstore.Store)(nil)
	_ SeedKeys  = (*keystore.Store)(nil)
)

// SeedConfig says what Seed creates.
type SeedConfig struct {
	// Count is the number of residents, at least 1.
	Count int
	// Batch is the number of residents per transaction (DefaultSeedBatch
	// when 0).
	Batch int
	// PasswordHash is the argon2id PHC string every resident of the run
	// gets: hashed once by the caller, since hashing a million passwords
	// would take the machine days. Required.
	PasswordHash string
	// Certificates issues each resident an internet certificate, over one
	// device key drawn for the run and then forgotten: the certificates
	// make the store the size of a real one; nobody can present them.
	Certificates bool
	// CertBaseURL and CertValidity are the CA settings of serve
	// (--public-url, --cert-validity), used with Certificates.
	CertBaseURL  string
	CertValidity time.Duration
	// Workers build records in parallel (runtime.GOMAXPROCS when 0); one
	// more goroutine writes.
	Workers int
	// Numbers receives the internet number of each resident, one a line,
	// once its batch is committed. May be nil.
	Numbers io.Writer
	// Progress is told how many residents are committed, after each
	// batch. May be nil.
	Progress func(done int)
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// DefaultSeedBatch is the number of residents per transaction. Seeded keys
// are random, so a batch writes pages all over every index; a large batch
// writes each page once for many rows (on SQLite, 10,000 a batch seeded a
// half-million store 2.5 times faster than 1,000). A running server on
// SQLite waits for each batch's write lock, under a second.
const DefaultSeedBatch = 10000

// MaxSeedBatch bounds SeedConfig.Batch.
const MaxSeedBatch = 20000

// SeedResult is what Seed did.
type SeedResult struct {
	// Run labels the residents' synthetic identity anchors: anchors are
	// "netid-seed" and Run-N.
	Run     string
	Count   int
	Elapsed time.Duration
	// Redrawn counts internet numbers drawn again because they were
	// assigned already.
	Redrawn int
}

// PerSecond is the rate of the run.
func (r SeedResult) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Count) / r.Elapsed.Seconds()
}

// SeedAnchorAuthority is the identity-anchor authority of seeded
// residents: no document has it, so a seeded anchor never collides with a
// real resident's.
const SeedAnchorAuthority = "netid-seed"

// Seed creates cfg.Count synthetic residents with suite s, keys and st:
// records built by cfg.Workers goroutines, written by one, cfg.Batch to a
// transaction. It stops at the first error; the batches committed before
// it stay (their numbers were written to cfg.Numbers), so a rerun adds
// residents rather than resuming.
func Seed(ctx context.Context, s suite.Suite, keys SeedKeys, st SeedStore, cfg SeedConfig) (SeedResult, error) {
	if err := cfg.check(); err != nil {
		return SeedResult{}, err
	}
	if cfg.Batch == 0 {
		cfg.Batch = DefaultSeedBatch
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	run, err := runLabel()
	if err != nil {
		return SeedResult{}, err
	}
	b := &builder{suite: s, keys: keys, cfg: cfg, run: run, now: cfg.Now().UTC().Truncate(time.Microsecond)}
	if cfg.Certificates {
		if b.ca, b.device, err = seedCA(s, keys, st, cfg); err != nil {
			return SeedResult{}, err
		}
	}
	start := time.Now()
	out := SeedResult{Run: run}

	type job struct{ first, n int }
	jobs := make(chan job)
	ready := make(chan []sqlstore.SeedResident, cfg.Workers)
	g, gctx := newGroup(ctx)
	g.Go(func() error {
		defer close(jobs)
		for first := 0; first < cfg.Count; first += cfg.Batch {
			select {
			case jobs <- job{first, min(cfg.Batch, cfg.Count-first)}:
			case <-gctx.Done():
				return nil
			}
		}
		return nil
	})
	var builders sync.WaitGroup
	for range cfg.Workers {
		builders.Add(1)
		g.Go(func() error {
			defer builders.Done()
			for j := range jobs {
				batch, err := b.batch(gctx, j.first, j.n)
				if err != nil {
					return err
				}
				select {
				case ready <- batch:
				case <-gctx.Done():
					return nil
				}
			}
			return nil
		})
	}
	go func() { builders.Wait(); close(ready) }()
	g.Go(func() error {
		var w *bufio.Writer
		if cfg.Numbers != nil {
			w = bufio.NewWriterSize(cfg.Numbers, 64<<10)
		}
		for batch := range ready {
			redrawn, err := b.write(gctx, st, batch)
			if err != nil {
				return err
			}
			out.Redrawn += redrawn
			out.Count += len(batch)
			if w != nil {
				for _, r := range batch {
					w.WriteString(r.Resident.InternetNumber)
					w.WriteByte('\n')
				}
				if err := w.Flush(); err != nil {
					return fmt.Errorf("loadtest: writing internet numbers: %w", err)
				}
			}
			if cfg.Progress != nil {
				cfg.Progress(out.Count)
			}
		}
		return gctx.Err()
	})
	err = g.Wait()
	out.Elapsed = time.Since(start)
	if err == nil {
		err = ctx.Err()
	}
	return out, err
}

func (c SeedConfig) check() error {
	var errs []error
	if c.Count < 1 {
		errs = append(errs, fmt.Errorf("count %d, want at least 1", c.Count))
	}
	if c.Batch < 0 || c.Batch > MaxSeedBatch {
		errs = append(errs, fmt.Errorf("batch %d, want 1 to %d (0: %d)", c.Batch, MaxSeedBatch, DefaultSeedBatch))
	}
	if c.PasswordHash == "" {
		errs = append(errs, errors.New("no password hash"))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("workers %d, want 0 or more", c.Workers))
	}
	if c.Certificates && (c.CertBaseURL == "" || c.CertValidity <= 0) {
		errs = append(errs, errors.New("certificates need the CA's base URL and validity"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("loadtest: seed: %w", err)
	}
	return nil
}

// runLabel draws the label of a run: 40 random bits in base32, so that
// the anchors of two runs never collide.
func runLabel() (string, error) {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base32.StdEncoding.EncodeToString(b), nil
}

// certCapture is the certificate store of the seeding CA: reads (the CA
// certificates) go to the real store, while issued certificates are kept
// by the caller and written in bulk, so PutCertificate stores nothing and
// InTx runs its function without a transaction of its own.
type certCapture struct{ credential.CertStore }

func (certCapture) PutCertificate(context.Context, credential.CertificateRecord) error { return nil }

func (certCapture) InTx(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }

// seedCA returns the CA that issues seeded certificates (no events: seeded
// residents have no transparency log) and the run's device key.
func seedCA(s suite.Suite, keys SeedKeys, st SeedStore, cfg SeedConfig) (*credential.CA, crypto.PublicKey, error) {
	ca, err := credential.NewCA(s, keys, certCapture{st}, credential.Config{BaseURL: cfg.CertBaseURL, Validity: cfg.CertValidity})
	if err != nil {
		return nil, nil, fmt.Errorf("loadtest: seed: certificate authority: %w", err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	return ca, k.Public(), nil
}

// builder makes the records of seeded residents.
type builder struct {
	suite  suite.Suite
	keys   SeedKeys
	cfg    SeedConfig
	run    string
	now    time.Time
	ca     *credential.CA
	device crypto.PublicKey
}

// batch builds residents first .. first+n-1, with internet numbers
// distinct within the batch.
func (b *builder) batch(ctx context.Context, first, n int) ([]sqlstore.SeedResident, error) {
	mem := &memKeys{}
	env := envelope.New(b.suite, b.keys, mem, envelope.WithClock(func() time.Time { return b.now }))
	out := make([]sqlstore.SeedResident, 0, n)
	numbers := make(map[string]bool, n)
	for i := first; i < first+n; i++ {
		r, err := b.resident(ctx, env, mem, i, numbers)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// resident builds seeded resident i.
func (b *builder) resident(ctx context.Context, env *envelope.Envelope, mem *memKeys, i int, taken map[string]bool) (sqlstore.SeedResident, error) {
	var rnd [16 + enrol.DynamicSecretSize + 8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return sqlstore.SeedResident{}, err
	}
	id := base64.RawURLEncoding.EncodeToString(rnd[:16])
	secret := rnd[16 : 16+enrol.DynamicSecretSize]
	pick := binary.BigEndian.Uint64(rnd[16+enrol.DynamicSecretSize:])
	number, err := b.freshNumber(taken)
	if err != nil {
		return sqlstore.SeedResident{}, err
	}
	ident := b.identity(i, pick)

	if err := env.CreateDataKey(ctx, id); err != nil {
		return sqlstore.SeedResident{}, fmt.Errorf("loadtest: seed: %w", err)
	}
	dk, err := mem.DataKey(ctx, id)
	if err != nil {
		return sqlstore.SeedResident{}, err
	}
	key, err := env.Unlock(ctx, id)
	if err != nil {
		return sqlstore.SeedResident{}, err
	}
	defer key.Close()
	sealedID, err := enrol.SealIdentity(key, ident, "netid-seed:"+b.run)
	if err != nil {
		return sqlstore.SeedResident{}, fmt.Errorf("loadtest: seed: %w", err)
	}
	sealedSecret, err := enrol.SealDynamicSecret(key, secret)
	if err != nil {
		return sqlstore.SeedResident{}, fmt.Errorf("loadtest: seed: %w", err)
	}
	keyID, idx, err := b.keys.ActiveMAC(ctx, keystore.BlindIndex, enrol.AnchorIndexInput(ident.AnchorAuthority, ident.AnchorPerson))
	if err != nil {
		return sqlstore.SeedResident{}, fmt.Errorf("loadtest: seed: blind index: %w", err)
	}
	r := sqlstore.SeedResident{
		DataKey: dk,
		Resident: enrol.ResidentRecord{
			ID: id, InternetNumber: string(number), Status: enrol.StatusActive, Pathway: enrol.PathwayAuthority,
			Ceiling: enrol.AssuranceSubstantial, Identity: sealedID, PasswordHash: b.cfg.PasswordHash,
			DynamicSecret: sealedSecret, CreatedAt: b.now, UpdatedAt: b.now, Version: 1,
		},
		Anchor: enrol.IdentityAnchor{Index: idx, KeyID: keyID, ResidentID: id, Pathway: enrol.PathwayAuthority, CreatedAt: b.now},
		Number: enrol.InternetNumberRecord{Number: string(number), ResidentID: id, AssignedAt: b.now},
	}
	if b.ca != nil {
		if err := b.certify(ctx, &r, ident); err != nil {
			return sqlstore.SeedResident{}, err
		}
	}
	return r, nil
}

// freshNumber draws an internet number not in taken, and adds it.
func (b *builder) freshNumber(taken map[string]bool) (credential.InternetNumber, error) {
	for range 8 {
		n, err := credential.NewInternetNumber(nil)
		if err != nil {
			return "", err
		}
		if !taken[string(n)] {
			taken[string(n)] = true
			return n, nil
		}
	}
	return "", errors.New("loadtest: seed: 8 internet number collisions in one batch")
}

// identity returns the synthetic identity of resident i: an adult (18 to
// 80 years old, so that age claims are released), named and numbered
// after the run.
func (b *builder) identity(i int, pick uint64) enrol.Identity {
	seq := b.run + "-" + strconv.Itoa(i)
	days := 18*366 + int(pick%(62*365))
	sex := "F"
	if pick&(1<<40) != 0 {
		sex = "M"
	}
	return enrol.Identity{
		Name: "Seed Resident " + seq, BirthDate: document.NewDate(b.now.AddDate(0, 0, -days)), Sex: sex,
		Nationality: "CHN", DocType: string(document.ResidentIDCard), DocumentNumber: "SEED-" + seq,
		IssuingState: "CHN", Expiry: document.NewDate(b.now.AddDate(10, 0, 0)),
		AnchorAuthority: SeedAnchorAuthority, AnchorPerson: seq,
	}
}

// certify issues r's certificate, with the commitments enrol makes at
// completion.
func (b *builder) certify(ctx context.Context, r *sqlstore.SeedResident, id enrol.Identity) error {
	commitments, _, err := credential.Commit(b.suite, nil, enrol.CertificateAttributes(id))
	if err != nil {
		return err
	}
	return b.issue(ctx, r, commitments)
}

// recertify issues r's certificate again, for its new internet number,
// with the commitments of the one it replaces.
func (b *builder) recertify(ctx context.Context, r *sqlstore.SeedResident) error {
	old, err := b.suite.ParseCertificate(r.Certificate.DER)
	if err != nil {
		return err
	}
	commitments, err := credential.ParseCommitments(old)
	if err != nil {
		return err
	}
	return b.issue(ctx, r, commitments)
}

// issue issues r's certificate with commitments.
func (b *builder) issue(ctx context.Context, r *sqlstore.SeedResident, commitments []credential.Commitment) error {
	issued, err := b.ca.Issue(ctx, credential.IssueRequest{
		InternetNumber: credential.InternetNumber(r.Resident.InternetNumber), DevicePublicKey: b.device,
		Commitments: commitments,
	})
	if err != nil {
		return fmt.Errorf("loadtest: seed: issue certificate: %w", err)
	}
	r.Certificate = &issued.Record
	return nil
}

// write stores one batch in one transaction: the internet numbers first,
// drawing others for any assigned already, then the rest. It returns how
// many numbers were drawn again.
func (b *builder) write(ctx context.Context, st SeedStore, batch []sqlstore.SeedResident) (int, error) {
	redrawn := 0
	err := st.InTx(ctx, func(ctx context.Context) error {
		redrawn = 0
		recs := make([]enrol.InternetNumberRecord, len(batch))
		at := make(map[string]int, len(batch))
		for i, r := range batch {
			recs[i] = r.Number
			at[r.Number.Number] = i
		}
		for attempt := 0; len(recs) > 0; attempt++ {
			taken, err := st.SeedInternetNumbers(ctx, recs)
			if err != nil {
				return err
			}
			if len(taken) > 0 && attempt == 7 {
				return fmt.Errorf("loadtest: seed: internet numbers keep colliding: %w", store.ErrConflict)
			}
			recs = recs[:0]
			for _, n := range taken {
				i := at[n]
				fresh, err := b.freshNumber(at2set(at))
				if err != nil {
					return err
				}
				r := &batch[i]
				delete(at, n)
				at[string(fresh)] = i
				r.Number.Number, r.Resident.InternetNumber = string(fresh), string(fresh)
				if r.Certificate != nil {
					if err := b.recertify(ctx, r); err != nil {
						return err
					}
				}
				recs = append(recs, r.Number)
				redrawn++
			}
		}
		return st.SeedResidents(ctx, batch)
	})
	return redrawn, err
}

// at2set returns the numbers of a number → index map as a set.
func at2set(at map[string]int) map[string]bool {
	s := make(map[string]bool, len(at))
	for n := range at {
		s[n] = true
	}
	return s
}

// memKeys is the envelope store of one batch: data keys are made and
// opened in memory and written with the batch.
type memKeys struct {
	mu   sync.Mutex
	keys map[string]envelope.DataKey
}

func (m *memKeys) PutDataKey(_ context.Context, k envelope.DataKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = make(map[string]envelope.DataKey)
	}
	if _, ok := m.keys[k.Owner]; ok {
		return store.ErrConflict
	}
	m.keys[k.Owner] = k
	return nil
}

func (m *memKeys) DataKey(_ context.Context, owner string) (envelope.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[owner]
	if !ok {
		return envelope.DataKey{}, store.ErrNotFound
	}
	return k, nil
}

func (m *memKeys) RewrapDataKey(context.Context, string, string, envelope.DataKey) error {
	return errors.New("loadtest: seed: no re-wrapping while seeding")
}

func (m *memKeys) DataKeysWrappedBy(context.Context, string, string, int) ([]envelope.DataKey, error) {
	return nil, nil
}

func (m *memKeys) DeleteDataKey(_ context.Context, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, owner)
	return nil
}
