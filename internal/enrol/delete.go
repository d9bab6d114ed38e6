package enrol

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// StatusDeleted: the resident deleted the account. What remains is a
// tombstone: the id, the retired internet number, the evidence pathway and
// the dates, and nothing that identifies a person. It never logs in again.
const StatusDeleted ResidentStatus = "deleted"

// ErasureStore is what account deletion needs of the store beyond Store:
// removing the rows that would tie the deleted account to a person. It is
// an optional power of the Service's Store, found by type assertion;
// *sqlstore.Store has it. Both methods join the transaction ctx carries.
type ErasureStore interface {
	// DeleteIdentityAnchorsOf deletes every identity anchor of residentID
	// and returns how many there were. The anchor is a keyed hash of the
	// person's document number: kept, it would let whoever holds the key
	// find the deleted account from a document, and it would bar the
	// person from ever enrolling again.
	DeleteIdentityAnchorsOf(ctx context.Context, residentID string) (int64, error)
	// DeleteGuardianLinksOf deletes every guardian link in which
	// residentID is the minor or the guardian and returns how many.
	DeleteGuardianLinksOf(ctx context.Context, residentID string) (int64, error)
}

// Erased is what DeleteResident did.
type Erased struct {
	ResidentID     string
	InternetNumber credential.InternetNumber
	At             time.Time
	// Anchors and GuardianLinks count the rows deleted.
	Anchors       int64
	GuardianLinks int64
}

// Deletion is the slow part of a deletion, done by PrepareDeletion before
// any transaction: the password hash that replaces the resident's. A
// transaction must not wait for argon2id (SQLite has one writer), and a
// retried one must not compute it again.
type Deletion struct {
	tombstoneHash string
	// eventID is the id of the "deleted" log entry: random, so that the
	// log holds no resident id in the clear.
	eventID string
}

// PrepareDeletion returns what DeleteResident needs: the argon2id hash of
// a random secret that is discarded at once, so that nobody knows a
// password that matches it. password.ErrBusy passes through.
func (s *Service) PrepareDeletion(ctx context.Context) (Deletion, error) {
	secret, err := s.randomString(tokenBytes)
	if err != nil {
		return Deletion{}, err
	}
	h, err := s.d.Hasher.Hash(ctx, secret)
	if err != nil {
		return Deletion{}, fmt.Errorf("enrol: prepare deletion: %w", err)
	}
	id, err := s.randomString(idBytes)
	if err != nil {
		return Deletion{}, err
	}
	return Deletion{tombstoneHash: h, eventID: "deleted-" + id}, nil
}

// DeleteResident erases the account of resident id at the resident's
// request, in one transaction (joining the one ctx carries, so that the
// caller's revocations of certificates and tokens commit with it), with
// d from PrepareDeletion:
//
//   - the sealed columns (identity, phone, face template, dynamic-code
//     secret) and the login phone's index are wiped, and the password hash
//     is replaced by d's, which no password matches, so that a login
//     attempt costs what it costs on a live account and fails like a
//     wrong password;
//   - the data key is shredded (envelope.Shred): any copy of a sealed
//     value, in a backup or a log, is unreadable by anyone, the operator
//     included;
//   - the internet number is retired (it stays recorded, so it is never
//     drawn again), the identity anchors and guardian links are deleted,
//     and the sign-in locks are lifted (they lock nothing any more);
//   - the status becomes StatusDeleted and an account event "deleted" is
//     appended to the resident's transparency log, if the Service has one.
//
// Certificates, OAuth grants and sessions are not enrol's: the caller
// (the resident service) revokes them in the same transaction. The
// caller authenticates the resident and confirms the request.
// ErrNotFound if there is no such account or it is deleted already;
// ErrInvalidRequest for a Deletion that PrepareDeletion did not make.
func (s *Service) DeleteResident(ctx context.Context, id string, d Deletion) (Erased, error) {
	es, ok := s.d.Store.(ErasureStore)
	if !ok {
		return Erased{}, errors.New("enrol: the store cannot erase accounts (no ErasureStore)")
	}
	if d.tombstoneHash == "" || d.eventID == "" {
		return Erased{}, fmt.Errorf("%w: DeleteResident needs the Deletion of PrepareDeletion", ErrInvalidRequest)
	}
	tombstoneHash := d.tombstoneHash
	at := s.now().UTC().Truncate(time.Microsecond)
	var out Erased
	err := s.d.Store.InTx(ctx, func(ctx context.Context) error {
		r, err := s.d.Store.Resident(ctx, id)
		if errors.Is(err, store.ErrNotFound) || err == nil && r.Status == StatusDeleted {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		n := ResidentRecord{
			ID: r.ID, InternetNumber: r.InternetNumber, Status: StatusDeleted, Pathway: r.Pathway, Ceiling: r.Ceiling,
			PasswordHash: tombstoneHash, RegistrarID: r.RegistrarID, CreatedAt: r.CreatedAt, UpdatedAt: at,
			Version: r.Version + 1,
		}
		if err := s.d.Store.UpdateResident(ctx, r.Version, n); err != nil {
			return err
		}
		// Retired already only if an earlier run of this account's
		// deletion committed, which the status check excludes; a conflict
		// here is therefore the store's inconsistency, reported as such.
		if err := s.d.Store.RetireInternetNumber(ctx, r.InternetNumber, at); err != nil {
			return fmt.Errorf("enrol: delete: retire %s: %w", r.InternetNumber, err)
		}
		anchors, err := es.DeleteIdentityAnchorsOf(ctx, r.ID)
		if err != nil {
			return err
		}
		links, err := es.DeleteGuardianLinksOf(ctx, r.ID)
		if err != nil {
			return err
		}
		for _, m := range Methods() {
			if err := s.d.Store.UnlockAuthMethod(ctx, r.ID, m); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if err := s.d.Envelope.Shred(ctx, r.ID); err != nil {
			return err
		}
		if err := s.logAccountEvent(ctx, r.ID, d.eventID, translog.EventDeleted, "", at); err != nil {
			return err
		}
		out = Erased{ResidentID: r.ID, InternetNumber: credential.InternetNumber(r.InternetNumber), At: at,
			Anchors: anchors, GuardianLinks: links}
		return nil
	})
	if err != nil {
		return Erased{}, err
	}
	s.log.InfoContext(ctx, "account deleted", "resident", id)
	return out, nil
}
