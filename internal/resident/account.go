package resident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// guardianRef is the Ref of a guardian's account event: the guardian's
// pseudonymous log id, which the minor's history resolves to the
// guardian's internet number and nobody else can link to a person.
const guardianRefPrefix = "guardian:"

// logGuardian appends, when a is a guardian acting, an account event ev
// with id naming the guardian in the minor's log. It joins the
// transaction ctx carries.
func (s *Service) logGuardian(ctx context.Context, a Actor, ev translog.Event, id string) error {
	if !a.Guardian() {
		return nil
	}
	gid, err := s.d.Log.LogID(ctx, a.Session.ResidentID)
	if err != nil {
		return err
	}
	_, err = s.d.Log.Append(ctx, a.SubjectID, translog.Entry{ID: id, Kind: translog.KindAccountEvent, Event: ev,
		Ref: guardianRefPrefix + string(gid), Time: s.stamp()})
	if err != nil {
		return fmt.Errorf("resident: log guardian action: %w", err)
	}
	return nil
}

// guardianViewed records that a guardian saw the minor's data of a.
func (s *Service) guardianViewed(ctx context.Context, a Actor) error {
	if !a.Guardian() {
		return nil
	}
	id, err := s.entryID("guardian-viewed")
	if err != nil {
		return err
	}
	return s.logGuardian(ctx, a, translog.EventGuardianViewed, id)
}

// Data returns what netid holds about a's subject, opened (enrol.Held):
// the account, the identity attributes, the phone, the guardians or
// minors, the locks. A guardian's view is logged in the minor's log.
func (s *Service) Data(ctx context.Context, a Actor) (enrol.Held, error) {
	h, err := s.d.Residents.Held(ctx, a.SubjectID)
	if errors.Is(err, enrol.ErrNotFound) {
		return enrol.Held{}, ErrUnauthenticated
	}
	if err != nil {
		return enrol.Held{}, err
	}
	if err := s.guardianViewed(ctx, a); err != nil {
		return enrol.Held{}, err
	}
	return h, nil
}

// platformNames looks up the names of platforms by client id, once each;
// a platform unknown to the registry (deleted since) has no name.
type platformNames struct {
	s     *Service
	names map[string]string
}

func (s *Service) platformNames() *platformNames {
	return &platformNames{s: s, names: map[string]string{}}
}

func (p *platformNames) name(ctx context.Context, clientID string) (string, error) {
	if n, ok := p.names[clientID]; ok {
		return n, nil
	}
	r, err := p.s.d.RPs.Get(ctx, clientID)
	switch {
	case errors.Is(err, rp.ErrNotFound) || errors.Is(err, store.ErrNotFound):
		r.Name = ""
	case err != nil:
		return "", err
	}
	p.names[clientID] = r.Name
	return r.Name, nil
}

// Consent is a platform's standing with the resident: a consent they
// asked netid to remember (Remembered), live access the platform got
// from a login (LiveAccess), or both, with the platform's name. A
// platform that got a refresh token (offline_access) from a consent given
// for one login keeps access without a remembered consent; it is listed,
// and withdrawn, all the same.
//
// Without a remembered consent, the embedded oidc.Consent is made from
// the live grants: ResidentID and ClientID, Claims the claims released
// under them (each granted, with no purpose: grants keep names only), and
// CreatedAt and UpdatedAt the times of the first and the last of them;
// Plaintext and Onward are false, as grants do not record those separate
// consents.
type Consent struct {
	oidc.Consent
	Platform string
	// Remembered tells that the resident asked netid to remember the
	// consent, so that the platform's logins do not ask again.
	Remembered bool
	// LiveAccess tells that the platform holds live grants, summed up
	// in Access: tokens that work until they expire or the consent is
	// withdrawn (with Access.Refresh, a refresh token that renews them
	// without the resident).
	LiveAccess bool
	Access     oidc.GrantSummary
}

// Granted returns the names of the claims the consent grants.
func (c Consent) Granted() []string {
	var out []string
	for _, cl := range c.Claims {
		if cl.Granted {
			out = append(out, string(cl.Claim))
		}
	}
	return out
}

