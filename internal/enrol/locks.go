package enrol

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/netid/netid/internal/store"
)

// Method is a way of signing in that a resident can lock, or MethodAccount
// for the whole account.
type Method string

// The methods a resident can lock. The values are stored and may appear in
// the resident API: never change them.
const (
	// MethodPassword covers every login by internet number or login phone
	// number with the password (AuthenticateResident).
	MethodPassword Method = "password"
	// MethodDynamicCode covers the wallet's dynamic code
	// (VerifyDynamicCode).
	MethodDynamicCode Method = "dynamic-code"
	// MethodWallet covers what the wallet's device key does: approvals of
	// a login, QR-code login and certificate presentations. The OpenID
	// provider checks it with CheckMethod.
	MethodWallet Method = "wallet"
	// MethodAccount is the whole account: while it is locked every method
	// is refused, whatever its own lock.
	MethodAccount Method = "account"
)

// Methods lists every Method, MethodAccount last.
func Methods() []Method {
	return []Method{MethodPassword, MethodDynamicCode, MethodWallet, MethodAccount}
}

// ParseMethod returns the Method named s, exactly as spelled by the
// constants; anything else is an error wrapping ErrInvalidRequest.
func ParseMethod(s string) (Method, error) {
	m := Method(s)
	if !slices.Contains(Methods(), m) {
		return "", fmt.Errorf("%w: unknown sign-in method %q (want password, dynamic-code, wallet or account)", ErrInvalidRequest, truncate(s, 64))
	}
	return m, nil
}

// truncate cuts s to at most n bytes, for echoing outside input in an
// error message without echoing a megabyte.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// label is how a login page names the method.
func (m Method) label() string {
	switch m {
	case MethodPassword:
		return "your password"
	case MethodDynamicCode:
		return "your dynamic code"
	case MethodWallet:
		return "your wallet"
	}
	return string(m)
}

// Errors of the locks. Each message is shown to the resident as it is, at
// the moment a sign-in is refused.
var (
	// ErrMethodLocked is matched by a *LockedError for a locked method.
	ErrMethodLocked = errors.New("you have locked this way of signing in; unlock it in your netid account or wallet")
	// ErrAccountLocked is matched by a *LockedError for a locked account.
	ErrAccountLocked = errors.New("you have locked your netid account, so every way of signing in is refused; unlock it in your netid wallet")
)

// LockedError is CheckMethod's refusal: Method is the lock that refused,
// MethodAccount when the whole account is locked (which is reported even if
// the method is locked too). It matches ErrAccountLocked or ErrMethodLocked,
// and its message names the method, for a login page to show.
type LockedError struct {
	Method Method
	Since  time.Time
}

func (e *LockedError) Error() string {
	if e.Method == MethodAccount {
		return "You have locked your netid account, so every way of signing in is refused. Unlock it in your netid wallet."
	}
	return fmt.Sprintf("You have locked sign-in with %s. Unlock it in your netid account or wallet.", e.Method.label())
}

// Is makes a LockedError match ErrAccountLocked (whole account) or
// ErrMethodLocked (one method).
func (e *LockedError) Is(target error) bool {
	if e.Method == MethodAccount {
		return target == ErrAccountLocked
	}
	return target == ErrMethodLocked
}

// Lock is one locked method and when it was locked.
type Lock struct {
	Method Method
	Since  time.Time
}

// Locks are a resident's locks, ordered by method name.
type Locks []Lock

// Since reports when m was locked, and whether it is. It looks at m's own
// lock only: use CheckMethod to decide a sign-in, which also honours the
// account lock.
func (l Locks) Since(m Method) (time.Time, bool) {
	for _, k := range l {
		if k.Method == m {
			return k.Since, true
		}
	}
	return time.Time{}, false
}

