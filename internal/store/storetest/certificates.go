package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/store/sqlstore"
)

// ct0 is a time as the CA hands them over: UTC, whole seconds for
// certificate times.
var ct0 = time.Date(2025, 7, 15, 10, 0, 0, 0, time.UTC)

// certRecord returns a good certificate record; seed varies every field.
func certRecord(serial, number, caKeyID string, seed int) credential.CertificateRecord {
	at := ct0.Add(time.Duration(seed) * time.Hour)
	return credential.CertificateRecord{
		Serial:               serial,
		InternetNumber:       number,
		CAKeyID:              caKeyID,
		DeviceKeyFingerprint: fmt.Sprintf("%064x", seed),
		NotBefore:            at.Add(-5 * time.Minute),
		NotAfter:             at.Add(365 * 24 * time.Hour),
		Issued:               at.Add(123456 * time.Microsecond),
		DER:                  append([]byte{0x30, 0x82, 0, byte(seed)}, bytes.Repeat([]byte{byte(seed), 0}, 300)...),
	}
}

func testCertificateCRUD(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	recs := []credential.CertificateRecord{
		certRecord("7f3a", "A1B2C3D4E5", "ca-1", 3),
		certRecord("1", "A1B2C3D4E5", "ca-1", 1),
		certRecord("ffffffffffffffffffffffffffffffff", "A1B2C3D4E5", "ca-2", 2),
		certRecord("2b", "ZZZZZZZZZZ", "ca-2", 4),
	}
	for _, r := range recs {
		if err := s.PutCertificate(ctx, r); err != nil {
			t.Fatalf("PutCertificate(%s) = %v, want nil", r.Serial, err)
		}
		got, err := s.Certificate(ctx, r.Serial)
		if err != nil {
			t.Fatalf("Certificate(%s) error = %v", r.Serial, err)
		}
		if diff := cmp.Diff(r, got); diff != "" {
			t.Errorf("Certificate(%s) mismatch (-want +got):\n%s", r.Serial, diff)
		}
		if got.Revoked() {
			t.Errorf("Certificate(%s).Revoked() = true, want false", r.Serial)
		}
		again := certRecord(r.Serial, "OTHER00000", "ca-9", 9)
		if err := s.PutCertificate(ctx, again); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second PutCertificate(%s) = %v, want store.ErrConflict", r.Serial, err)
		}
		if got, _ := s.Certificate(ctx, r.Serial); got.InternetNumber != r.InternetNumber {
			t.Errorf("after a conflicting put, number = %q, want it unchanged %q", got.InternetNumber, r.InternetNumber)
		}
	}
	for _, serial := range []string{"", "7F3A", "07f3a", "0", "nope"} {
		if _, err := s.Certificate(ctx, serial); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Certificate(%q) error = %v, want store.ErrNotFound", serial, err)
		}
	}

	tests := []struct {
		number string
		want   []credential.CertificateRecord
	}{
		// Oldest first by Issued (seeds 1, 2, 3), whatever the serial.
		{"A1B2C3D4E5", []credential.CertificateRecord{recs[1], recs[2], recs[0]}},
		{"ZZZZZZZZZZ", []credential.CertificateRecord{recs[3]}},
		{"NOBODY0000", nil},
		{"a1b2c3d4e5", nil},
	}
	for _, tt := range tests {
		got, err := s.CertificatesFor(ctx, tt.number)
		if err != nil {
			t.Fatalf("CertificatesFor(%s) error = %v", tt.number, err)
		}
		if len(got) == 0 {
			got = nil
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("CertificatesFor(%s) mismatch (-want +got):\n%s", tt.number, diff)
		}
	}

	// Equal Issued times fall back to serial order.
	a, b := certRecord("bb", "TIE0000000", "ca-1", 5), certRecord("aa", "TIE0000000", "ca-1", 5)
	for _, r := range []credential.CertificateRecord{a, b} {
		if err := s.PutCertificate(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.CertificatesFor(ctx, "TIE0000000")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]credential.CertificateRecord{b, a}, got); diff != "" {
		t.Errorf("CertificatesFor(tie) mismatch (-want +got):\n%s", diff)
	}
}