// oneTimeConsent is the Consent of a platform whose live access g no
// remembered consent stands behind.
func oneTimeConsent(residentID string, g oidc.GrantSummary) Consent {
	c := Consent{Consent: oidc.Consent{ResidentID: residentID, ClientID: g.ClientID,
		Claims: make([]oidc.ConsentClaim, 0, len(g.Claims)), CreatedAt: g.FirstGrantedAt, UpdatedAt: g.LastGrantedAt}}
	for _, cl := range g.Claims {
		c.Claims = append(c.Claims, oidc.ConsentClaim{Claim: cl, Granted: true})
	}
	return c
}

// consentsOf returns the consents of residentID, remembered or with live
// access, by client id.
func (s *Service) consentsOf(ctx context.Context, residentID string) ([]Consent, error) {
	remembered, err := s.d.Grants.RememberedConsentsOf(ctx, residentID)
	if err != nil {
		return nil, err
	}
	live, err := s.d.Grants.LiveGrantClientsOf(ctx, residentID, s.stamp())
	if err != nil {
		return nil, err
	}
	byClient := make(map[string]int, len(remembered)+len(live))
	out := make([]Consent, 0, len(remembered)+len(live))
	for _, c := range remembered {
		byClient[c.ClientID] = len(out)
		out = append(out, Consent{Consent: c, Remembered: true})
	}
	for _, g := range live {
		i, ok := byClient[g.ClientID]
		if !ok {
			i = len(out)
			out = append(out, oneTimeConsent(residentID, g))
		}
		out[i].LiveAccess, out[i].Access = true, g
	}
	// Bytewise, as the store orders client ids.
	slices.SortFunc(out, func(a, b Consent) int { return strings.Compare(a.ClientID, b.ClientID) })
	return out, nil
}

// Consents returns the consents of a's subject, by client id: every
// platform with a remembered consent or live access (Consent). A
// guardian's view is logged.
func (s *Service) Consents(ctx context.Context, a Actor) ([]Consent, error) {
	cs, err := s.consentsOf(ctx, a.SubjectID)
	if err != nil {
		return nil, err
	}
	names := s.platformNames()
	for i := range cs {
		if cs[i].Platform, err = names.name(ctx, cs[i].ClientID); err != nil {
			return nil, err
		}
	}
	if err := s.guardianViewed(ctx, a); err != nil {
		return nil, err
	}
	return cs, nil
}

