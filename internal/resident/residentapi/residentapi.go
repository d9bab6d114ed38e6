// Package residentapi is the JSON of the resident API (/v1/me) that both
// its server (package resident) and its client (package wallet) read or
// write: one definition, so that the two cannot drift apart. It imports
// only the standard library, so that the wallet does not depend on the
// server's code: values the server holds as named types (assurance
// levels, statuses, claims, log kinds) are plain strings here, the same
// JSON. docs/residents.md describes each member.
//
// Names are snake_case; times RFC 3339 in UTC; byte strings (leaves,
// hashes, proofs) standard base64, as encoding/json writes []byte.
package residentapi

import "time"

// Challenge is the answer of GET /v1/me/challenge: what a wallet signs to
// sign in.
type Challenge struct {
	Challenge string    `json:"challenge"`
	Audience  string    `json:"audience"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Login is the body of POST /v1/me/sessions: username (internet number
// or login phone number) and password, or a presentation of the wallet's
// certificate answering a Challenge.
type Login struct {
	Password     string `json:"password,omitempty"`
	Presentation string `json:"presentation,omitempty"`
	Username     string `json:"username,omitempty"`
}

// Session is a session of the resident API: the answer of
// POST /v1/me/sessions (with Token and TokenType), and the caller's
// session in GET /v1/me (without).
type Session struct {
	// Token is the bearer token. Secret.
	Token          string    `json:"token,omitempty"`
	TokenType      string    `json:"token_type,omitempty"`
	InternetNumber string    `json:"internet_number"`
	Method         string    `json:"method"`
	Level          string    `json:"level"`
	CreatedAt      time.Time `json:"created_at"`
	ExpiresAt      time.Time `json:"expires_at"`
}

// Minor is a minor under the caller's guardianship, as GET /v1/me/minors
// lists it.
type Minor struct {
	// ID names the minor in the routes /v1/me/minors/{id}.
	ID             string    `json:"id"`
	InternetNumber string    `json:"internet_number"`
	Name           string    `json:"name"`
	Status         string    `json:"status"`
	Relationship   string    `json:"relationship"`
	Kind           string    `json:"kind"`
	Since          time.Time `json:"since"`
	// GuardianshipEnds is the minor's coming of age (YYYY-MM-DD): the
	// first day the guardian no longer acts for the minor.
	GuardianshipEnds string `json:"guardianship_ends"`
}

// MinorList is the answer of GET /v1/me/minors.
type MinorList struct {
	Minors []Minor `json:"minors"`
}

// Lock is whether one sign-in method is locked: an element of
// GET /v1/me/locks, and the answer of the routes of one method.
type Lock struct {
	Method string     `json:"method"`
	Locked bool       `json:"locked"`
	Since  *time.Time `json:"since,omitempty"`
}

// LockList is the answer of GET /v1/me/locks: every method, locked or not.
type LockList struct {
	Locks []Lock `json:"locks"`
}

// Consent is a platform's consent as the resident API lists it:
// remembered, or given for one login only with the platform still holding
// live access (tokens), or both.
type Consent struct {
	ClientID  string         `json:"client_id"`
	Platform  string         `json:"platform"`
	Claims    []ConsentClaim `json:"claims"`
	Plaintext bool           `json:"plaintext"`
	Onward    bool           `json:"onward"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
	// Remembered: netid remembers the consent, so the platform's logins
	// do not ask again. LiveAccess: the platform holds working tokens,
	// described by Access.
	Remembered bool    `json:"remembered"`
	LiveAccess bool    `json:"live_access"`
	Access     *Access `json:"access,omitempty"`
}

// ConsentClaim is one claim of a Consent.
type ConsentClaim struct {
	Claim   string `json:"claim"`
	Purpose string `json:"purpose"`
	Granted bool   `json:"granted"`
}

