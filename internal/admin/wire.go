package admin

import (
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
)

// The JSON forms of the admin API, shared by `netid rp list --json` and the
// other operator commands so that scripts see one format.

// RPView is a relying party as the admin API shows it: everything but the
// secret's hash.
type RPView struct {
	ClientID                 string             `json:"client_id"`
	Name                     string             `json:"name"`
	RedirectURIs             []string           `json:"redirect_uris"`
	PostLogoutRedirectURIs   []string           `json:"post_logout_redirect_uris"`
	Sector                   string             `json:"sector"`
	ApprovedClaims           []rp.ClaimApproval `json:"approved_claims"`
	MayReceiveInternetNumber bool               `json:"may_receive_internet_number"`
	SharesOnward             bool               `json:"shares_onward"`
	MinACR                   string             `json:"min_acr"`
	Status                   string             `json:"status"`
	Created                  time.Time          `json:"created_at"`
	Updated                  time.Time          `json:"updated_at"`
	Version                  int64              `json:"version"`
}

// ViewRP returns the view of r, with empty lists rather than null.
func ViewRP(r rp.RP) RPView {
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	claims := r.ApprovedClaims
	if claims == nil {
		claims = []rp.ClaimApproval{}
	}
	return RPView{ClientID: r.ClientID, Name: r.Name, RedirectURIs: orEmpty(r.RedirectURIs),
		PostLogoutRedirectURIs: orEmpty(r.PostLogoutRedirectURIs), Sector: r.Sector, ApprovedClaims: claims,
		MayReceiveInternetNumber: r.MayReceiveInternetNumber, SharesOnward: r.SharesOnward,
		MinACR: string(r.MinAssurance), Status: string(r.Status), Created: r.Created, Updated: r.Updated, Version: r.Version}
}

// registrationRequest is the body of POST /admin/v1/rps and PUT
// /admin/v1/rps/{id}. Version (PUT only, optional) makes the update apply
// only to that version.
type registrationRequest struct {
	Name                     string             `json:"name"`
	RedirectURIs             []string           `json:"redirect_uris"`
	PostLogoutRedirectURIs   []string           `json:"post_logout_redirect_uris"`
	Sector                   string             `json:"sector"`
	ApprovedClaims           []rp.ClaimApproval `json:"approved_claims"`
	MayReceiveInternetNumber bool               `json:"may_receive_internet_number"`
	SharesOnward             bool               `json:"shares_onward"`
	MinACR                   string             `json:"min_acr"`
	Version                  int64              `json:"version"`
}

func (r registrationRequest) registration() rp.Registration {
	return rp.Registration{Name: r.Name, RedirectURIs: r.RedirectURIs, PostLogoutRedirectURIs: r.PostLogoutRedirectURIs,
		Sector: r.Sector, ApprovedClaims: r.ApprovedClaims, MayReceiveInternetNumber: r.MayReceiveInternetNumber,
		SharesOnward: r.SharesOnward, MinAssurance: enrol.Assurance(r.MinACR)}
}

// ClientCredentials are a relying party's client id and a secret shown
// once.
type ClientCredentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// createdRP is the answer to POST /admin/v1/rps.
type createdRP struct {
	ClientCredentials
	RelyingParty RPView `json:"relying_party"`
}

// revokeRequest is the body of the revocation routes.
type revokeRequest struct {
	Reason string `json:"reason"`
}

// CertificateView is a revoked certificate as the admin API shows it.
type CertificateView struct {
	Serial         string    `json:"serial"`
	InternetNumber string    `json:"internet_number"`
	NotBefore      time.Time `json:"not_before"`
	NotAfter       time.Time `json:"not_after"`
	RevokedAt      time.Time `json:"revoked_at"`
	Reason         string    `json:"reason"`
}