// WithdrawConsent withdraws the consent a's subject gave platform
// clientID, remembered or given for one login, in one transaction: the
// provider forgets the remembered consent, if any, and revokes every
// grant of the platform, and with them its access and refresh tokens
// (oidc.Provider.WithdrawConsent), and a consent-withdrawn entry goes
// into the subject's transparency log (and, for a guardian, an account
// event naming them). The entry names the claims the remembered consent
// granted or, without one, the claims released under the live grants.
// The platform's next login asks again. ErrNotFound if the platform has
// neither a remembered consent nor live access.
func (s *Service) WithdrawConsent(ctx context.Context, a Actor, clientID string) error {
	if clientID == "" {
		return ErrNotFound
	}
	id, err := s.entryID("consent-withdrawn")
	if err != nil {
		return err
	}
	return s.d.Store.InTx(ctx, func(ctx context.Context) error {
		cs, err := s.consentsOf(ctx, a.SubjectID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(cs, func(c Consent) bool { return c.ClientID == clientID })
		if i < 0 {
			return ErrNotFound
		}
		if err := s.d.Provider.WithdrawConsent(ctx, a.SubjectID, clientID); err != nil {
			return err
		}
		if err := s.logConsentWithdrawn(ctx, a.SubjectID, id, cs[i]); err != nil {
			return err
		}
		return s.logGuardian(ctx, a, translog.EventGuardianActed, id+":guardian")
	})
}

// logConsentWithdrawn appends the consent-withdrawn entry of c.
func (s *Service) logConsentWithdrawn(ctx context.Context, residentID, id string, c Consent) error {
	_, err := s.d.Log.Append(ctx, residentID, translog.Entry{ID: id, Kind: translog.KindConsentWithdrawn,
		ClientID: c.ClientID, Claims: c.Granted(), Time: s.stamp()})
	if err != nil {
		return fmt.Errorf("resident: log consent withdrawal: %w", err)
	}
	return nil
}

// Certificate is an internet certificate of the resident, with its
// status at the time of the call.
type Certificate struct {
	credential.CertificateRecord
	// Status is "revoked", "expired" or "valid".
	Status string
}

// certificateStatus is the status of rec at now.
func certificateStatus(rec credential.CertificateRecord, now time.Time) string {
	switch {
	case rec.Revoked():
		return "revoked"
	case !now.Before(rec.NotAfter):
		return "expired"
	}
	return "valid"
}

// Certificates returns every certificate issued to a's subject, oldest
// first. A guardian's view is logged.
func (s *Service) Certificates(ctx context.Context, a Actor) ([]Certificate, error) {
	recs, err := s.d.Certificates.CertificatesFor(ctx, string(a.SubjectNumber))
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := make([]Certificate, 0, len(recs))
	for _, r := range recs {
		out = append(out, Certificate{CertificateRecord: r, Status: certificateStatus(r, now)})
	}
	if err := s.guardianViewed(ctx, a); err != nil {
		return nil, err
	}
	return out, nil
}

// ResidentReasons are the revocation reasons a resident may give.
var ResidentReasons = []credential.RevocationReason{
	credential.ReasonUnspecified, credential.ReasonKeyCompromise, credential.ReasonCessationOfOperation,
}

// RevokeCertificate revokes certificate serial (hexadecimal) of a's
// subject for reason, one of ResidentReasons. The CA records the
// revocation in the subject's transparency log in the same transaction
// (and the service, for a guardian, an account event naming them).
// ErrNotFound if the subject has no such certificate; ErrAlreadyRevoked;
// ErrInvalidRequest for a malformed serial or another reason.
func (s *Service) RevokeCertificate(ctx context.Context, a Actor, serial string, reason credential.RevocationReason) error {
	if !slices.Contains(ResidentReasons, reason) {
		return fmt.Errorf("%w: revocation reason %v (want unspecified, keyCompromise or cessationOfOperation)", ErrInvalidRequest, reason)
	}
	n, err := credential.ParseSerial(serial)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	canonical := credential.FormatSerial(n)
	return s.d.Store.InTx(ctx, func(ctx context.Context) error {
		rec, err := s.d.Certificates.Certificate(ctx, canonical)
		switch {
		case errors.Is(err, store.ErrNotFound) || err == nil && rec.InternetNumber != string(a.SubjectNumber):
			return ErrNotFound
		case err != nil:
			return err
		case rec.Revoked():
			return ErrAlreadyRevoked
		}
		if err := s.d.CA.Revoke(ctx, n, reason); errors.Is(err, credential.ErrAlreadyRevoked) {
			return ErrAlreadyRevoked
		} else if err != nil {
			return err
		}
		return s.logGuardian(ctx, a, translog.EventGuardianActed, "cert-revoked-"+canonical+":guardian")
	})
}

// Locks returns the sign-in methods a's subject locked. A guardian's view
// is logged.
func (s *Service) Locks(ctx context.Context, a Actor) (enrol.Locks, error) {
	l, err := s.d.Residents.Locks(ctx, a.SubjectID)
	if err != nil {
		return nil, err
	}
	if err := s.guardianViewed(ctx, a); err != nil {
		return nil, err
	}
	return l, nil
}

// Lock locks sign-in with m for a's subject (enrol.MethodAccount: every
// method), with a method-locked entry in the subject's transparency log
// in the same transaction (and, for a guardian, an account event naming
// them). Locking what is locked changes nothing and logs nothing.
// A *enrol.LockedError is what a platform's login, and a password sign-in
// here, get from then on.
func (s *Service) Lock(ctx context.Context, a Actor, m enrol.Method) error {
	return s.setLock(ctx, a, m, true)
}

// Unlock lifts the lock of m, as Lock sets it (method-unlocked).
func (s *Service) Unlock(ctx context.Context, a Actor, m enrol.Method) error {
	return s.setLock(ctx, a, m, false)
}

func (s *Service) setLock(ctx context.Context, a Actor, m enrol.Method, lock bool) error {
	if _, err := enrol.ParseMethod(string(m)); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	ev, prefix := translog.EventMethodUnlocked, "unlock"
	if lock {
		ev, prefix = translog.EventMethodLocked, "lock"
	}
	id, err := s.entryID(prefix)
	if err != nil {
		return err
	}
	return s.d.Store.InTx(ctx, func(ctx context.Context) error {
		locks, err := s.d.Residents.Locks(ctx, a.SubjectID)
		if err != nil {
			return err
		}
		if _, locked := locks.Since(m); locked == lock {
			return nil
		}
		if lock {
			err = s.d.Residents.LockMethod(ctx, a.SubjectID, m)
		} else {
			err = s.d.Residents.UnlockMethod(ctx, a.SubjectID, m)
		}
		if err != nil {
			return err
		}
		if _, err := s.d.Log.Append(ctx, a.SubjectID, translog.Entry{ID: id, Kind: translog.KindAccountEvent, Event: ev,
			Ref: string(m), Time: s.stamp()}); err != nil {
			return fmt.Errorf("resident: log %s: %w", ev, err)
		}
		return s.logGuardian(ctx, a, translog.EventGuardianActed, id+":guardian")
	})
}

// DisclosureFilter selects disclosures. Zero fields select everything.
type DisclosureFilter struct {
	// Platform is a client id.
	Platform string
	// Claim is a claim name the disclosure released.
	Claim string
	// From and To bound the time: From <= at < To.
	From, To time.Time
	// Before is the cursor of a next page (DisclosurePage.NextBefore).
	Before time.Time
	// Limit is the page size, 1 to MaxDisclosures; 0 means
	// DefaultDisclosures.
	Limit int
}

// Page sizes of Disclosures.
const (
	DefaultDisclosures = 100
	MaxDisclosures     = 1000
)

// Disclosure is one release of claims to a platform, with its name.
type Disclosure struct {
	oidc.Disclosure
	Platform string
}

// DisclosurePage is one page of disclosures, newest first.
type DisclosurePage struct {
	Disclosures []Disclosure
	// NextBefore is the Before of the next page; zero on the last page.
	NextBefore time.Time
}

// disclosureBatch is how many disclosures Disclosures reads at a time
// while filtering.
const disclosureBatch = 200

// Disclosures returns a page of the disclosures to platforms of a's
// subject that f selects, newest first. Pages are cut by time: two
// disclosures of the same microsecond on either side of a page boundary
// would lose the second, which the token endpoint's transactions make all
// but impossible for one resident. A guardian's view is logged.
func (s *Service) Disclosures(ctx context.Context, a Actor, f DisclosureFilter) (DisclosurePage, error) {
	if f.Limit == 0 {
		f.Limit = DefaultDisclosures
	}
	if f.Limit < 1 || f.Limit > MaxDisclosures {
		return DisclosurePage{}, fmt.Errorf("%w: limit %d, want 1 to %d", ErrInvalidRequest, f.Limit, MaxDisclosures)
	}
	cursor := f.Before
	if !f.To.IsZero() && (cursor.IsZero() || f.To.Before(cursor)) {
		cursor = f.To
	}
	names := s.platformNames()
	page := DisclosurePage{Disclosures: []Disclosure{}}
scan:
	for {
		batch, err := s.d.Grants.DisclosuresOf(ctx, a.SubjectID, cursor, disclosureBatch)
		if err != nil {
			return DisclosurePage{}, err
		}
		for _, d := range batch {
			if !f.From.IsZero() && d.At.Before(f.From) {
				break scan
			}
			cursor = d.At
			if f.Platform != "" && d.ClientID != f.Platform || f.Claim != "" && !slices.Contains(d.Claims, rp.Claim(f.Claim)) {
				continue
			}
			if len(page.Disclosures) == f.Limit {
				page.NextBefore = page.Disclosures[f.Limit-1].At
				break scan
			}
			n, err := names.name(ctx, d.ClientID)
			if err != nil {
				return DisclosurePage{}, err
			}
			page.Disclosures = append(page.Disclosures, Disclosure{Disclosure: d, Platform: n})
		}
		if len(batch) < disclosureBatch {
			break
		}
	}
	if err := s.guardianViewed(ctx, a); err != nil {
		return DisclosurePage{}, err
	}
	return page, nil
}
