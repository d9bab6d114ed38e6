package translog

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Kind is what an entry records.
type Kind string

// The kinds of entry. Each has its own rules for the other fields (see
// Entry.Validate).
const (
	// KindDisclosure: claims released to a relying party (an OIDC token
	// response). ClientID, Level and Event are required.
	KindDisclosure Kind = "disclosure"
	// KindConsentGranted and KindConsentWithdrawn: the resident granted or
	// withdrew consent for a relying party to receive claims. ClientID is
	// required.
	KindConsentGranted   Kind = "consent-granted"
	KindConsentWithdrawn Kind = "consent-withdrawn"
	// KindCertificateIssued and KindCertificateRevoked: an internet
	// certificate was issued or revoked. Ref is the serial number; Event
	// is the RFC 5280 reason of a revocation.
	KindCertificateIssued  Kind = "certificate-issued"
	KindCertificateRevoked Kind = "certificate-revoked"
	// KindAccountEvent: something happened to the account (Event says
	// what).
	KindAccountEvent Kind = "account-event"
	// KindLawfulAccess: an authority obtained the identity behind the
	// resident's internet number. Authority, LegalBasis, Ref (the
	// operator's case record) and NoticeDelayedUntil are required.
	KindLawfulAccess Kind = "lawful-access"
)

// kinds lists every kind in the order of its code in the leaf encoding
// (code = position + 1). Append only: codes are part of the format.
var kinds = []Kind{KindDisclosure, KindConsentGranted, KindConsentWithdrawn,
	KindCertificateIssued, KindCertificateRevoked, KindAccountEvent, KindLawfulAccess}

// Level is an assurance level, as enrol.Assurance names them.
type Level string

// The assurance levels.
const (
	LevelLow         Level = "low"
	LevelSubstantial Level = "substantial"
	LevelHigh        Level = "high"
)

// Event says what happened, within a kind. Each kind that has events
// accepts a closed set of them, so that the field cannot carry free text.
type Event string

// Disclosure events: the OAuth grant that released the claims.
const (
	EventAuthorizationCode Event = "authorization_code"
	EventRefreshToken      Event = "refresh_token"
	EventDeviceCode        Event = "device_code"
)

// Account events.
const (
	EventEnrolled         Event = "enrolled"
	EventGuardianApproved Event = "guardian-approved"
	EventEvidenceUpgraded Event = "evidence-upgraded"
	EventPasswordChanged  Event = "password-changed"
	EventPhoneChanged     Event = "phone-changed"
	EventDeviceAdded      Event = "device-added"
	EventDeviceRemoved    Event = "device-removed"
	EventDataExported     Event = "data-exported"
	EventSuspended        Event = "suspended"
	EventReinstated       Event = "reinstated"
	EventDeleted          Event = "deleted"
	// EventMethodLocked and EventMethodUnlocked: the resident (or their
	// guardian) locked or unlocked a way of signing in; Ref names it
	// ("password", "dynamic-code", "wallet", or "account" for all).
	EventMethodLocked   Event = "method-locked"
	EventMethodUnlocked Event = "method-unlocked"
	// EventGuardianViewed and EventGuardianActed: a guardian saw the
	// minor's data, or changed something on the minor's behalf (the
	// entry of the change itself, appended in the same transaction,
	// precedes it). Ref is "guardian:" and the guardian's log id, which
	// names the guardian to the minor without naming anyone to others.
	EventGuardianViewed Event = "guardian-viewed"
	EventGuardianActed  Event = "guardian-acted"
)

// Certificate revocation events: the RFC 5280 reason names that package
// credential uses.
const (
	EventRevokedUnspecified          Event = "unspecified"
	EventRevokedKeyCompromise        Event = "keyCompromise"
	EventRevokedAffiliationChanged   Event = "affiliationChanged"
	EventRevokedSuperseded           Event = "superseded"
	EventRevokedCessationOfOperation Event = "cessationOfOperation"
	EventRevokedPrivilegeWithdrawn   Event = "privilegeWithdrawn"
)

// events lists the events each kind accepts; a kind not listed has none.
var events = map[Kind][]Event{
	KindDisclosure: {EventAuthorizationCode, EventRefreshToken, EventDeviceCode},
	KindAccountEvent: {EventEnrolled, EventGuardianApproved, EventEvidenceUpgraded, EventPasswordChanged,
		EventPhoneChanged, EventDeviceAdded, EventDeviceRemoved, EventDataExported, EventSuspended,
		EventReinstated, EventDeleted, EventMethodLocked, EventMethodUnlocked, EventGuardianViewed, EventGuardianActed},
	KindCertificateRevoked: {EventRevokedUnspecified, EventRevokedKeyCompromise, EventRevokedAffiliationChanged,
		EventRevokedSuperseded, EventRevokedCessationOfOperation, EventRevokedPrivilegeWithdrawn},
}