// Access is the live access of a platform: the claims released under its
// live grants, when the first and last were made, when the last ends, and
// whether it holds a refresh token (renews its access tokens without the
// resident until ExpiresAt).
type Access struct {
	Claims         []string  `json:"claims"`
	FirstGrantedAt time.Time `json:"first_granted_at"`
	LastGrantedAt  time.Time `json:"last_granted_at"`
	ExpiresAt      time.Time `json:"expires_at"`
	RefreshToken   bool      `json:"refresh_token"`
}

// ConsentList is the answer of GET /v1/me/consents.
type ConsentList struct {
	Consents []Consent `json:"consents"`
}

// Certificate is a certificate as the resident API lists it.
type Certificate struct {
	Serial               string     `json:"serial"`
	Status               string     `json:"status"`
	NotBefore            time.Time  `json:"not_before"`
	NotAfter             time.Time  `json:"not_after"`
	IssuedAt             time.Time  `json:"issued_at"`
	RevokedAt            *time.Time `json:"revoked_at,omitempty"`
	RevocationReason     string     `json:"revocation_reason,omitempty"`
	CAKeyID              string     `json:"ca_key_id"`
	DeviceKeyFingerprint string     `json:"device_key_fingerprint"`
	CertificatePEM       string     `json:"certificate_pem"`
}

// CertificateList is the answer of GET /v1/me/certificates.
type CertificateList struct {
	Certificates []Certificate `json:"certificates"`
}

// Revoke is the body of POST /v1/me/certificates/{serial}/revoke, which
// may be empty (reason unspecified).
type Revoke struct {
	Reason string `json:"reason"`
}

// Delete is the body of DELETE /v1/me: the internet number typed again,
// and the password or a presentation answering a Challenge.
type Delete struct {
	Confirm      string `json:"confirm"`
	Password     string `json:"password,omitempty"`
	Presentation string `json:"presentation,omitempty"`
}

// Erased is the answer to an account deletion (DELETE /v1/me).
type Erased struct {
	InternetNumber string    `json:"internet_number"`
	Status         string    `json:"status"`
	DeletedAt      time.Time `json:"deleted_at"`
}

// History is one page of GET /v1/me/history.
type History struct {
	Origin     string         `json:"origin"`
	LogID      string         `json:"log_id"`
	Checkpoint string         `json:"checkpoint"`
	TreeSize   uint64         `json:"tree_size"`
	Entries    []HistoryEntry `json:"entries"`
	// Consistency proves that Checkpoint extends the tree of the size
	// asked for (since_size); absent when none was asked or the size is
	// beyond the checkpoint.
	Consistency *Consistency `json:"consistency,omitempty"`
	More        bool         `json:"more"`
}

// Consistency is a consistency proof between two tree sizes.
type Consistency struct {
	FromSize uint64   `json:"from_size"`
	ToSize   uint64   `json:"to_size"`
	Proof    [][]byte `json:"proof"`
}

// HistoryEntry is one record of the resident's listing. Leaf and the
// proof are what a wallet checks; Entry is the server's decoding of the
// leaf, for display, absent when the entry is withheld.
type HistoryEntry struct {
	Index    uint64 `json:"index"`
	Seq      uint64 `json:"seq"`
	Leaf     []byte `json:"leaf,omitempty"`
	LeafHash []byte `json:"leaf_hash"`
	Withheld bool   `json:"withheld"`
	Entry    *Event `json:"entry,omitempty"`
	// Guardian is the internet number of the guardian an entry names.
	Guardian       string   `json:"guardian,omitempty"`
	InclusionProof [][]byte `json:"inclusion_proof"`
}

// Event is what a history entry records.
type Event struct {
	ID                 string     `json:"id"`
	Kind               string     `json:"kind"`
	Time               time.Time  `json:"time"`
	ClientID           string     `json:"client_id,omitempty"`
	Claims             []string   `json:"claims,omitempty"`
	Level              string     `json:"level,omitempty"`
	Event              string     `json:"event,omitempty"`
	Ref                string     `json:"ref,omitempty"`
	Authority          string     `json:"authority,omitempty"`
	LegalBasis         string     `json:"legal_basis,omitempty"`
	NoticeDelayedUntil *time.Time `json:"notice_delayed_until,omitempty"`
}
