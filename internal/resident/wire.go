package resident

import (
	"encoding/pem"
	"time"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/oidc"
	"github.com/netid/netid/internal/resident/residentapi"
	"github.com/netid/netid/internal/rp"
)

// The JSON of the resident API. What a client reads or writes is defined
// once, in package residentapi, which the wallet shares; the documents
// only the server writes (the account's data, disclosures, the export)
// are here. Names are snake_case; times RFC 3339 in UTC; byte strings
// (leaves, hashes, proofs) standard base64, as encoding/json writes
// []byte. docs/residents.md describes each member.

func sessionWire(s Session) residentapi.Session {
	out := residentapi.Session{Token: s.Token, InternetNumber: string(s.InternetNumber), Method: string(s.Method),
		Level: string(s.Level), CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt}
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

// minorWire writes AdultOn as its string: a coming of age is always a
// whole date (enrol's comingOfAge), never the zero Date that
// document.Date would write as null.
func minorWire(m enrol.MinorView) residentapi.Minor {
	return residentapi.Minor{ID: m.MinorID, InternetNumber: string(m.InternetNumber), Name: m.Name,
		Status: string(m.Status), Relationship: string(m.Relationship), Kind: m.Kind, Since: m.Since,
		GuardianshipEnds: m.AdultOn.String()}
}

func minorsWire(ms []enrol.MinorView) []residentapi.Minor {
	out := make([]residentapi.Minor, 0, len(ms))
	for _, m := range ms {
		out = append(out, minorWire(m))
	}
	return out
}

// locksWire lists every method, locked or not, so that a client shows the
// whole set.
func locksWire(l enrol.Locks) []residentapi.Lock {
	out := make([]residentapi.Lock, 0, len(enrol.Methods()))
	for _, m := range enrol.Methods() {
		out = append(out, lockWire(l, m))
	}
	return out
}

func lockWire(l enrol.Locks, m enrol.Method) residentapi.Lock {
	since, ok := l.Since(m)
	j := residentapi.Lock{Method: string(m), Locked: ok}
	if ok {
		j.Since = &since
	}
	return j
}

type dataJSON struct {
	Account   accountJSON         `json:"account"`
	Identity  identityJSON        `json:"identity"`
	Phone     string              `json:"phone,omitempty"`
	Guardians []guardianJSON      `json:"guardians"`
	Minors    []residentapi.Minor `json:"minors"`
	Locks     []residentapi.Lock  `json:"locks"`
	// Session is the caller's session (GET /v1/me only).
	Session *residentapi.Session `json:"session,omitempty"`
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

func consentsWire(cs []Consent) []residentapi.Consent {
	out := make([]residentapi.Consent, 0, len(cs))
	for _, c := range cs {
		j := residentapi.Consent{ClientID: c.ClientID, Platform: c.Platform, Claims: []residentapi.ConsentClaim{},
			Plaintext: c.Plaintext, Onward: c.Onward, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
			Remembered: c.Remembered, LiveAccess: c.LiveAccess, Access: accessWire(c)}
		for _, cl := range c.Claims {
			j.Claims = append(j.Claims, residentapi.ConsentClaim{Claim: string(cl.Claim), Purpose: cl.Purpose, Granted: cl.Granted})
		}
		out = append(out, j)
	}
	return out
}

func certificatesWire(cs []Certificate) []residentapi.Certificate {
	out := make([]residentapi.Certificate, 0, len(cs))
	for _, c := range cs {
		j := residentapi.Certificate{Serial: c.Serial, Status: c.Status, NotBefore: c.NotBefore, NotAfter: c.NotAfter,
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

func historyWire(h History) residentapi.History {
	out := residentapi.History{Origin: h.Origin, LogID: string(h.LogID), Checkpoint: string(h.Checkpoint.Note),
		TreeSize: h.Checkpoint.Size, Entries: make([]residentapi.HistoryEntry, 0, len(h.Entries)), More: h.More}
	for _, e := range h.Entries {
		j := residentapi.HistoryEntry{Index: e.Index, Seq: e.Seq, Leaf: e.Leaf, LeafHash: e.LeafHash, Withheld: e.Withheld(),
			Guardian: string(e.Guardian), InclusionProof: nonNilProof(e.Proof)}
		if en := e.Entry; en != nil {
			j.Entry = &residentapi.Event{ID: en.ID, Kind: string(en.Kind), Time: en.Time, ClientID: en.ClientID,
				Claims: en.Claims, Level: string(en.Level), Event: string(en.Event), Ref: en.Ref, Authority: en.Authority,
				LegalBasis: en.LegalBasis}
			if !en.NoticeDelayedUntil.IsZero() {
				t := en.NoticeDelayedUntil
				j.Entry.NoticeDelayedUntil = &t
			}
		}
		out.Entries = append(out.Entries, j)
	}
	if c := h.Consistency; c != nil {
		out.Consistency = &residentapi.Consistency{FromSize: c.FromSize, ToSize: c.ToSize, Proof: nonNilProof(c.Proof)}
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
	Format       string                    `json:"format"`
	ExportedAt   time.Time                 `json:"exported_at"`
	Data         dataJSON                  `json:"data"`
	Disclosures  []disclosureJSON          `json:"disclosures"`
	Consents     []residentapi.Consent     `json:"consents"`
	Certificates []residentapi.Certificate `json:"certificates"`
	History      residentapi.History       `json:"history"`
}

func exportWire(x Export) exportJSON {
	return exportJSON{Format: x.Format, ExportedAt: x.ExportedAt, Data: dataWire(x.Data),
		Disclosures: disclosuresWire(x.Disclosures), Consents: consentsWire(x.Consents),
		Certificates: certificatesWire(x.Certificates), History: historyWire(x.History)}
}