// MaxNoticeDelay is the longest delay of the notice of a lawful access
// that the format accepts, whatever the configuration: a leaf recording a
// longer one does not decode, so a wallet rejects it too. A Log may be
// configured with a shorter bound (WithMaxNoticeDelay).
const MaxNoticeDelay = 365 * 24 * time.Hour

// MaxClaims bounds the claim names of one entry.
const MaxClaims = 32

// The shapes of the text fields. None admits spaces, so none holds a
// sentence, a name as people write it or an address; all are bounded.
// They are identifiers chosen by netid or by the operator, and the
// documentation of each field says which. Entry ids, references and client
// ids, checked most often, have a byte loop rather than a pattern: validID.
var (
	// claimPattern: OIDC claim names ("internet_number", "age_over_18").
	claimPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	// authorityPattern: the code under which the operator registered a
	// requesting authority, not its name.
	authorityPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)
	// legalBasisPattern: a citation of the legal basis (statute, article,
	// warrant or case number), never a narrative.
	legalBasisPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/()-]{0,127}$`)
)

// maxIDLen bounds entry ids, references and client ids.
const maxIDLen = 128

// validID reports whether s is an entry id, reference or client id: 1 to
// 128 of the bytes A-Z a-z 0-9 . _ : -. These are random or structured
// identifiers (base64url, hex, "rp-" + hex).
//
// It is a byte loop rather than the regular expression
// ^[A-Za-z0-9._:-]{1,128}$ because Validate checks up to three ids per
// entry and runs for every disclosure; FuzzValidID checks that both accept
// exactly the same strings. Counting bytes equals counting runes here:
// every accepted byte is ASCII, and any other byte (a multi-byte rune or
// invalid UTF-8) is refused, as the expression refuses it.
func validID(s string) bool {
	if len(s) == 0 || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// Entry is the content of one log entry: what happened, to which relying
// party, which claims (by name, never their values), at which level, under
// which reference. It carries no plaintext identity data, and its fields
// are shaped so that none can (see Validate): there is no free-text field.
// The resident is named only through the pseudonymous LogID of the Leaf
// that holds the entry.
type Entry struct {
	// ID is unique in the log and makes Append idempotent: the id of the
	// disclosure, consent, certificate event or case that the entry
	// records, drawn before the transaction. Letters, digits and ._:-,
	// at most 128.
	ID string
	// Kind is what the entry records.
	Kind Kind
	// Time is when it happened, to the microsecond (Append truncates).
	Time time.Time
	// ClientID is the relying party's OAuth client id (disclosure and
	// consent kinds only).
	ClientID string
	// Claims are claim names, sorted and unique (Append sorts them), at
	// most MaxClaims: the claims released, consented to or withdrawn, or
	// obtained by a lawful access. The subject, acr and amr that every
	// disclosure releases are not listed.
	Claims []string
	// Level is the assurance level reached (disclosure: required; account
	// events: optional; otherwise empty).
	Level Level
	// Event says what happened within the kind, from the kind's closed
	// set (disclosure, account-event, certificate-revoked).
	Event Event
	// Ref is a reference id: a grant id, a consent id, a certificate
	// serial number (hex), the operator's lawful-access case record.
	// Required for certificate and lawful-access kinds.
	Ref string
	// Authority is the registered code of the authority that requested a
	// lawful access (lawful-access only, required).
	Authority string
	// LegalBasis cites the legal basis of a lawful access, as a reference
	// (statute and article, warrant or case number) with no spaces, at
	// most 128 characters (lawful-access only, required).
	LegalBasis string
	// NoticeDelayedUntil is when the resident may be told of a lawful
	// access: Time when the notice is not delayed, at most MaxNoticeDelay
	// (or the Log's bound) after it (lawful-access only, required). The
	// entry is logged at once; until then the resident's listing shows
	// only that an entry exists (see Record).
	NoticeDelayedUntil time.Time
}

// fieldRule says whether a kind requires, allows or forbids a field.
type fieldRule int

const (
	forbidden fieldRule = iota
	optional
	required
)

// kindRules are the rules of each kind for ClientID, Level, Event, Ref
// and the lawful-access fields (Authority, LegalBasis, NoticeDelayedUntil).
// Claims are allowed where ClientID is, and for lawful access.
type kindRules struct{ client, level, event, ref, lawful fieldRule }

var rules = map[Kind]kindRules{
	KindDisclosure:         {client: required, level: required, event: required, ref: optional},
	KindConsentGranted:     {client: required, ref: optional},
	KindConsentWithdrawn:   {client: required, ref: optional},
	KindCertificateIssued:  {ref: required},
	KindCertificateRevoked: {event: required, ref: required},
	KindAccountEvent:       {level: optional, event: required, ref: optional},
	KindLawfulAccess:       {ref: required, lawful: required},
}

// Validate reports every way in which e breaks the rules of its kind, each
// wrapping ErrInvalidEntry: a field its kind forbids or requires, a text
// field outside its shape, claims unsorted or repeated, a time that is
// zero, before 1970 or finer than a microsecond, a notice delay that is
// negative or beyond MaxNoticeDelay.
func (e Entry) Validate() error {
	r, ok := rules[e.Kind]
	if !ok {
		return fmt.Errorf("%w: unknown kind %q", ErrInvalidEntry, e.Kind)
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: "+format, append([]any{ErrInvalidEntry, e.Kind}, args...)...))
	}
	if !validID(e.ID) {
		bad("id %q: want 1 to 128 letters, digits or ._:-", e.ID)
	}
	if err := checkTime(e.Time); err != nil {
		bad("time: %v", err)
	}
	check := func(name string, rule fieldRule, set bool, valid func() bool) {
		switch {
		case rule == forbidden && set:
			bad("%s is not allowed", name)
		case rule == required && !set:
			bad("%s is required", name)
		case set && !valid():
			bad("%s is not valid", name)
		}
	}
	check("client id", r.client, e.ClientID != "", func() bool { return validID(e.ClientID) })
	check("level", r.level, e.Level != "", func() bool { return validLevel(e.Level) })
	check("event", r.event, e.Event != "", func() bool { return slices.Contains(events[e.Kind], e.Event) })
	check("reference", r.ref, e.Ref != "", func() bool { return validID(e.Ref) })
	check("authority", r.lawful, e.Authority != "", func() bool { return authorityPattern.MatchString(e.Authority) })
	check("legal basis", r.lawful, e.LegalBasis != "", func() bool { return legalBasisPattern.MatchString(e.LegalBasis) })
	check("notice date", r.lawful, !e.NoticeDelayedUntil.IsZero(), func() bool { return true })
	if r.lawful == required && !e.NoticeDelayedUntil.IsZero() {
		if err := checkTime(e.NoticeDelayedUntil); err != nil {
			bad("notice date: %v", err)
		} else if d := e.NoticeDelayedUntil.Sub(e.Time); d < 0 || d > MaxNoticeDelay {
			bad("notice delayed by %v, want 0 to %v", d, MaxNoticeDelay)
		}
	}
	if len(e.Claims) > 0 && r.client == forbidden && r.lawful == forbidden {
		bad("claims are not allowed")
	}
	if len(e.Claims) > MaxClaims {
		bad("%d claims, want at most %d", len(e.Claims), MaxClaims)
	}
	for i, c := range e.Claims {
		if !claimPattern.MatchString(c) {
			bad("claim %q is not a claim name", c)
		}
		if i > 0 && e.Claims[i-1] >= c {
			bad("claims must be sorted and unique (%q after %q)", c, e.Claims[i-1])
		}
	}
	return errors.Join(errs...)
}

// checkTime accepts what the encoding keeps exactly: a time after the
// Unix epoch, whole microseconds.
func checkTime(t time.Time) error {
	switch {
	case t.IsZero():
		return errors.New("zero")
	case t.Before(time.Unix(0, 0)):
		return errors.New("before 1970")
	case t.Nanosecond()%1000 != 0:
		return errors.New("finer than a microsecond")
	}
	return nil
}

func validLevel(l Level) bool {
	return l == LevelLow || l == LevelSubstantial || l == LevelHigh
}

// normalize returns e as Append logs it: times truncated to the
// microsecond and in UTC, claims sorted with duplicates removed, so that a
// caller need not know the canonical form. It does not validate.
func (e Entry) normalize() Entry {
	e.Time = e.Time.Truncate(time.Microsecond).UTC()
	if !e.NoticeDelayedUntil.IsZero() {
		e.NoticeDelayedUntil = e.NoticeDelayedUntil.Truncate(time.Microsecond).UTC()
	}
	if e.Claims != nil {
		e.Claims = slices.Compact(slices.Sorted(slices.Values(e.Claims)))
	}
	return e
}

// equal reports whether two normalised entries record the same thing.
func (e Entry) equal(o Entry) bool {
	return e.ID == o.ID && e.Kind == o.Kind && e.Time.Equal(o.Time) && e.ClientID == o.ClientID &&
		slices.Equal(e.Claims, o.Claims) && e.Level == o.Level && e.Event == o.Event && e.Ref == o.Ref &&
		e.Authority == o.Authority && e.LegalBasis == o.LegalBasis && e.NoticeDelayedUntil.Equal(o.NoticeDelayedUntil)
}
