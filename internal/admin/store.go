package admin

import (
	"context"
	"time"

	"github.com/netid/netid/internal/store"
)

// Token is an admin API token as stored: never the secret, only its hash.
type Token struct {
	// ID is public: "adm-" and 16 hex digits. It names the token in
	// `netid admin token list` and in the audit trail.
	ID string
	// Name says whose token it is (a person or a system); it is the admin
	// name of every action taken with the token.
	Name string
	// SecretHash is secretHash(ID, secret).
	SecretHash []byte
	Created    time.Time
	// Revoked is when the token was revoked; zero while it is usable.
	Revoked time.Time
}

// Usable reports whether the token has not been revoked.
func (t Token) Usable() bool { return t.Revoked.IsZero() }

// AuditRecord is one admin action and its outcome.
type AuditRecord struct {
	// ID is unique: the time in hex and random digits, so that ids sort
	// roughly by time.
	ID string
	At time.Time
	// Admin is the token's name (API) or "local:" and the operating
	// system user (operator commands).
	Admin string
	// TokenID is the token used, empty for operator commands.
	TokenID string
	Channel Channel
	// Action is what was attempted ("rp.suspend", "certificate.revoke",
	// ...; see the Action constants).
	Action Action
	// Target is what it was attempted on: a client id, a certificate
	// serial, an internet number, a token id.
	Target string
	// Outcome is OutcomeOK or the class of the refusal or failure.
	Outcome Outcome
	// Detail adds what the action needs to be understood later (a
	// revocation reason, a lawful access's authority and case, the reason
	// of a refusal); never a secret or identity data.
	Detail string
}

// Store keeps admin tokens and the audit trail. The SQL implementation lives
// in internal/store/sqlstore; the conformance suite in internal/store/storetest
// checks it on both engines.
//
// Every method joins the transaction carried by ctx (store.TxRunner). A
// method that finds nothing returns an error wrapping store.ErrNotFound; one
// that would break a uniqueness rule, one wrapping store.ErrConflict. Times
// are handed over in UTC at microsecond precision and must come back Equal.
type Store interface {
	store.TxRunner
	// CreateAdminToken stores a new token (Revoked zero). ErrConflict if
	// the id exists or a usable token has the same name.
	CreateAdminToken(ctx context.Context, t Token) error
	// AdminToken returns the token with id id.
	AdminToken(ctx context.Context, id string) (Token, error)
	// AdminTokens returns every token, revoked ones included, oldest first
	// (by Created, then ID).
	AdminTokens(ctx context.Context) ([]Token, error)
	// RevokeAdminToken marks token id revoked at at. ErrNotFound if there
	// is no such token, ErrConflict if it is revoked already (the first
	// revocation stands).
	RevokeAdminToken(ctx context.Context, id string, at time.Time) error
	// AppendAdminAudit stores r. ErrConflict if r.ID exists.
	AppendAdminAudit(ctx context.Context, r AuditRecord) error
	// AdminAudit returns up to limit records with At at or after since,
	// oldest first (by At, then ID).
	AdminAudit(ctx context.Context, since time.Time, limit int) ([]AuditRecord, error)
}

// AuthenticationCount is the number of logins of one day, relying party
// and level.
type AuthenticationCount struct {
	// Day is the UTC midnight that starts the day.
	Day      time.Time
	ClientID string
	Level    string
	Count    int64
}

// StatsStore answers the statistics queries. They read tables that other
// aggregates own (residents, certificates, enrolments, internet numbers,
// disclosures), counting only: no identity data is read. Days are UTC days.
type StatsStore interface {
	// StatsResidentsByStatus counts residents by status.
	StatsResidentsByStatus(ctx context.Context) (map[string]int64, error)
	// StatsActivatedResidents counts the internet numbers that hold a
	// certificate valid at at: not revoked, NotBefore <= at < NotAfter.
	StatsActivatedResidents(ctx context.Context, at time.Time) (int64, error)
	// StatsEnrolments counts the enrolments created at or after since
	// (started, whatever their state) and those not completed whose
	// expiry is after at (open).
	StatsEnrolments(ctx context.Context, since, at time.Time) (started, open int64, err error)
	// StatsEnrolmentsStartedByDay counts the enrolments held whose
	// creation time is in [from, to), by day; days without any are absent.
	StatsEnrolmentsStartedByDay(ctx context.Context, from, to time.Time) (map[time.Time]int64, error)
	// StatsEnrolmentsCompletedByDay counts the internet numbers assigned
	// in [from, to) (one per completed enrolment, never deleted), by day;
	// days without any are absent.
	StatsEnrolmentsCompletedByDay(ctx context.Context, from, to time.Time) (map[time.Time]int64, error)
	// StatsAuthenticationsByDay counts the logins (disclosures of kind
	// authorization_code) in [from, to) by day, client id and level,
	// ordered by day, client id and level.
	StatsAuthenticationsByDay(ctx context.Context, from, to time.Time) ([]AuthenticationCount, error)
}
