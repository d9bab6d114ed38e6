package resident

import (
	"encoding/pem"
	"time"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/translog"
)

// The JSON of the resident API. Names are snake_case; times RFC 3339 in
// UTC; byte strings (leaves, hashes, proofs) standard base64, as
// encoding/json writes []byte. docs/residents.md describes each member.

type challengeJSON struct {
	Challenge string    `json:"challenge"`
	Audience  string    `json:"audience"`
	ExpiresAt time.Time `json:"expires_at"`
}

// loginJSON is the body of POST /v1/me/sessions: username and password,
// or a presentation.
type loginJSON struct {
	Username     string `json:"username"`
	Password     string `json:"password"`
	Presentation string `json:"presentation"`
}

type sessionJSON struct {
	Token          string          `json:"token,omitempty"`
	TokenType      string          `json:"token_type,omitempty"`
	InternetNumber string          `json:"internet_number"`
	Method         AuthMethod      `json:"method"`
	Level          enrol.Assurance `json:"level"`
	CreatedAt      time.Time       `json:"created_at"`
	ExpiresAt      time.Time       `json:"expires_at"`
}

func sessionWire(s Session) sessionJSON {
	out := sessionJSON{Token: s.Token, InternetNumber: string(s.InternetNumber), Method: s.Method, Level: s.Level,
		CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt}
	if s.Token != "" {
		out.TokenType = "Bearer"
	}
	return out
}

type accountJSON struct {
	InternetNumber        string               `json:"internet_number"`
	InternetNumberDisplay string               `json:"internet_number_display"`
	Status                enrol.ResidentStatus `json:"status"`
	Pathway               enrol.Pathway        `json:"pathway"`
	AssuranceCeiling      enrol.Assurance      `json:"assurance_ceiling"`
	PhoneLogin            bool                 `json:"phone_login"`
	FaceTemplateKept      bool                 `json:"face_template_kept"`
	CreatedAt             time.Time            `json:"created_at"`
}

type identityJSON struct {
	Name            string             `json:"name"`
	BirthDate       document.Date      `json:"birth_date"`
	Sex             string             `json:"sex,omitempty"`
	Nationality     string             `json:"nationality,omitempty"`
	DocType         string             `json:"doc_type,omitempty"`
	DocumentNumber  string             `json:"document_number,omitempty"`
	IssuingState    string             `json:"issuing_state,omitempty"`
	Expiry          document.Date      `json:"expiry,omitzero"`
	AnchorAuthority string             `json:"anchor_authority"`
	AnchorPerson    string             `json:"anchor_person"`
	AssistedKind    enrol.AssistedKind `json:"assisted_kind,omitempty"`
}

type guardianJSON struct {
	InternetNumber    string                     `json:"internet_number"`
	Relationship      enrol.Relationship         `json:"relationship"`
	EvidenceKind      enrol.GuardianEvidenceKind `json:"evidence_kind"`
	EvidenceReference string                     `json:"evidence_reference,omitempty"`
	EvidenceNotes     string                     `json:"evidence_notes,omitempty"`
	Kind              string                     `json:"kind"`
	Since             time.Time                  `json:"since"`
}

type minorJSON struct {
	ID             string               `json:"id"`
	InternetNumber string               `json:"internet_number"`
	Name           string               `json:"name"`
	Status         enrol.ResidentStatus `json:"status"`
	Relationship   enrol.Relationship   `json:"relationship"`
	Kind           string               `json:"kind"`
	Since          time.Time            `json:"since"`
	// GuardianshipEnds is the minor's coming of age: the first day the
	// guardian's control no longer holds.
	GuardianshipEnds document.Date `json:"guardianship_ends"`
}

func minorWire(m enrol.MinorView) minorJSON {
	return minorJSON{ID: m.MinorID, InternetNumber: string(m.InternetNumber), Name: m.Name, Status: m.Status,
		Relationship: m.Relationship, Kind: m.Kind, Since: m.Since, GuardianshipEnds: m.AdultOn}
}

func minorsWire(ms []enrol.MinorView) []minorJSON {
	out := make([]minorJSON, 0, len(ms))
	for _, m := range ms {
		out = append(out, minorWire(m))
	}
	return out
}

type lockJSON struct {
	Method enrol.Method `json:"method"`
	Locked bool         `json:"locked"`
	Since  *time.Time   `json:"since,omitempty"`
}

// locksWire lists every method, locked or not, so that a client shows the
// whole set.
func locksWire(l enrol.Locks) []lockJSON {
	out := make([]lockJSON, 0, len(enrol.Methods()))
	for _, m := range enrol.Methods() {
		out = append(out, lockWire(l, m))
	}
	return out
}

func lockWire(l enrol.Locks, m enrol.Method) lockJSON {
	since, ok := l.Since(m)
	j := lockJSON{Method: m, Locked: ok}
	if ok {
		j.Since = &since
	}
	return j
}

