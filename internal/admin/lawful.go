package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// LawfulAccessRequest is an authority's request for the identity behind an
// internet number, as the operator records it.
type LawfulAccessRequest struct {
	// InternetNumber is the number the authority asks about.
	InternetNumber string
	// Authority is the code under which the operator registered the
	// requesting authority (letters, digits, ._:-, at most 64): a code,
	// not a name, because the entry admits no free text.
	Authority string
	// LegalBasis cites the legal basis: statute and article, warrant or
	// case number (letters, digits, ._:/()-, at most 128, no spaces).
	LegalBasis string
	// Ref is the operator's case record (letters, digits, ._:-, at most
	// 128).
	Ref string
	// NoticeDelay is how long the resident's notice is delayed: 0 for
	// none, at most the log's bound (translog.MaxNoticeDelay, one year,
	// unless configured shorter).
	NoticeDelay time.Duration
}

// LawfulAccessResult is what the operator hands over, and the log entry
// that records it.
type LawfulAccessResult struct {
	InternetNumber string
	// EntryID and LogIndex name the transparency-log entry.
	EntryID  string
	LogIndex uint64
	// Time is when the access was recorded; the resident may be told
	// from NoticeDelayedUntil on.
	Time               time.Time
	NoticeDelayedUntil time.Time
	Identity           enrol.Identity
}

// lawfulClaims are the claims a lawful access obtains (the identity
// Service.Identity opens), named in the log entry so that the resident
// learns what was disclosed once notified; sorted, as entries keep them.
var lawfulClaims = []string{string(rp.ClaimBirthdate), string(rp.ClaimDocumentNumber), string(rp.ClaimGender),
	string(rp.ClaimName), string(rp.ClaimNationality)}

// check reports every problem of the request at once, each wrapping
// ErrInvalid; the shapes are the transparency log's own rules.
func (r LawfulAccessRequest) check(now time.Time) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...))
	}
	if r.InternetNumber == "" {
		bad("the internet number is required")
	} else if _, err := credential.ParseInternetNumber(r.InternetNumber); err != nil {
		bad("internet number: %v", err)
	}
	if r.Authority == "" {
		bad("the requesting authority is required (the code under which it is registered)")
	}
	if r.LegalBasis == "" {
		bad("the legal basis is required (a citation: statute and article, warrant or case number)")
	}
	if r.Ref == "" {
		bad("the case reference is required")
	}
	if r.NoticeDelay < 0 {
		bad("the notice delay %v is negative", r.NoticeDelay)
	} else if r.NoticeDelay > translog.MaxNoticeDelay {
		bad("the notice delay %v is longer than %v", r.NoticeDelay, translog.MaxNoticeDelay)
	}
	if len(errs) == 0 {
		// The remaining rules are the entry's: the shapes of authority,
		// legal basis and reference.
		e := r.entry("check", now)
		if err := e.Validate(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				bad("%s", strings.TrimPrefix(line, translog.ErrInvalidEntry.Error()+": "))
			}
		}
	}
	return errors.Join(errs...)
}

// entry returns the log entry of the request, made at at.
func (r LawfulAccessRequest) entry(id string, at time.Time) translog.Entry {
	return translog.Entry{ID: id, Kind: translog.KindLawfulAccess, Time: at, Claims: lawfulClaims,
		Ref: r.Ref, Authority: r.Authority, LegalBasis: r.LegalBasis, NoticeDelayedUntil: at.Add(r.NoticeDelay)}
}

// LawfulAccess records a lawful access in the resident's transparency log
// at once, audits it, and returns the identity behind the internet number.
// The entry, its audit record and the reading of the identity happen in one
// transaction: nothing is returned unless the entry is logged, and nothing
// is logged for a resident whose data is erased (ErrErased: no identity is
// left to disclose). The log enforces its bound on the notice delay.
func (s *Service) LawfulAccess(ctx context.Context, a Actor, req LawfulAccessRequest) (LawfulAccessResult, error) {
	now := s.stamp()
	var out LawfulAccessResult
	n := note{target: req.InternetNumber, detail: fmt.Sprintf("authority %s, legal basis %s, case %s, notice delayed %v",
		req.Authority, req.LegalBasis, req.Ref, req.NoticeDelay)}
	entryID, err := randomHex(s.rand, 16)
	if err != nil {
		return out, err
	}
	// Drawn before the transaction, so that a rerun appends the same entry.
	entryID = "lawful-access-" + entryID
	err = s.act(ctx, a, ActionLawfulAccess, n, func(ctx context.Context, n *note) error {
		if err := req.check(now); err != nil {
			return err
		}
		num, _ := credential.ParseInternetNumber(req.InternetNumber)
		n.target = string(num)
		r, err := s.d.Residents.ResidentByNumber(ctx, string(num))
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: no resident holds internet number %s", ErrNotFound, num)
		}
		if err != nil {
			return err
		}
		ident, err := s.d.Identities.Identity(ctx, r.ID)
		if errors.Is(err, envelope.ErrShredded) {
			return fmt.Errorf("%w: %w", ErrErased, err)
		}
		if err != nil {
			return err
		}
		e := req.entry(entryID, now)
		index, err := s.d.Log.Append(ctx, r.ID, e)
		if err != nil {
			return err
		}
		n.detail += ", log entry " + entryID
		out = LawfulAccessResult{InternetNumber: string(num), EntryID: entryID, LogIndex: index, Time: now,
			NoticeDelayedUntil: e.NoticeDelayedUntil, Identity: ident}
		return nil
	})
	if err != nil {
		return LawfulAccessResult{}, err
	}
	return out, nil
}