func testCertificateValidation(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	good := certRecord("10", "A1B2C3D4E5", "ca-1", 1)
	revoked := good
	revoked.RevokedAt, revoked.Reason = ct0, credential.ReasonKeyCompromise
	invalid := []struct {
		name string
		call func() error
	}{
		{"empty serial", func() error { r := good; r.Serial = ""; return s.PutCertificate(ctx, r) }},
		{"empty number", func() error { r := good; r.InternetNumber = ""; return s.PutCertificate(ctx, r) }},
		{"empty CA key", func() error { r := good; r.CAKeyID = ""; return s.PutCertificate(ctx, r) }},
		{"empty fingerprint", func() error { r := good; r.DeviceKeyFingerprint = ""; return s.PutCertificate(ctx, r) }},
		{"empty DER", func() error { r := good; r.DER = nil; return s.PutCertificate(ctx, r) }},
		{"revoked at birth", func() error { return s.PutCertificate(ctx, revoked) }},
		{"CRL number: empty key", func() error { _, err := s.NextCRLNumber(ctx, ""); return err }},
		{"CA certificate: empty key", func() error { return s.PutCACertificate(ctx, "", []byte{1}, ct0) }},
		{"CA certificate: empty DER", func() error { return s.PutCACertificate(ctx, "ca-1", nil, ct0) }},
	}
	for _, tt := range invalid {
		err := tt.call()
		if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: error = %v, want an invalid-argument error", tt.name, err)
		}
	}
	if _, err := s.Certificate(ctx, good.Serial); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Certificate() error = %v, want store.ErrNotFound: invalid puts must store nothing", err)
	}
	if _, err := s.CACertificate(ctx, "ca-1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CACertificate() error = %v, want store.ErrNotFound: invalid puts must store nothing", err)
	}
}