type dataJSON struct {
	Account   accountJSON    `json:"account"`
	Identity  identityJSON   `json:"identity"`
	Phone     string         `json:"phone,omitempty"`
	Guardians []guardianJSON `json:"guardians"`
	Minors    []minorJSON    `json:"minors"`
	Locks     []lockJSON     `json:"locks"`
	// Session is the caller's session (GET /v1/me only).
	Session *sessionJSON `json:"session,omitempty"`
}

func dataWire(h enrol.Held) dataJSON {
	a, id := h.Account, h.Identity
	out := dataJSON{
		Account: accountJSON{InternetNumber: string(a.InternetNumber), InternetNumberDisplay: a.InternetNumber.Display(),
			Status: a.Status, Pathway: a.Pathway, AssuranceCeiling: a.AssuranceCeiling, PhoneLogin: a.PhoneLogin,
			FaceTemplateKept: a.FaceTemplate, CreatedAt: a.Created},
		Identity: identityJSON{Name: id.Name, BirthDate: id.BirthDate, Sex: id.Sex, Nationality: id.Nationality,
			DocType: id.DocType, DocumentNumber: id.DocumentNumber, IssuingState: id.IssuingState, Expiry: id.Expiry,
			AnchorAuthority: id.AnchorAuthority, AnchorPerson: id.AnchorPerson, AssistedKind: id.AssistedKind},
		Phone:     h.Phone,
		Guardians: []guardianJSON{},
		Minors:    minorsWire(h.Minors),
		Locks:     locksWire(h.Locks),
	}
	for _, g := range h.Guardians {
		out.Guardians = append(out.Guardians, guardianJSON{InternetNumber: string(g.InternetNumber), Relationship: g.Relationship,
			EvidenceKind: g.Evidence.Kind, EvidenceReference: g.Evidence.Reference, EvidenceNotes: g.Evidence.Notes,
			Kind: g.Kind, Since: g.Since})
	}
	return out
}

type disclosureJSON struct {
	ID       string              `json:"id"`
	ClientID string              `json:"client_id"`
	Platform string              `json:"platform"`
	At       time.Time           `json:"at"`
	Level    enrol.Assurance     `json:"level"`
	Claims   []rp.Claim          `json:"claims"`
	Kind     oidc.DisclosureKind `json:"kind"`
	GrantID  string              `json:"grant_id"`
}

type disclosuresJSON struct {
	Disclosures []disclosureJSON `json:"disclosures"`
	NextBefore  *time.Time       `json:"next_before,omitempty"`
}

func disclosureWire(d Disclosure) disclosureJSON {
	claims := d.Claims
	if claims == nil {
		claims = []rp.Claim{}
	}
	return disclosureJSON{ID: d.ID, ClientID: d.ClientID, Platform: d.Platform, At: d.At, Level: d.ACR, Claims: claims,
		Kind: d.Kind, GrantID: d.GrantID}
}

func disclosuresWire(ds []Disclosure) []disclosureJSON {
	out := make([]disclosureJSON, 0, len(ds))
	for _, d := range ds {
		out = append(out, disclosureWire(d))
	}
	return out
}

type consentClaimJSON struct {
	Claim   rp.Claim `json:"claim"`
	Purpose string   `json:"purpose"`
	Granted bool     `json:"granted"`
}

type consentJSON struct {
	ClientID  string             `json:"client_id"`
	Platform  string             `json:"platform"`
	Claims    []consentClaimJSON `json:"claims"`
	Plaintext bool               `json:"plaintext"`
	Onward    bool               `json:"onward"`
	CreatedAt time.Time          `json:"created_at"`
	UpdatedAt time.Time          `json:"updated_at"`
	// The fields of Consent beyond oidc.Consent: consentwire.go.
	Remembered bool        `json:"remembered"`
	LiveAccess bool        `json:"live_access"`
	Access     *accessJSON `json:"access,omitempty"`
}

func consentsWire(cs []Consent) []consentJSON {
	out := make([]consentJSON, 0, len(cs))
	for _, c := range cs {
		j := consentJSON{ClientID: c.ClientID, Platform: c.Platform, Claims: []consentClaimJSON{}, Plaintext: c.Plaintext,
			Onward: c.Onward, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
			Remembered: c.Remembered, LiveAccess: c.LiveAccess, Access: accessWire(c)}
		for _, cl := range c.Claims {
			j.Claims = append(j.Claims, consentClaimJSON{Claim: cl.Claim, Purpose: cl.Purpose, Granted: cl.Granted})
		}
		out = append(out, j)
	}
	return out
}

type certificateJSON struct {
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

func certificatesWire(cs []Certificate) []certificateJSON {
	out := make([]certificateJSON, 0, len(cs))
	for _, c := range cs {
		j := certificateJSON{Serial: c.Serial, Status: c.Status, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
			IssuedAt: c.Issued, CAKeyID: c.CAKeyID, DeviceKeyFingerprint: c.DeviceKeyFingerprint,
			CertificatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER}))}
		if c.Revoked() {
			at := c.RevokedAt
			j.RevokedAt, j.RevocationReason = &at, c.Reason.String()
		}
		out = append(out, j)
	}
	return out
}

