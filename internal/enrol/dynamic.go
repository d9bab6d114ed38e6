package enrol

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/store"
)

// dynamicCodeSkew is how many time steps before and after the current one
// VerifyDynamicCode accepts: one, as RFC 6238 section 5.2 recommends, for
// the time it takes to read and type a code and for clocks a little off.
const dynamicCodeSkew = 1

// Errors of the dynamic code. Both are shown to the resident as they are.
var (
	// ErrBadDynamicCode: the code is not the wallet's code of the current
	// time step or a neighbouring one, is not 8 digits, or the account
	// cannot sign in. It is distinct from ErrBadCredentials, whose message
	// speaks of the password.
	ErrBadDynamicCode = errors.New("the dynamic code is not correct or has expired; enter the code your wallet shows now")
	// ErrDynamicCodeReused: the code is right but was used already, or a
	// later code was: a dynamic code signs in once (RFC 6238 section
	// 5.2).
	ErrDynamicCodeReused = errors.New("this dynamic code has been used already; wait for your wallet to show the next code")
)

// VerifyDynamicCode checks code, typed by the resident, against the
// dynamic code of resident residentID's wallet (credential.NewDynamicCode:
// RFC 6238, 8 digits, 30 s, HMAC-SHA-256), for a login that has resolved
// the resident already (a second factor after the password, or a wallet
// approval page). Spaces and hyphens in code are ignored, so that a code
// typed in groups is read; what remains must be 8 ASCII digits.
//
// It answers, in this order:
//   - ErrInvalidRequest without a client address;
//   - a *ThrottledError (ErrThrottled) when the client address or the
//     account is over its limit: AuthenticateResident's limits
//     (Config.LoginPerAddress, Config.LoginPerAccount) with counters of
//     their own, so that password guesses and code guesses do not use
//     up each other's budget (NIST SP 800-63B 5.2.2 limits failed
//     attempts per authenticator). Every attempt counts, before the code
//     is checked; a success resets the account's counter;
//   - ErrNotFound for an unknown resident id (ids are random 128-bit
//     values that only the server hands out: nothing is revealed);
//   - ErrBadDynamicCode when the code matches none of the current step
//     and the steps either side;
//   - ErrDynamicCodeReused when it matches a step no later than the last
//     one accepted for this resident, checked and recorded in one atomic
//     store write (AuthMethodStore.UseDynamicCodeStep), so that two nodes
//     given the same code cannot both accept it;
//   - a *LockedError (ErrMethodLocked, ErrAccountLocked) when the resident
//     has locked the dynamic code or the account (CheckMethod);
//   - ErrAccountPending for a minor waiting for a guardian, and
//     ErrBadDynamicCode for any other account that is not active.
//
// The answers after ErrBadDynamicCode say something about the account, so
// they are given only to someone holding a right code, as
// AuthenticateResident does after a right password. A right code refused
// for a lock or the account's status is still used up.
func (s *Service) VerifyDynamicCode(ctx context.Context, residentID, code, clientAddr string) error {
	if clientAddr == "" {
		return fmt.Errorf("%w: no client address", ErrInvalidRequest)
	}
	if err := s.allow(ctx, s.loginAddress, "dynamic-code-address", clientAddr); err != nil {
		return err
	}
	if err := s.allow(ctx, s.loginAccount, "dynamic-code-account", residentID); err != nil {
		return err
	}
	r, err := s.d.Store.Resident(ctx, residentID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	digits, ok := normaliseDynamicCode(code)
	if !ok || len(r.DynamicSecret) == 0 {
		return ErrBadDynamicCode
	}
	secret, err := s.open(ctx, r.ID, fieldDynamic, r.DynamicSecret)
	if err != nil {
		return err
	}
	now := s.now()
	step, err := credential.NewDynamicCode(secret).Verify(digits, now, dynamicCodeSkew)
	if err != nil {
		return ErrBadDynamicCode
	}
	err = s.d.Store.UseDynamicCodeStep(ctx, r.ID, step, now.UTC().Truncate(time.Microsecond))
	if errors.Is(err, store.ErrConflict) {
		return ErrDynamicCodeReused
	}
	if err != nil {
		return fmt.Errorf("enrol: record dynamic code step: %w", err)
	}
	if err := s.CheckMethod(ctx, r.ID, MethodDynamicCode); err != nil {
		return err
	}
	switch r.Status {
	case StatusActive:
	case StatusPendingGuardian:
		return ErrAccountPending
	default:
		return ErrBadDynamicCode
	}
	if key, err := s.throttleKey(ctx, "dynamic-code-account", residentID); err == nil {
		if err := s.loginAccount.Reset(ctx, key); err != nil {
			s.log.WarnContext(ctx, "dynamic code counter reset failed", "err", err)
		}
	}
	return nil
}

// dynamicCodeDigits is the length of netid's dynamic code.
const dynamicCodeDigits = 8

// normaliseDynamicCode reads a code as a person types it, in groups
// ("1234 5678", "1234-5678") or not, and reports whether it is 8 ASCII
// digits. The code itself is compared in constant time by
// credential.DynamicCode.Verify; only its shape is looked at here.
func normaliseDynamicCode(code string) (string, bool) {
	if len(code) > 4*dynamicCodeDigits {
		return "", false
	}
	digits := strings.NewReplacer(" ", "", "-", "").Replace(code)
	if len(digits) != dynamicCodeDigits {
		return "", false
	}
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return "", false
		}
	}
	return digits, true
}
