package resident

import (
	"context"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/store"
)

// Store keeps the resident API's own state: the sessions of residents
// signed in to their account and the one-time challenges the wallet signs.
// The SQL implementation lives in internal/store/sqlstore; the conformance
// suite in internal/store/storetest checks it on both engines.
//
// Every method joins the transaction carried by ctx (store.TxRunner). A
// method that finds nothing returns an error wrapping store.ErrNotFound;
// one that would break a uniqueness rule, one wrapping store.ErrConflict.
// Times are handed over in UTC at microsecond precision and must come back
// Equal. Hashes are opaque bytes.
type Store interface {
	store.TxRunner

	// CreateResidentSession stores a new session. ErrConflict if its
	// IDHash exists.
	CreateResidentSession(ctx context.Context, s SessionRecord) error
	// ResidentSession returns the session whose token hashes to idHash,
	// expired or not (the caller checks ExpiresAt).
	ResidentSession(ctx context.Context, idHash []byte) (SessionRecord, error)
	// DeleteResidentSession deletes a session. ErrNotFound if none.
	DeleteResidentSession(ctx context.Context, idHash []byte) error
	// DeleteResidentSessionsOf deletes every session of a resident and
	// returns how many there were.
	DeleteResidentSessionsOf(ctx context.Context, residentID string) (int64, error)

	// PutResidentChallenge stores a new challenge. ErrConflict if its
	// Hash exists.
	PutResidentChallenge(ctx context.Context, c ChallengeRecord) error
	// UseResidentChallenge deletes the challenge whose value hashes to
	// hash if it expires after at: the single use of a challenge is this
	// one conditional delete, so of two callers exactly one succeeds, on
	// any number of nodes. ErrNotFound if there is no such challenge, or
	// it was used, or it expired.
	UseResidentChallenge(ctx context.Context, hash []byte, at time.Time) error

	// PruneResidentSessions deletes the sessions and challenges that
	// expired at or before t and returns how many rows it deleted.
	PruneResidentSessions(ctx context.Context, t time.Time) (int64, error)

	// DeleteDisclosuresOf deletes the rows of the plain disclosures table
	// (oidc.Store.RecordDisclosure) of a resident and returns how many,
	// when the account is deleted. The transparency log keeps its
	// entries, which name no one.
	DeleteDisclosuresOf(ctx context.Context, residentID string) (int64, error)
}

// SessionRecord is a session as stored: the hash of its token, never the
// token, so that a copy of the database yields no live session.
type SessionRecord struct {
	IDHash     []byte
	ResidentID string
	// Method is how the resident signed in.
	Method AuthMethod
	// Level is the assurance the sign-in reached: low for a password,
	// substantial for the wallet's device key.
	Level     enrol.Assurance
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ChallengeRecord is an unused challenge for the wallet's sign-in, as
// stored: its hash and validity.
type ChallengeRecord struct {
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// AuthMethod says how a resident signed in to the resident API.
type AuthMethod string

// The ways of signing in to the resident API.
const (
	// AuthPassword: internet number or login phone number, and password
	// (enrol.AuthenticateResident: throttled, honours the password and
	// account locks).
	AuthPassword AuthMethod = "password"
	// AuthWallet: a presentation of the internet certificate signed by
	// the wallet's device key, answering a challenge of this service.
	AuthWallet AuthMethod = "wallet"
)
