package oidc

import (
	"context"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
)

// Store keeps the provider's state: login sessions, interactions in
// progress, remembered consents, grants (one per authorization code) and
// their tokens, the pinned pairwise key and disclosures. The SQL
// implementation lives in internal/store/sqlstore; the conformance suite in
// internal/store/storetest checks it on both engines.
//
// Every method joins the transaction carried by ctx (store.TxRunner). A
// method that finds nothing returns an error wrapping store.ErrNotFound;
// one that would break a uniqueness or compare-and-set rule, one wrapping
// store.ErrConflict. Times are handed over in UTC at microsecond precision
// and must come back Equal; a zero time.Time means "not yet" (UsedAt,
// RevokedAt, CodeUsedAt) and must come back zero, so those fields cannot
// hold the instant of the Unix epoch itself. Byte fields are opaque; nil and empty
// are equivalent, as are nil and empty slices.
type Store interface {
	store.TxRunner
	DisclosureRecorder
	approvalStores

	// CreateLoginSession stores a new session. ErrConflict if its IDHash
	// exists.
	CreateLoginSession(ctx context.Context, s LoginSession) error
	// LoginSession returns the session whose id hashes to idHash, expired
	// or not (the caller checks ExpiresAt).
	LoginSession(ctx context.Context, idHash []byte) (LoginSession, error)
	// DeleteLoginSession deletes a session. ErrNotFound if none.
	DeleteLoginSession(ctx context.Context, idHash []byte) error
	// DeleteLoginSessionsOf deletes every session of a resident and
	// returns how many there were.
	DeleteLoginSessionsOf(ctx context.Context, residentID string) (int64, error)

	// CreateInteraction stores a new interaction (Version 1). ErrConflict
	// if the id exists.
	CreateInteraction(ctx context.Context, in Interaction) error
	// Interaction returns the interaction with id, expired or not.
	Interaction(ctx context.Context, id string) (Interaction, error)
	// UpdateInteraction replaces interaction in.ID if its stored version
	// is prevVersion; in.Version must be greater. ErrConflict for another
	// version, ErrNotFound if there is none. ClientID, Request and
	// CreatedAt never change (ErrConflict otherwise).
	UpdateInteraction(ctx context.Context, prevVersion int64, in Interaction) error
	// DeleteInteraction deletes interaction id. ErrNotFound if none: the
	// interaction was finished already (or expired and pruned).
	DeleteInteraction(ctx context.Context, id string) error

	// RememberedConsent returns the consent a resident gave an RP.
	RememberedConsent(ctx context.Context, residentID, clientID string) (Consent, error)
	// PutRememberedConsent creates or replaces the consent of
	// (c.ResidentID, c.ClientID). A replacement keeps the stored
	// CreatedAt.
	PutRememberedConsent(ctx context.Context, c Consent) error
	// DeleteRememberedConsent deletes it. ErrNotFound if none.
	DeleteRememberedConsent(ctx context.Context, residentID, clientID string) error
	// RememberedConsentsOf returns every consent of a resident, by client
	// id.
	RememberedConsentsOf(ctx context.Context, residentID string) ([]Consent, error)

	// CreateGrant stores a new grant with its authorization code.
	// ErrConflict if the id or the code hash exists.
	CreateGrant(ctx context.Context, g Grant) error
	// GrantByCode returns the grant whose code hashes to codeHash.
	GrantByCode(ctx context.Context, codeHash []byte) (Grant, error)
	// UseGrantCode marks the code of grant id used at t, if it is unused:
	// the single use of an authorization code is this compare-and-set.
	// ErrConflict if it was used already, ErrNotFound if no such grant.
	UseGrantCode(ctx context.Context, id string, t time.Time) error
	// RevokeGrant marks grant id revoked at t, and with it every token
	// issued under it. Revoking a revoked grant keeps the first time and
	// is not an error. ErrNotFound if no such grant.
	RevokeGrant(ctx context.Context, id string, t time.Time) error
	// RevokeGrantsOf revokes at t every live grant of residentID to
	// clientID (of every client when clientID is "") and returns how many.
	RevokeGrantsOf(ctx context.Context, residentID, clientID string, t time.Time) (int64, error)
	// LiveGrantClientsOf sums up, per client id (in ascending order), the
	// grants of residentID that are live at now: code used (tokens were
	// issued), not revoked, not expired (ExpiresAt after now). Clients
	// with no live grant are left out; none at all is an empty list, not
	// ErrNotFound. It reads grants only, so that it costs one index range
	// of the resident's grants: see GrantSummary.Refresh.
	LiveGrantClientsOf(ctx context.Context, residentID string, now time.Time) ([]GrantSummary, error)

	// CreateToken stores a new access or refresh token. ErrConflict if
	// the hash exists. The caller creates tokens in the transaction that
	// checked their grant; a token whose grant is missing is never found
	// by Token, which joins the grant.
	CreateToken(ctx context.Context, t Token) error
	// Token returns the token whose value hashes to hash, with its grant.
	Token(ctx context.Context, hash []byte) (Token, Grant, error)
	// UseToken marks a token used at t, if it is unused: the single use
	// of a refresh token is this compare-and-set. ErrConflict if it was
	// used already, ErrNotFound if there is no such token.
	UseToken(ctx context.Context, hash []byte, t time.Time) error
	// RevokeToken marks one token revoked at t (the first time is kept).
	// ErrNotFound if there is no such token.
	RevokeToken(ctx context.Context, hash []byte, t time.Time) error

	// PinPairwiseKey records keyID as the key of pairwise subjects unless
	// a key is recorded already, and returns the recorded one: the first
	// node to ask decides, for ever.
	PinPairwiseKey(ctx context.Context, keyID string) (string, error)

	// DisclosuresOf returns up to limit disclosures of a resident, newest
	// first, older than before (all when before is zero).
	DisclosuresOf(ctx context.Context, residentID string, before time.Time, limit int) ([]Disclosure, error)

	// PruneOIDC deletes sessions, interactions, grants and tokens that
	// expired before t, and returns how many rows it deleted. Disclosures
	// and consents are kept.
	PruneOIDC(ctx context.Context, t time.Time) (int64, error)
}