// revokeJSON is the optional body of a certificate revocation.
type revokeJSON struct {
	Reason string `json:"reason"`
}

type entryJSON struct {
	ID                 string         `json:"id"`
	Kind               translog.Kind  `json:"kind"`
	Time               time.Time      `json:"time"`
	ClientID           string         `json:"client_id,omitempty"`
	Claims             []string       `json:"claims,omitempty"`
	Level              translog.Level `json:"level,omitempty"`
	Event              translog.Event `json:"event,omitempty"`
	Ref                string         `json:"ref,omitempty"`
	Authority          string         `json:"authority,omitempty"`
	LegalBasis         string         `json:"legal_basis,omitempty"`
	NoticeDelayedUntil *time.Time     `json:"notice_delayed_until,omitempty"`
}

type historyEntryJSON struct {
	Index    uint64     `json:"index"`
	Seq      uint64     `json:"seq"`
	Leaf     []byte     `json:"leaf,omitempty"`
	LeafHash []byte     `json:"leaf_hash"`
	Withheld bool       `json:"withheld"`
	Entry    *entryJSON `json:"entry,omitempty"`
	// Guardian is the internet number of the guardian an entry names.
	Guardian       string   `json:"guardian,omitempty"`
	InclusionProof [][]byte `json:"inclusion_proof"`
}

type consistencyJSON struct {
	FromSize uint64   `json:"from_size"`
	ToSize   uint64   `json:"to_size"`
	Proof    [][]byte `json:"proof"`
}

type historyJSON struct {
	Origin      string             `json:"origin"`
	LogID       translog.LogID     `json:"log_id"`
	Checkpoint  string             `json:"checkpoint"`
	TreeSize    uint64             `json:"tree_size"`
	Entries     []historyEntryJSON `json:"entries"`
	Consistency *consistencyJSON   `json:"consistency,omitempty"`
	More        bool               `json:"more"`
}

func historyWire(h History) historyJSON {
	out := historyJSON{Origin: h.Origin, LogID: h.LogID, Checkpoint: string(h.Checkpoint.Note), TreeSize: h.Checkpoint.Size,
		Entries: make([]historyEntryJSON, 0, len(h.Entries)), More: h.More}
	for _, e := range h.Entries {
		j := historyEntryJSON{Index: e.Index, Seq: e.Seq, Leaf: e.Leaf, LeafHash: e.LeafHash, Withheld: e.Withheld(),
			Guardian: string(e.Guardian), InclusionProof: nonNilProof(e.Proof)}
		if en := e.Entry; en != nil {
			j.Entry = &entryJSON{ID: en.ID, Kind: en.Kind, Time: en.Time, ClientID: en.ClientID, Claims: en.Claims,
				Level: en.Level, Event: en.Event, Ref: en.Ref, Authority: en.Authority, LegalBasis: en.LegalBasis}
			if !en.NoticeDelayedUntil.IsZero() {
				t := en.NoticeDelayedUntil
				j.Entry.NoticeDelayedUntil = &t
			}
		}
		out.Entries = append(out.Entries, j)
	}
	if c := h.Consistency; c != nil {
		out.Consistency = &consistencyJSON{FromSize: c.FromSize, ToSize: c.ToSize, Proof: nonNilProof(c.Proof)}
	}
	return out
}

// nonNilProof writes an empty proof as [] rather than null.
func nonNilProof(p [][]byte) [][]byte {
	if p == nil {
		return [][]byte{}
	}
	return p
}

type exportJSON struct {
	Format       string            `json:"format"`
	ExportedAt   time.Time         `json:"exported_at"`
	Data         dataJSON          `json:"data"`
	Disclosures  []disclosureJSON  `json:"disclosures"`
	Consents     []consentJSON     `json:"consents"`
	Certificates []certificateJSON `json:"certificates"`
	History      historyJSON       `json:"history"`
}

func exportWire(x Export) exportJSON {
	return exportJSON{Format: x.Format, ExportedAt: x.ExportedAt, Data: dataWire(x.Data),
		Disclosures: disclosuresWire(x.Disclosures), Consents: consentsWire(x.Consents),
		Certificates: certificatesWire(x.Certificates), History: historyWire(x.History)}
}

// deleteJSON is the body of DELETE /v1/me.
type deleteJSON struct {
	Confirm      string `json:"confirm"`
	Password     string `json:"password"`
	Presentation string `json:"presentation"`
}

type erasedJSON struct {
	InternetNumber string               `json:"internet_number"`
	Status         enrol.ResidentStatus `json:"status"`
	DeletedAt      time.Time            `json:"deleted_at"`
}
