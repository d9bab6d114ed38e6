package resident

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
)

// tokenBytes is the entropy of session tokens and challenges: 256 bits,
// so that a hash suffices to store them and nothing guesses one.
const tokenBytes = 32

// Session is a resident signed in to their own account.
type Session struct {
	// Token is the session's bearer value. It is set only in what Login
	// and LoginWallet return (shown once; the store keeps its hash):
	// the API hands it out as a bearer token, the portal in a cookie.
	Token          string
	ResidentID     string
	InternetNumber credential.InternetNumber
	Method         AuthMethod
	// Level is the assurance the sign-in reached: low for a password,
	// substantial for the wallet's device key.
	Level     enrol.Assurance
	CreatedAt time.Time
	ExpiresAt time.Time

	idHash []byte
}

// LogValue keeps the token out of logs.
func (s Session) LogValue() slog.Value {
	return slog.GroupValue(slog.String("resident", s.ResidentID), slog.String("method", string(s.Method)))
}

// hash is the stored form of a token or challenge: the suite's hash,
// enough for 256-bit random values.
func (s *Service) hash(secret string) []byte {
	return s.d.Suite.Hash([]byte("netid/resident/v1\x00" + secret))
}

// Login signs a resident in with a username (internet number or login
// phone number) and password, through enrol.AuthenticateResident: its
// throttling per address and account, its refusals (ErrBadCredentials,
// ErrAccountPending, a *enrol.LockedError when the password or the
// account is locked, a *enrol.ThrottledError) pass through. addr is the
// client's address.
func (s *Service) Login(ctx context.Context, username, password, addr string) (Session, error) {
	acct, err := s.d.Residents.AuthenticateResident(ctx, username, password, addr)
	if err != nil {
		return Session{}, err
	}
	return s.createSession(ctx, acct.ID, acct.InternetNumber, AuthPassword, enrol.AssuranceLow)
}

// Challenge is what the wallet signs to sign in: a presentation of its
// certificate (credential.CreatePresentation) for client id Audience,
// answering []byte(Value), before ExpiresAt.
type Challenge struct {
	Value     string
	Audience  string
	ExpiresAt time.Time
}

// Challenge issues a sign-in challenge for the wallet, single use,
// throttled per client address (a *enrol.ThrottledError when over).
func (s *Service) Challenge(ctx context.Context, addr string) (Challenge, error) {
	if err := s.allow(ctx, s.challenges, addr); err != nil {
		return Challenge{}, err
	}
	v, err := s.randomString(tokenBytes)
	if err != nil {
		return Challenge{}, err
	}
	now := s.stamp()
	c := Challenge{Value: v, Audience: s.cfg.Audience, ExpiresAt: now.Add(s.cfg.ChallengeTTL)}
	if err := s.d.Store.PutResidentChallenge(ctx, ChallengeRecord{Hash: s.hash(v), CreatedAt: now, ExpiresAt: c.ExpiresAt}); err != nil {
		return Challenge{}, err
	}
	return c, nil
}

// LoginWallet signs a resident in with a presentation of their internet
// certificate (credential.CreatePresentation) made by the wallet's device
// key for Config.Audience, answering a challenge from Challenge. It checks
// the chain to the CA, the device key's signature, the audience and the
// presentation's validity, then, in one transaction, that the certificate
// is one this CA issued and is not revoked (read from the CA's store, so
// current to the second rather than to the last CRL), and uses up the
// challenge. It is throttled per client address.
//
// It honours no lock: the device key is what unlocks a locked password or
// account (enrol.UnlockMethod). A lost device is stopped by revoking its
// certificate, which this refuses at once (ErrCertificateRevoked).
// Refusals: ErrPresentation (the cause in the chain), ErrChallenge,
// ErrCertificateRevoked, enrol.ErrAccountPending.
func (s *Service) LoginWallet(ctx context.Context, presentation, addr string) (Session, error) {
	if err := s.allow(ctx, s.walletLogins, addr); err != nil {
		return Session{}, err
	}
	var sess Session
	err := s.verifyWallet(ctx, presentation, func(ctx context.Context, r enrol.ResidentRecord) error {
		var err error
		sess, err = s.createSession(ctx, r.ID, credential.InternetNumber(r.InternetNumber), AuthWallet, enrol.AssuranceSubstantial)
		return err
	})
	return sess, err
}

// verifyWallet checks a sign-in presentation as LoginWallet describes and
// runs then, in the transaction that uses up the challenge, with the
// account it signs in to.
func (s *Service) verifyWallet(ctx context.Context, presentation string, then func(ctx context.Context, r enrol.ResidentRecord) error) error {
	p, err := credential.ParsePresentation(presentation)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPresentation, err)
	}
	roots, err := s.d.CA.CACertificates(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	// The challenge inside is taken as claimed here; that this service
	// issued it, unused and in time, is what UseResidentChallenge checks.
	v, err := credential.VerifyPresentation(s.d.Suite, presentation, roots, credential.PresentationExpectation{
		ClientID: s.cfg.Audience, Challenge: p.Challenge, Now: now,
	}, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPresentation, err)
	}
	serial := credential.FormatSerial(v.Certificate.Serial)
	return s.d.Store.InTx(ctx, func(ctx context.Context) error {
		rec, err := s.d.Certificates.Certificate(ctx, serial)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("%w: the certificate is not one this service issued", ErrPresentation)
		case err != nil:
			return err
		case rec.Revoked():
			return ErrCertificateRevoked
		}
		if err := s.d.Store.UseResidentChallenge(ctx, s.hash(string(p.Challenge)), now.UTC()); errors.Is(err, store.ErrNotFound) {
			return ErrChallenge
		} else if err != nil {
			return err
		}
		r, err := s.d.Accounts.ResidentByNumber(ctx, string(v.Certificate.InternetNumber))
		switch {
		case errors.Is(err, store.ErrNotFound) || err == nil && r.Status == enrol.StatusDeleted:
			return fmt.Errorf("%w: the account of this certificate does not exist", ErrPresentation)
		case err != nil:
			return err
		case r.Status == enrol.StatusPendingGuardian:
			return enrol.ErrAccountPending
		case r.Status != enrol.StatusActive:
			return ErrUnauthenticated
		}
		return then(ctx, r)
	})
}