// ViewCertificate returns the view of a revoked certificate's record.
func ViewCertificate(c credential.CertificateRecord) CertificateView {
	return CertificateView{Serial: c.Serial, InternetNumber: c.InternetNumber, NotBefore: c.NotBefore,
		NotAfter: c.NotAfter, RevokedAt: c.RevokedAt, Reason: c.Reason.String()}
}

// RevokedAll is the answer to a revocation of every certificate of an
// internet number.
type RevokedAll struct {
	InternetNumber string `json:"internet_number"`
	Revoked        int    `json:"revoked"`
}

// lawfulAccessRequest is the body of POST /admin/v1/lawful-access.
// NoticeDelay is a Go duration ("720h", "0s").
type lawfulAccessRequest struct {
	InternetNumber string `json:"internet_number"`
	Authority      string `json:"authority"`
	LegalBasis     string `json:"legal_basis"`
	Ref            string `json:"ref"`
	NoticeDelay    string `json:"notice_delay"`
}

// IdentityView is a resident's identity as a lawful access discloses it.
type IdentityView struct {
	Name            string `json:"name"`
	BirthDate       string `json:"birth_date"`
	Sex             string `json:"sex"`
	Nationality     string `json:"nationality"`
	DocumentType    string `json:"document_type"`
	DocumentNumber  string `json:"document_number"`
	IssuingState    string `json:"issuing_state"`
	DocumentExpiry  string `json:"document_expiry"`
	AnchorAuthority string `json:"anchor_authority"`
	AnchorPerson    string `json:"anchor_person"`
	AssistedKind    string `json:"assisted_kind,omitempty"`
}

// LawfulAccessView is the answer to a lawful access.
type LawfulAccessView struct {
	InternetNumber     string       `json:"internet_number"`
	EntryID            string       `json:"log_entry_id"`
	LogIndex           uint64       `json:"log_index"`
	Time               time.Time    `json:"time"`
	NoticeDelayedUntil time.Time    `json:"notice_delayed_until"`
	Identity           IdentityView `json:"identity"`
}

// ViewLawfulAccess returns the view of res.
func ViewLawfulAccess(res LawfulAccessResult) LawfulAccessView {
	date := func(d interface {
		IsZero() bool
		String() string
	}) string {
		if d.IsZero() {
			return ""
		}
		return d.String()
	}
	id := res.Identity
	return LawfulAccessView{InternetNumber: res.InternetNumber, EntryID: res.EntryID, LogIndex: res.LogIndex,
		Time: res.Time, NoticeDelayedUntil: res.NoticeDelayedUntil, Identity: IdentityView{
			Name: id.Name, BirthDate: date(id.BirthDate), Sex: id.Sex, Nationality: id.Nationality,
			DocumentType: id.DocType, DocumentNumber: id.DocumentNumber, IssuingState: id.IssuingState,
			DocumentExpiry: date(id.Expiry), AnchorAuthority: id.AnchorAuthority, AnchorPerson: id.AnchorPerson,
			AssistedKind: string(id.AssistedKind)}}
}

// TokenView is an admin token as listed (never its secret or hash).
type TokenView struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Created time.Time  `json:"created_at"`
	Revoked *time.Time `json:"revoked_at"`
}

// ViewToken returns the view of t.
func ViewToken(t Token) TokenView {
	v := TokenView{ID: t.ID, Name: t.Name, Created: t.Created}
	if !t.Usable() {
		r := t.Revoked
		v.Revoked = &r
	}
	return v
}

// AuditView is an audit record as listed.
type AuditView struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Admin   string    `json:"admin"`
	TokenID string    `json:"token_id,omitempty"`
	Channel string    `json:"channel"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail,omitempty"`
}

// ViewAudit returns the view of r.
func ViewAudit(r AuditRecord) AuditView {
	return AuditView{ID: r.ID, At: r.At, Admin: r.Admin, TokenID: r.TokenID, Channel: string(r.Channel),
		Action: string(r.Action), Target: r.Target, Outcome: string(r.Outcome), Detail: r.Detail}
}
