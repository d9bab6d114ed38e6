package enrol

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/phone"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/throttle"
)

// ErrAccountPending is returned by AuthenticateResident, after a correct
// password only, for a minor's account waiting for a guardian's approval.
var ErrAccountPending = errors.New("your account is waiting for your guardian's approval")

// allow counts one attempt of kind value (an address, an account) against
// lim and returns a *ThrottledError when it is over the limit.
func (s *Service) allow(ctx context.Context, lim *throttle.Limiter, kind, value string) error {
	key, err := s.throttleKey(ctx, kind, value)
	if err != nil {
		return err
	}
	ok, wait, err := lim.Allow(ctx, key)
	if err != nil {
		return fmt.Errorf("enrol: throttle: %w", err)
	}
	if !ok {
		return &ThrottledError{RetryAfter: wait}
	}
	return nil
}

// AuthenticateResident checks a username and password, for the OIDC login
// form and the HTTP layer's login of a guardian (and of residents
// generally). The username is an internet number (credential.
// ParseInternetNumber, in any of its typed forms) or, failing that, a
// login phone number (phone.ParseNumber with the configured PhoneRegion,
// so national and E.164 forms both work), looked up by its blind index
// under every usable blind-index key. A number that parses as both is
// taken as an internet number. Only a number recorded as a login phone
// logs in: a child enrolled by a guardian whose phone it shares has none.
//
// Attempts are limited per client address and per account (ErrThrottled,
// counted before the password is checked, so a blocked guesser learns
// nothing). The account counter is keyed on the resolved account when the
// username names one, so the number and phone forms of one account share
// a counter, and on the typed identifier otherwise. Every failure is
// ErrBadCredentials, whether the username is malformed, unknown or the
// password wrong; for an unknown account it spends the time of a real
// verification (password.Hasher.DummyVerify), so that timing does not tell
// which numbers exist. A correct password on a pending minor's account
// gives ErrAccountPending. A correct password on an account whose password
// sign-in or whole account the resident locked gives a *LockedError
// (ErrMethodLocked, ErrAccountLocked; see CheckMethod), whose message the
// login page shows. It comes only after the password, so that whether an
// account exists or is locked is told only to who holds its password (a
// guesser who hits the password learns it is right, as on an unlocked
// account, at the same throttled rate); it does not reset the account's
// counter. password.ErrBusy passes through: the
// service is overloaded and the attempt did not count as a wrong password.
func (s *Service) AuthenticateResident(ctx context.Context, username, password, clientAddr string) (Account, error) {
	if clientAddr == "" {
		return Account{}, fmt.Errorf("%w: no client address", ErrInvalidRequest)
	}
	if err := s.allow(ctx, s.loginAddress, "address", clientAddr); err != nil {
		return Account{}, err
	}
	r, account, err := s.loginAccountOf(ctx, username)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return Account{}, err
	}
	if err := s.allow(ctx, s.loginAccount, "account", account); err != nil {
		return Account{}, err
	}
	if !found {
		if derr := s.d.Hasher.DummyVerify(ctx, password); derr != nil {
			return Account{}, derr
		}
		return Account{}, ErrBadCredentials
	}
	ok, rehash, err := s.d.Hasher.Verify(ctx, password, r.PasswordHash)
	if err != nil {
		return Account{}, fmt.Errorf("enrol: verify password: %w", err)
	}
	if !ok {
		return Account{}, ErrBadCredentials
	}
	// After the password, so that only its holder learns of the lock; before
	// the counter's reset, so that a refused login still counts.
	if err := s.CheckMethod(ctx, r.ID, MethodPassword); err != nil {
		return Account{}, err
	}
	if key, err := s.throttleKey(ctx, "account", account); err == nil {
		if err := s.loginAccount.Reset(ctx, key); err != nil {
			s.log.WarnContext(ctx, "login counter reset failed", "err", err)
		}
	}
	if rehash {
		s.rehash(ctx, r, password)
	}
	if r.Status == StatusPendingGuardian {
		return Account{}, ErrAccountPending
	}
	if r.Status != StatusActive {
		return Account{}, ErrBadCredentials
	}
	return accountOf(r), nil
}