// createSession stores a new session of resident id and returns it with
// its token.
func (s *Service) createSession(ctx context.Context, id string, number credential.InternetNumber, m AuthMethod, level enrol.Assurance) (Session, error) {
	token, err := s.randomString(tokenBytes)
	if err != nil {
		return Session{}, err
	}
	now := s.stamp()
	sess := Session{Token: token, ResidentID: id, InternetNumber: number, Method: m, Level: level,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL), idHash: s.hash(token)}
	err = s.d.Store.CreateResidentSession(ctx, SessionRecord{IDHash: sess.idHash, ResidentID: id, Method: m, Level: level,
		CreatedAt: now, ExpiresAt: sess.ExpiresAt})
	if err != nil {
		return Session{}, err
	}
	s.log.InfoContext(ctx, "resident signed in", "session", sess)
	return sess, nil
}

// SessionFor returns the session whose token this is, or
// ErrUnauthenticated: for an empty, unknown or expired token, an account
// that is no longer active, and a password session once the password or
// the account has been locked (a lock takes effect at once, also for a
// session already open).
func (s *Service) SessionFor(ctx context.Context, token string) (Session, error) {
	if token == "" {
		return Session{}, ErrUnauthenticated
	}
	h := s.hash(token)
	rec, err := s.d.Store.ResidentSession(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, ErrUnauthenticated
	}
	if err != nil {
		return Session{}, err
	}
	if !s.now().Before(rec.ExpiresAt) {
		return Session{}, ErrUnauthenticated
	}
	acct, err := s.d.Residents.Resident(ctx, rec.ResidentID)
	if errors.Is(err, enrol.ErrNotFound) || err == nil && acct.Status != enrol.StatusActive {
		return Session{}, ErrUnauthenticated
	}
	if err != nil {
		return Session{}, err
	}
	if rec.Method == AuthPassword {
		locks, err := s.d.Residents.Locks(ctx, rec.ResidentID)
		if err != nil {
			return Session{}, err
		}
		if _, locked := locks.Since(enrol.MethodPassword); locked {
			return Session{}, ErrUnauthenticated
		}
		if _, locked := locks.Since(enrol.MethodAccount); locked {
			return Session{}, ErrUnauthenticated
		}
	}
	return Session{ResidentID: rec.ResidentID, InternetNumber: acct.InternetNumber, Method: rec.Method, Level: rec.Level,
		CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt, idHash: h}, nil
}

// Logout ends the session. Ending one that has ended already succeeds.
func (s *Service) Logout(ctx context.Context, sess Session) error {
	if len(sess.idHash) == 0 {
		return ErrUnauthenticated
	}
	if err := s.d.Store.DeleteResidentSession(ctx, sess.idHash); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// Actor is who acts on which account: a signed-in resident on their own
// account (Self), or a guardian on a minor's (ForMinor). Every method that
// reads or changes an account takes one.
type Actor struct {
	Session Session
	// SubjectID and SubjectNumber name the account acted on.
	SubjectID     string
	SubjectNumber credential.InternetNumber
	// Minor is set when Session's resident acts as the guardian of the
	// subject, a minor.
	Minor *enrol.MinorView
}

// Guardian reports whether a guardian acts on a minor's account.
func (a Actor) Guardian() bool { return a.Minor != nil }

// Self is the resident of sess acting on their own account.
func Self(sess Session) Actor {
	return Actor{Session: sess, SubjectID: sess.ResidentID, SubjectNumber: sess.InternetNumber}
}

// ForMinor is the resident of sess acting as guardian of minor minorID.
// It checks, at every call, that the link exists, that the guardian is an
// active adult and that the minor is still under age on the service's
// clock (enrol.GuardianOf): on the minor's 18th birthday this starts to
// fail by itself. ErrNotFound otherwise, the same for a minor that is not
// theirs as for one that does not exist.
func (s *Service) ForMinor(ctx context.Context, sess Session, minorID string) (Actor, error) {
	m, err := s.d.Residents.GuardianOf(ctx, sess.ResidentID, minorID)
	if errors.Is(err, enrol.ErrNotAGuardian) || errors.Is(err, enrol.ErrNotFound) {
		return Actor{}, ErrNotFound
	}
	if err != nil {
		return Actor{}, err
	}
	return Actor{Session: sess, SubjectID: m.MinorID, SubjectNumber: m.InternetNumber, Minor: &m}, nil
}

// Minors returns the minors under the guardianship of the resident of
// sess today (enrol.GuardedMinors).
func (s *Service) Minors(ctx context.Context, sess Session) ([]enrol.MinorView, error) {
	return s.d.Residents.GuardedMinors(ctx, sess.ResidentID)
}

// Prune deletes the expired sessions and challenges and returns how many.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	return s.d.Store.PruneResidentSessions(ctx, s.stamp())
}

// Housekeep runs Prune every interval until ctx ends, logging what it
// deleted and any failure (the next tick tries again). Every node may run
// it: the deletes are idempotent.
func (s *Service) Housekeep(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.Prune(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.WarnContext(ctx, "pruning resident sessions failed", "err", err)
		case n > 0:
			s.log.InfoContext(ctx, "pruned expired resident sessions", "count", n)
		}
	}
}
