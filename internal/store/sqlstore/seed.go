package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
)

// SeedResident is one synthetic resident for bulk loading (netid seed):
// the rows an enrolment leaves behind, built by the caller.
type SeedResident struct {
	DataKey  envelope.DataKey
	Resident enrol.ResidentRecord
	Anchor   enrol.IdentityAnchor
	Number   enrol.InternetNumberRecord
	// Certificate is optional (nil: none).
	Certificate *credential.CertificateRecord
}

// seedCacheKiB is the SQLite page cache of a seeding connection.
const seedCacheKiB = 256 << 10

// maxSeedParams bounds the placeholders of one multi-row INSERT: below
// SQLite's 32,766 and PostgreSQL's 65,535.
const maxSeedParams = 30000

// SeedInternetNumbers records internet numbers in bulk, skipping those
// assigned already, and returns the numbers that were skipped (in no
// particular order) so that the caller draws others for them. It joins the
// transaction ctx carries; run it and SeedResidents in one InTx.
func (s *Store) SeedInternetNumbers(ctx context.Context, recs []enrol.InternetNumberRecord) (taken []string, err error) {
	const cols = 4
	err = s.do(ctx, "seed internet numbers", func(q querier) error {
		taken = taken[:0]
		if p, ok := q.(preparer); ok && s.d.Name == "sqlite" {
			// Seeded keys are random, so each batch touches pages all over
			// every index: SQLite's default page cache of 2 MiB would make
			// a large store read most of them from the file again. The
			// setting is the connection's, for the life of the process.
			if _, err := q.ExecContext(ctx, `PRAGMA cache_size = -`+strconv.Itoa(seedCacheKiB)); err != nil {
				return err
			}
			// One reused single-row statement (see insertRows).
			var err error
			taken, err = seedNumbersEach(ctx, p, recs)
			return err
		}
		for _, chunk := range chunks(len(recs), cols) {
			part := recs[chunk[0]:chunk[1]]
			args := make([]any, 0, len(part)*cols)
			want := make(map[string]bool, len(part))
			for _, n := range part {
				if n.Number == "" || n.ResidentID == "" {
					return fmt.Errorf("%w: empty number or resident id", errInvalid)
				}
				var retired any
				if !n.RetiredAt.IsZero() {
					retired = micros(n.RetiredAt)
				}
				args = append(args, n.Number, n.ResidentID, micros(n.AssignedAt), retired)
				want[n.Number] = true
			}
			// RETURNING names the rows inserted; the others were taken.
			rows, err := q.QueryContext(ctx, `INSERT INTO internet_numbers (number, resident_id, assigned_at, retired_at)
				VALUES `+placeholders(len(part), cols)+` ON CONFLICT (number) DO NOTHING RETURNING number`, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var n string
				if err := rows.Scan(&n); err != nil {
					rows.Close()
					return err
				}
				delete(want, n)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if err := rows.Err(); err != nil {
				return err
			}
			for n := range want {
				taken = append(taken, n)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return taken, nil
}

// seedNumbersEach inserts recs one statement each, returning those taken.
func seedNumbersEach(ctx context.Context, p preparer, recs []enrol.InternetNumberRecord) ([]string, error) {
	st, err := p.PrepareContext(ctx, `INSERT INTO internet_numbers (number, resident_id, assigned_at, retired_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (number) DO NOTHING`)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var taken []string
	for _, n := range recs {
		if n.Number == "" || n.ResidentID == "" {
			return nil, fmt.Errorf("%w: empty number or resident id", errInvalid)
		}
		var retired any
		if !n.RetiredAt.IsZero() {
			retired = micros(n.RetiredAt)
		}
		res, err := st.ExecContext(ctx, n.Number, n.ResidentID, micros(n.AssignedAt), retired)
		if err != nil {
			return nil, err
		}
		k, err := rowsAffected(res)
		if err != nil {
			return nil, err
		}
		if k == 0 {
			taken = append(taken, n.Number)
		}
	}
	return taken, nil
}

// SeedResidents stores residents in bulk: their data keys, resident rows,
// identity anchors and certificates, a few multi-row INSERTs per table
// instead of one statement per row. Their internet numbers must be
// recorded already (SeedInternetNumbers). Any row that conflicts (an id,
// anchor, number or serial taken) fails the whole call with
// store.ErrConflict; run it in an InTx so that nothing of the batch
// remains.
func (s *Store) SeedResidents(ctx context.Context, rs []SeedResident) error {
	var (
		keys    = make([][]any, 0, len(rs))
		res     = make([][]any, 0, len(rs))
		anchors = make([][]any, 0, len(rs))
		certs   [][]any
	)
	for _, r := range rs {
		k := r.DataKey
		if err := checkDataKey(k); err != nil || k.Owner != r.Resident.ID {
			return fmt.Errorf("sqlstore: seed residents: %w: data key of %q (%v)", errInvalid, r.Resident.ID, err)
		}
		if r.Resident.ID == "" || r.Resident.InternetNumber == "" || r.Resident.Version != 1 {
			return fmt.Errorf("sqlstore: seed residents: %w: resident needs an id, a number and version 1", errInvalid)
		}
		a := r.Anchor
		if len(a.Index) == 0 || a.KeyID == "" || a.ResidentID != r.Resident.ID {
			return fmt.Errorf("sqlstore: seed residents: %w: anchor of %q", errInvalid, r.Resident.ID)
		}
		keys = append(keys, []any{k.Owner, k.KEKID, k.Wrapped, micros(k.Created)})
		res = append(res, residentArgs(r.Resident))
		anchors = append(anchors, []any{a.Index, a.KeyID, a.ResidentID, string(a.Pathway), micros(a.CreatedAt)})
		if c := r.Certificate; c != nil {
			if err := checkCertificate(*c); err != nil || c.InternetNumber != r.Resident.InternetNumber {
				return fmt.Errorf("sqlstore: seed residents: certificate of %q: %w (%v)", r.Resident.ID, errInvalid, err)
			}
			certs = append(certs, []any{c.Serial, c.InternetNumber, c.CAKeyID, c.DeviceKeyFingerprint,
				micros(c.NotBefore), micros(c.NotAfter), micros(c.Issued), c.DER})
		}
	}
	return s.do(ctx, "seed residents", func(q querier) error {
		for _, t := range []struct {
			head string
			rows [][]any
			tail string
		}{
			{`INSERT INTO data_keys (owner, kek_id, wrapped, created_at)`, keys, `ON CONFLICT (owner) DO NOTHING`},
			{`INSERT INTO residents (` + residentColumns + `)`, res, `ON CONFLICT DO NOTHING`},
			{`INSERT INTO identity_anchors (anchor_index, key_id, resident_id, pathway, created_at)`, anchors, `ON CONFLICT (anchor_index) DO NOTHING`},
			{`INSERT INTO certificates (serial, internet_number, ca_key_id, device_key_fingerprint,
				not_before, not_after, issued_at, der)`, certs, `ON CONFLICT (serial) DO NOTHING`},
		} {
			if err := s.insertRows(ctx, q, t.head, t.tail, t.rows); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertRows runs head VALUES (...) tail over rows and reports
// store.ErrConflict when fewer rows than given were inserted (tail must be
// ON CONFLICT DO NOTHING, so that a conflict does not abort a PostgreSQL
// transaction before it is reported).
//
// The statements differ by engine, not the SQL: PostgreSQL gets multi-row
// INSERTs, one round trip per few thousand rows; SQLite one single-row
// statement prepared once and run for each row, since it binds $N
// parameters by name, finding each name by a scan of the statement's
// parameters: a statement of thousands of them costs quadratic time to
// prepare and bind, while a reused single-row statement costs neither a
// parse nor a round trip.
func (s *Store) insertRows(ctx context.Context, q querier, head, tail string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	if s.d.Name == "sqlite" {
		if p, ok := q.(preparer); ok {
			return insertEach(ctx, p, head+` VALUES `+placeholders(1, cols)+` `+tail, rows)
		}
	}
	for _, c := range chunks(len(rows), cols) {
		part := rows[c[0]:c[1]]
		args := make([]any, 0, len(part)*cols)
		for _, r := range part {
			args = append(args, r...)
		}
		res, err := q.ExecContext(ctx, head+` VALUES `+placeholders(len(part), cols)+` `+tail, args...)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err != nil {
			return err
		}
		if n != int64(len(part)) {
			return fmt.Errorf("%d of %d rows conflict: %w", int64(len(part))-n, len(part), store.ErrConflict)
		}
	}
	return nil
}

// preparer is what *sql.Tx and *sql.DB have for statements run many times.
type preparer interface {
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// insertEach runs the single-row INSERT query once per row.
func insertEach(ctx context.Context, p preparer, query string, rows [][]any) error {
	st, err := p.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer st.Close()
	for i, r := range rows {
		res, err := st.ExecContext(ctx, r...)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		if err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("row %d of %d conflicts: %w", i+1, len(rows), store.ErrConflict)
		}
	}
	return nil
}

// chunks splits n rows of cols values into [start, end) ranges of at most
// maxSeedParams values each.
func chunks(n, cols int) [][2]int {
	per := max(1, maxSeedParams/cols)
	var out [][2]int
	for start := 0; start < n; start += per {
		out = append(out, [2]int{start, min(n, start+per)})
	}
	return out
}

// placeholders returns "($1, $2), ($3, $4)" for rows of cols values.
func placeholders(rows, cols int) string {
	var b strings.Builder
	b.Grow(rows * cols * 6)
	n := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}