func testCertificateRevoke(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	// Serials out of order, two CA keys, one certificate that expires early.
	recs := []credential.CertificateRecord{
		certRecord("c0", "A1B2C3D4E5", "ca-1", 1),
		certRecord("0a", "A1B2C3D4E5", "ca-1", 2),
		certRecord("b1", "B1B2C3D4E5", "ca-1", 3),
		certRecord("d4", "B1B2C3D4E5", "ca-2", 4),
		certRecord("e5", "C1B2C3D4E5", "ca-1", 5),
	}
	recs[4].NotAfter = ct0.Add(48 * time.Hour)
	for _, r := range recs {
		if err := s.PutCertificate(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	revocations := []struct {
		serial string
		reason credential.RevocationReason
		at     time.Time
	}{
		{"c0", credential.ReasonSuperseded, ct0.Add(10 * time.Hour)},
		{"0a", credential.ReasonUnspecified, ct0.Add(11 * time.Hour)},
		{"d4", credential.ReasonKeyCompromise, ct0.Add(12 * time.Hour)},
		{"e5", credential.ReasonCessationOfOperation, ct0.Add(13 * time.Hour)},
	}
	for _, r := range revocations {
		if err := s.RevokeCertificate(ctx, r.serial, r.reason, r.at); err != nil {
			t.Fatalf("RevokeCertificate(%s) = %v, want nil", r.serial, err)
		}
		got, err := s.Certificate(ctx, r.serial)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Revoked() || !got.RevokedAt.Equal(r.at) || got.Reason != r.reason {
			t.Errorf("after revoking %s: revoked %v at %v for %v, want at %v for %v", r.serial, got.Revoked(), got.RevokedAt, got.Reason, r.at, r.reason)
		}
		// The first revocation stands.
		if err := s.RevokeCertificate(ctx, r.serial, credential.ReasonPrivilegeWithdrawn, ct0.Add(99*time.Hour)); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second RevokeCertificate(%s) = %v, want store.ErrConflict", r.serial, err)
		}
		if again, _ := s.Certificate(ctx, r.serial); !again.RevokedAt.Equal(r.at) || again.Reason != r.reason {
			t.Errorf("after a second revocation of %s: at %v for %v, want unchanged %v for %v", r.serial, again.RevokedAt, again.Reason, r.at, r.reason)
		}
	}
	if err := s.RevokeCertificate(ctx, "99", credential.ReasonUnspecified, ct0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeCertificate(unknown) = %v, want store.ErrNotFound", err)
	}
	if got, _ := s.Certificate(ctx, "b1"); got.Revoked() {
		t.Errorf("b1 revoked, want only the certificates revoked to be")
	}

	tests := []struct {
		name          string
		caKeyID       string
		expiredBefore time.Time
		want          []credential.RevokedCertificate
	}{
		{"ca-1, all unexpired", "ca-1", ct0, []credential.RevokedCertificate{
			{Serial: "0a", RevokedAt: ct0.Add(11 * time.Hour), Reason: credential.ReasonUnspecified},
			{Serial: "c0", RevokedAt: ct0.Add(10 * time.Hour), Reason: credential.ReasonSuperseded},
			{Serial: "e5", RevokedAt: ct0.Add(13 * time.Hour), Reason: credential.ReasonCessationOfOperation},
		}},
		{"ca-1, e5 expired", "ca-1", ct0.Add(48 * time.Hour), []credential.RevokedCertificate{
			{Serial: "0a", RevokedAt: ct0.Add(11 * time.Hour), Reason: credential.ReasonUnspecified},
			{Serial: "c0", RevokedAt: ct0.Add(10 * time.Hour), Reason: credential.ReasonSuperseded},
		}},
		{"ca-2", "ca-2", ct0, []credential.RevokedCertificate{
			{Serial: "d4", RevokedAt: ct0.Add(12 * time.Hour), Reason: credential.ReasonKeyCompromise},
		}},
		{"unknown CA", "ca-3", ct0, nil},
		{"all expired", "ca-1", ct0.Add(10 * 365 * 24 * time.Hour), nil},
	}
	for _, tt := range tests {
		got, err := s.RevokedCertificates(ctx, tt.caKeyID, tt.expiredBefore)
		if err != nil {
			t.Fatalf("%s: RevokedCertificates() error = %v", tt.name, err)
		}
		if len(got) == 0 {
			got = nil
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: RevokedCertificates() mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

// testCertificateInTx checks renewal's shape: issue and revoke in one
// transaction, all or nothing, with reads of the transaction's own writes.
func testCertificateInTx(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	old, renewed := certRecord("01", "A1B2C3D4E5", "ca-1", 1), certRecord("02", "A1B2C3D4E5", "ca-1", 2)
	if err := s.PutCertificate(ctx, old); err != nil {
		t.Fatal(err)
	}
	renew := func(fail bool) error {
		return s.InTx(ctx, func(ctx context.Context) error {
			if err := s.PutCertificate(ctx, renewed); err != nil {
				return err
			}
			if err := s.RevokeCertificate(ctx, old.Serial, credential.ReasonSuperseded, ct0); err != nil {
				return err
			}
			if n, err := s.NextCRLNumber(ctx, "ca-1"); err != nil || n < 1 {
				return fmt.Errorf("NextCRLNumber() = %d, %v", n, err)
			}
			got, err := s.CertificatesFor(ctx, old.InternetNumber)
			if err != nil || len(got) != 2 || !got[0].Revoked() {
				return fmt.Errorf("read own writes: %d certificates, first revoked %v, error %v; want 2, true, nil", len(got), len(got) > 0 && got[0].Revoked(), err)
			}
			if fail {
				return errBoom
			}
			return nil
		})
	}
	if err := renew(true); !errors.Is(err, errBoom) {
		t.Fatalf("InTx() = %v, want errBoom", err)
	}
	if _, err := s.Certificate(ctx, renewed.Serial); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("renewed certificate after rollback: error = %v, want store.ErrNotFound", err)
	}
	if got, _ := s.Certificate(ctx, old.Serial); got.Revoked() {
		t.Error("old certificate revoked after rollback, want good")
	}
	if n, err := s.NextCRLNumber(ctx, "ca-1"); err != nil || n != 1 {
		t.Errorf("NextCRLNumber() after rollback = %d, %v; want 1 (the rolled-back increment undone)", n, err)
	}
	if err := renew(false); err != nil {
		t.Fatalf("InTx() = %v, want nil", err)
	}
	if got, _ := s.Certificate(ctx, old.Serial); !got.Revoked() || got.Reason != credential.ReasonSuperseded {
		t.Errorf("old certificate: revoked %v for %v, want revoked for superseded", got.Revoked(), got.Reason)
	}
}

func testCACertificates(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	ders := map[string][]byte{"ca-1": {0x30, 1, 2, 3}, "ca-2": bytes.Repeat([]byte{0x30, 0}, 2000)}
	for id, der := range ders {
		if err := s.PutCACertificate(ctx, id, der, ct0); err != nil {
			t.Fatalf("PutCACertificate(%s) = %v, want nil", id, err)
		}
		if err := s.PutCACertificate(ctx, id, []byte{9}, ct0); !errors.Is(err, store.ErrConflict) {
			t.Errorf("second PutCACertificate(%s) = %v, want store.ErrConflict", id, err)
		}
	}
	for id, der := range ders {
		got, err := s.CACertificate(ctx, id)
		if err != nil || !bytes.Equal(got, der) {
			t.Errorf("CACertificate(%s) = %x, %v; want the first certificate stored", id, got, err)
		}
	}
	if _, err := s.CACertificate(ctx, "ca-3"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CACertificate(unknown) error = %v, want store.ErrNotFound", err)
	}
}

func testCRLNumbers(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	steps := []struct {
		key  string
		want int64
	}{
		{"ca-1", 1}, {"ca-1", 2}, {"ca-2", 1}, {"ca-1", 3}, {"ca-2", 2},
	}
	for i, st := range steps {
		got, err := s.NextCRLNumber(ctx, st.key)
		if err != nil || got != st.want {
			t.Errorf("step %d: NextCRLNumber(%s) = %d, %v; want %d", i, st.key, got, err, st.want)
		}
	}
}

// testConcurrentNextCRLNumber checks that nodes signing CRLs at once never
// share a CRL number and that each sees its numbers increase, with and
// without a transaction around each call (the CA takes the number in the
// transaction that reads the revocations).
func testConcurrentNextCRLNumber(t *testing.T, e Engine) {
	ctx := context.Background()
	const calls = 5
	for _, inTx := range []bool{false, true} {
		s := open(t, e, sqlstore.WithRetry(4*goroutines*calls, time.Millisecond, 20*time.Millisecond))
		got := make([][]int64, goroutines)
		errs := make([]error, goroutines)
		together(goroutines, func(i int) {
			for range calls {
				var n int64
				next := func(ctx context.Context) error {
					var err error
					if n, err = s.NextCRLNumber(ctx, "ca-1"); err != nil {
						return err
					}
					_, err = s.RevokedCertificates(ctx, "ca-1", ct0)
					return err
				}
				var err error
				if inTx {
					err = s.InTx(ctx, next)
				} else {
					err = next(ctx)
				}
				if err != nil {
					errs[i] = err
					return
				}
				got[i] = append(got[i], n)
			}
		})
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("in transaction %v: NextCRLNumber() errors: %v", inTx, err)
		}
		var all []int64
		for i, seq := range got {
			if !slices.IsSorted(seq) || len(slices.Compact(slices.Clone(seq))) != len(seq) {
				t.Errorf("in transaction %v: goroutine %d got %v, want strictly increasing numbers", inTx, i, seq)
			}
			all = append(all, seq...)
		}
		slices.Sort(all)
		want := make([]int64, goroutines*calls)
		for i := range want {
			want[i] = int64(i + 1)
		}
		if diff := cmp.Diff(want, all); diff != "" {
			t.Errorf("in transaction %v: CRL numbers handed out mismatch, want each of 1..%d exactly once (-want +got):\n%s", inTx, len(want), diff)
		}
	}
}

// testConcurrentRevokeCertificate checks that of concurrent revocations
// exactly one takes effect, and that its reason is the one stored.
func testConcurrentRevokeCertificate(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	if err := s.PutCertificate(ctx, certRecord("ab", "A1B2C3D4E5", "ca-1", 1)); err != nil {
		t.Fatal(err)
	}
	reasons := []credential.RevocationReason{credential.ReasonKeyCompromise, credential.ReasonSuperseded}
	errs := make([]error, goroutines)
	together(goroutines, func(i int) {
		errs[i] = s.RevokeCertificate(ctx, "ab", reasons[i%2], ct0.Add(time.Duration(i)*time.Second))
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("RevokeCertificate() succeeded for both %d and %d, want exactly one success", winner, i)
			}
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("RevokeCertificate() #%d error = %v, want nil or store.ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no RevokeCertificate() succeeded, want exactly one")
	}
	got, err := s.Certificate(ctx, "ab")
	if err != nil {
		t.Fatal(err)
	}
	if want := ct0.Add(time.Duration(winner) * time.Second); !got.RevokedAt.Equal(want) || got.Reason != reasons[winner%2] {
		t.Errorf("stored revocation at %v for %v, want the winner's %v for %v", got.RevokedAt, got.Reason, want, reasons[winner%2])
	}
}

// testConcurrentPutCACertificate is several nodes making the certificate
// of a new CA key at once: one is stored, and every node reads that one.
func testConcurrentPutCACertificate(t *testing.T, e Engine) {
	ctx := context.Background()
	s := open(t, e)
	errs := make([]error, goroutines)
	together(goroutines, func(i int) {
		errs[i] = s.PutCACertificate(ctx, "ca-new", []byte{0x30, byte(i)}, ct0)
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("PutCACertificate() succeeded for both %d and %d, want exactly one success", winner, i)
			}
			winner = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("PutCACertificate() #%d error = %v, want nil or store.ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no PutCACertificate() succeeded, want exactly one")
	}
	if got, err := s.CACertificate(ctx, "ca-new"); err != nil || !bytes.Equal(got, []byte{0x30, byte(winner)}) {
		t.Errorf("CACertificate() = %x, %v; want the winner's", got, err)
	}
}