// loginAccountOf resolves a login username to its resident and returns
// the value the per-account login counter is keyed on. When a resident is
// found that value is its internet number, whichever form was typed, so
// that alternating the number and the phone is no way around the limit.
// Otherwise it is the typed identifier in a normal form, prefixed by what
// it parsed as, with an error wrapping store.ErrNotFound: an unknown or
// malformed username still has a counter of its own. Other errors are the
// store's or the key store's.
func (s *Service) loginAccountOf(ctx context.Context, username string) (ResidentRecord, string, error) {
	if number, err := credential.ParseInternetNumber(username); err == nil {
		r, err := s.d.Store.ResidentByNumber(ctx, string(number))
		return r, string(number), err
	}
	n, err := phone.ParseNumber(username, s.cfg.PhoneRegion)
	if err != nil {
		return ResidentRecord{}, "malformed:" + strings.ToUpper(strings.TrimSpace(username)), store.ErrNotFound
	}
	unknown := "phone:" + n.E164()
	idxs, err := s.blindIndexes(ctx, phoneDomain+n.E164())
	if err != nil {
		return ResidentRecord{}, unknown, err
	}
	for _, idx := range idxs {
		r, err := s.d.Store.ResidentByPhoneIndex(ctx, idx)
		switch {
		case err == nil:
			return r, r.InternetNumber, nil
		case !errors.Is(err, store.ErrNotFound):
			return ResidentRecord{}, unknown, err
		}
	}
	return ResidentRecord{}, unknown, store.ErrNotFound
}

// rehash stores a fresh hash of a password that verified against a hash of
// older parameters. Failure is logged, not fatal: the login succeeded.
func (s *Service) rehash(ctx context.Context, r ResidentRecord, password string) {
	h, err := s.d.Hasher.Hash(ctx, password)
	if err == nil {
		n := r
		n.PasswordHash, n.UpdatedAt, n.Version = h, s.now().UTC().Truncate(time.Microsecond), r.Version+1
		err = s.d.Store.UpdateResident(ctx, r.Version, n)
	}
	if err != nil {
		s.log.WarnContext(ctx, "password rehash failed", "resident", r.ID, "err", err)
	}
}

// accountOf is the public view of a resident.
func accountOf(r ResidentRecord) Account {
	return Account{
		ID: r.ID, InternetNumber: credential.InternetNumber(r.InternetNumber), Status: r.Status,
		Pathway: r.Pathway, AssuranceCeiling: r.Ceiling, PhoneLogin: len(r.PhoneIndex) > 0,
		FaceTemplate: len(r.Template) > 0, Created: r.CreatedAt,
	}
}

// Resident returns the account of resident id, or ErrNotFound.
func (s *Service) Resident(ctx context.Context, id string) (Account, error) {
	r, err := s.d.Store.Resident(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Account{}, ErrNotFound
	}
	if err != nil {
		return Account{}, err
	}
	return accountOf(r), nil
}

// CreateRegistrar creates a registrar account for the operator and returns
// its id and its secret token, shown once (only a hash is stored). name is
// the officer's or office's name, for the record.
func (s *Service) CreateRegistrar(ctx context.Context, name string) (id, token string, err error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 256 {
		return "", "", fmt.Errorf("%w: registrar name must be 1 to 256 bytes", ErrInvalidRequest)
	}
	if id, err = s.randomString(idBytes); err != nil {
		return "", "", err
	}
	if token, err = s.randomString(tokenBytes); err != nil {
		return "", "", err
	}
	err = s.d.Store.CreateRegistrar(ctx, RegistrarRecord{
		ID: id, Name: name, TokenHash: s.hashSecret(token), CreatedAt: s.now().UTC().Truncate(time.Microsecond),
	})
	if err != nil {
		return "", "", err
	}
	s.log.InfoContext(ctx, "registrar created", "registrar", id)
	return id, token, nil
}

// AuthenticateRegistrar returns the registrar whose token this is, or
// ErrUnauthorized. The token is looked up by its hash; being 256 random
// bits, it cannot be guessed, so the lookup needs no throttle of its own.
func (s *Service) AuthenticateRegistrar(ctx context.Context, token string) (Registrar, error) {
	if token == "" {
		return Registrar{}, ErrUnauthorized
	}
	r, err := s.d.Store.RegistrarByTokenHash(ctx, s.hashSecret(token))
	if errors.Is(err, store.ErrNotFound) {
		return Registrar{}, ErrUnauthorized
	}
	if err != nil {
		return Registrar{}, err
	}
	return Registrar{ID: r.ID, Name: r.Name, Created: r.CreatedAt}, nil
}