// LoginSession is a resident's session at the provider: what single
// sign-on reuses. The browser holds the session id in a cookie; the store
// keeps only its hash, so that a database leak yields no live session.
type LoginSession struct {
	IDHash         []byte
	ResidentID     string
	InternetNumber string
	// ACR is the level the login reached; AMR how (RFC 8176 values).
	ACR       enrol.Assurance
	AMR       []string
	AuthTime  time.Time
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Interaction is an authorization request waiting for the resident: to log
// in, to consent, or both. Any node can continue it.
type Interaction struct {
	ID       string
	ClientID string
	// Request is the validated authorization request, JSON; opaque to the
	// store.
	Request []byte
	// SessionHash is the hash of the login session that the resident
	// established or reused for this interaction; empty until then.
	SessionHash []byte
	CreatedAt   time.Time
	ExpiresAt   time.Time
	Version     int64
}

// ConsentClaim is one claim the resident decided on, with the purpose they
// were shown; a changed purpose means the decision is asked again.
type ConsentClaim struct {
	Claim   rp.Claim `json:"claim"`
	Purpose string   `json:"purpose"`
	Granted bool     `json:"granted"`
}

// Consent is a remembered consent decision of a resident for one RP.
type Consent struct {
	ResidentID string
	ClientID   string
	Claims     []ConsentClaim
	// Plaintext is the separate consent to plaintext identity data.
	Plaintext bool
	// Onward is the separate consent to the RP sharing the data onward.
	Onward    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Grant is one authorization: the code, what it grants, and the root of
// every token issued from it. Revoking the grant revokes them all.
type Grant struct {
	ID         string
	ClientID   string
	ResidentID string
	// Subject is the pairwise subject of the resident in the RP's sector.
	Subject string
	Scopes  []string
	// Claims are the claims released under this grant (approved,
	// requested and consented), names only.
	Claims        []rp.Claim
	ACR           enrol.Assurance
	AMR           []string
	AuthTime      time.Time
	Nonce         string
	RedirectURI   string
	CodeHash      []byte
	CodeChallenge string
	CodeExpiresAt time.Time
	CodeUsedAt    time.Time // zero while unused
	CreatedAt     time.Time
	// ExpiresAt bounds the grant and every token under it.
	ExpiresAt time.Time
	RevokedAt time.Time // zero while live
}

// ScopeOfflineAccess is the scope that asks for a refresh token.
const ScopeOfflineAccess = scopeOfflineAccess

// GrantSummary is the live access of one RP to a resident's data, whether
// or not the resident asked netid to remember the consent behind it: what
// the live grants of that RP (Store.LiveGrantClientsOf) add up to.
type GrantSummary struct {
	ClientID string
	// Claims is the union of the claims released under the live grants,
	// in ascending order.
	Claims []rp.Claim
	// FirstGrantedAt and LastGrantedAt are the CreatedAt of the oldest
	// and the newest live grant.
	FirstGrantedAt time.Time
	LastGrantedAt  time.Time
	// ExpiresAt is the latest ExpiresAt of the live grants: the access
	// ends then at the latest, unless withdrawn before.
	ExpiresAt time.Time
	// Refresh tells that a live grant has the scope ScopeOfflineAccess,
	// which means the RP holds a live refresh token and can get new
	// access tokens without the resident: the provider issues a refresh
	// token with every token response of such a grant, expiring with the
	// grant, and revokes the whole grant, never the refresh token alone
	// (replay, RFC 7009 revocation), so the grant's liveness is the
	// token's.
	Refresh bool
}

// TokenKind tells access tokens from refresh tokens.
type TokenKind string

// The token kinds.
const (
	TokenAccess  TokenKind = "access"
	TokenRefresh TokenKind = "refresh"
)

// Token is an issued access or refresh token; the store keeps only the
// hash of its value.
type Token struct {
	Hash      []byte
	Kind      TokenKind
	GrantID   string
	ClientID  string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // refresh tokens: when it was exchanged; zero while unused
	RevokedAt time.Time // zero while live
}