// AuthMethodStore keeps the state of the sign-in methods: the last
// dynamic-code step each resident used, and the methods they locked. It is
// part of Store; the contract of Store (transactions, errors, times)
// applies.
type AuthMethodStore interface {
	// UseDynamicCodeStep records that resident residentID used the
	// dynamic code of time step step, at t. ErrConflict if a step greater
	// than or equal to step is recorded already: the compare and the set
	// are one atomic write, so of two callers with the same step exactly
	// one succeeds, on any number of nodes.
	UseDynamicCodeStep(ctx context.Context, residentID string, step int64, t time.Time) error
	// LockAuthMethod records that residentID locked m at t. ErrConflict if
	// m is locked already (the stored time stays).
	LockAuthMethod(ctx context.Context, residentID string, m Method, t time.Time) error
	// UnlockAuthMethod deletes the lock of m. ErrNotFound if m is not
	// locked.
	UnlockAuthMethod(ctx context.Context, residentID string, m Method) error
	// AuthMethodLocks returns the locks of residentID ordered by method
	// (bytewise); none is an empty list, not an error.
	AuthMethodLocks(ctx context.Context, residentID string) ([]Lock, error)
	// DeleteAuthMethodState deletes residentID's locks and last
	// dynamic-code step, for the erasure of an account, and returns how
	// many rows went. Nothing to delete is not an error.
	DeleteAuthMethodState(ctx context.Context, residentID string) (int64, error)
}

// LockMethod locks sign-in with m for resident residentID, or with
// MethodAccount the whole account, until UnlockMethod. Locking what is
// locked already succeeds and keeps the first time. ErrNotFound if there
// is no such resident; ErrInvalidRequest for an unknown method. The caller
// authenticates the resident: LockMethod takes the resident's word.
func (s *Service) LockMethod(ctx context.Context, residentID string, m Method) error {
	if _, err := ParseMethod(string(m)); err != nil {
		return err
	}
	if _, err := s.d.Store.Resident(ctx, residentID); errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	} else if err != nil {
		return err
	}
	err := s.d.Store.LockAuthMethod(ctx, residentID, m, s.now().UTC().Truncate(time.Microsecond))
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil
	case err != nil:
		return err
	}
	s.log.InfoContext(ctx, "sign-in method locked", "resident", residentID, "method", string(m))
	return nil
}

// UnlockMethod lifts the lock of m (MethodAccount: the account's own lock;
// the methods locked one by one stay locked). Unlocking what is not locked
// succeeds. ErrInvalidRequest for an unknown method.
//
// UnlockMethod itself consults no lock: the resident API authenticates the
// resident by a path the lock does not cover (or by the wallet's device
// key even when MethodWallet or the account is locked), otherwise a
// resident who locked everything could never unlock.
func (s *Service) UnlockMethod(ctx context.Context, residentID string, m Method) error {
	if _, err := ParseMethod(string(m)); err != nil {
		return err
	}
	err := s.d.Store.UnlockAuthMethod(ctx, residentID, m)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	s.log.InfoContext(ctx, "sign-in method unlocked", "resident", residentID, "method", string(m))
	return nil
}

// Locks returns what resident residentID has locked and since when,
// ordered by method; an empty list when nothing is (or for an unknown
// resident).
func (s *Service) Locks(ctx context.Context, residentID string) (Locks, error) {
	l, err := s.d.Store.AuthMethodLocks(ctx, residentID)
	if err != nil {
		return nil, err
	}
	return Locks(l), nil
}

// CheckMethod returns a *LockedError when resident residentID may not sign
// in with m: the account is locked (ErrAccountLocked) or m is
// (ErrMethodLocked); nil otherwise. ErrInvalidRequest for an unknown
// method; MethodAccount checks the account lock alone.
//
// AuthenticateResident (MethodPassword) and VerifyDynamicCode
// (MethodDynamicCode) call it after the credential is verified; the
// OpenID provider calls it with MethodWallet before accepting a device-key
// approval, a QR-code login or a certificate presentation. Call it only
// once the credential has been checked: its answer tells the caller about
// the account, which only the resident should learn.
func (s *Service) CheckMethod(ctx context.Context, residentID string, m Method) error {
	if _, err := ParseMethod(string(m)); err != nil {
		return err
	}
	l, err := s.Locks(ctx, residentID)
	if err != nil {
		return fmt.Errorf("enrol: check sign-in method: %w", err)
	}
	if since, ok := l.Since(MethodAccount); ok {
		return &LockedError{Method: MethodAccount, Since: since}
	}
	if since, ok := l.Since(m); ok {
		return &LockedError{Method: m, Since: since}
	}
	return nil
}
