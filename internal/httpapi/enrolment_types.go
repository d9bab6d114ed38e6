package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/emrtd"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/httpapi/jsonbody"
	"github.com/netid/netid/internal/phone"
)

// The request bodies of the enrolment API, as they travel (the OpenAPI
// document, openapi.json, describes the same shapes). Each has a check that
// turns it into the enrol package's types and returns a 400 *Problem naming
// every missing or malformed member at once. Checks here are about shape;
// the rules (kinds, relationships, ages, evidence) stay in package enrol,
// whose refusals map to problems in enrolment_errors.go.

// fieldErrors collects the members a request got wrong.
type fieldErrors []string

func (f *fieldErrors) add(field, format string, args ...any) {
	*f = append(*f, field+": "+fmt.Sprintf(format, args...))
}

func (f *fieldErrors) required(field, value string) {
	if strings.TrimSpace(value) == "" {
		f.add(field, "required")
	}
}

func (f fieldErrors) problem() *Problem {
	if len(f) == 0 {
		return nil
	}
	return NewProblem(http.StatusBadRequest, "bad-request", strings.Join(f, "; "))
}

// decodeBase64 decodes standard, padded base64 (RFC 4648 section 4).
func (f *fieldErrors) decodeBase64(field, value string) []byte {
	b, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		f.add(field, "not standard padded base64 (%v)", err)
		return nil
	}
	return b
}

// date parses YYYY-MM-DD.
func (f *fieldErrors) date(field, value string) document.Date {
	if value == "" {
		return document.Date{}
	}
	d, err := document.ParseDate(value)
	if err != nil || d.IsZero() {
		f.add(field, "want a date YYYY-MM-DD")
		return document.Date{}
	}
	return d
}

// startRequest is the body of POST /v1/enrolments.
type startRequest struct {
	Evidence *evidenceJSON `json:"evidence"`
	Guardian *guardianJSON `json:"guardian,omitempty"`
}

// evidenceJSON is document evidence: a chip dump (with the printed MRZ)
// or a document the issuing authority verifies.
type evidenceJSON struct {
	// Chip is the chip dump object ({"format":"netid-chip/1","files":{...}}),
	// kept raw so that package emrtd, its format's owner, decodes it.
	Chip       json.RawMessage `json:"chip,omitempty"`
	PrintedMRZ string          `json:"printed_mrz,omitempty"`
	Authority  *authorityJSON  `json:"authority,omitempty"`
}

type authorityJSON struct {
	DocType   string `json:"doc_type"`
	Number    string `json:"number"`
	Name      string `json:"name"`
	BirthDate string `json:"birth_date"`
}

// guardianJSON is a guardian's application for a child of 14 or under: the
// guardian's own credentials, authenticated before the application is
// considered, and the evidence of the relationship.
type guardianJSON struct {
	InternetNumber    string `json:"internet_number"`
	Password          string `json:"password"`
	Relationship      string `json:"relationship"`
	EvidenceKind      string `json:"evidence_kind"`
	EvidenceReference string `json:"evidence_reference"`
	EvidenceNotes     string `json:"evidence_notes,omitempty"`
	// Consent defaults to true: the guardian sending the application with
	// their own password is the act of consenting, which the wallet shows
	// them before. An explicit false is refused by package enrol.
	Consent *bool `json:"consent,omitempty"`
}

// chipDumpJSON is the chip dump's wire shape, decoded once strictly to
// refuse unknown members before emrtd.ChipDump parses it.
type chipDumpJSON struct {
	Format string            `json:"format"`
	Files  map[string]string `json:"files"`
}

func (g *guardianJSON) check(f *fieldErrors) {
	f.required("guardian.internet_number", g.InternetNumber)
	if g.Password == "" {
		f.add("guardian.password", "required")
	}
	f.required("guardian.relationship", g.Relationship)
	f.required("guardian.evidence_kind", g.EvidenceKind)
	f.required("guardian.evidence_reference", g.EvidenceReference)
}

// application is the guardian's application once the HTTP layer has
// authenticated them as guardianID.
func (g *guardianJSON) application(guardianID string) *enrol.GuardianApplication {
	consent := g.Consent == nil || *g.Consent
	return &enrol.GuardianApplication{
		GuardianID:   guardianID,
		Relationship: enrol.Relationship(g.Relationship),
		Evidence: enrol.GuardianEvidence{
			Kind:      enrol.GuardianEvidenceKind(g.EvidenceKind),
			Reference: g.EvidenceReference,
			Notes:     g.EvidenceNotes,
		},
		Consent: consent,
	}
}

// evidence checks the request and returns its document evidence.
func (s *startRequest) evidence() (enrol.Evidence, *Problem) {
	var f fieldErrors
	ev := documentEvidence(&f, s.Evidence)
	if s.Guardian != nil {
		s.Guardian.check(&f)
	}
	return ev, f.problem()
}

// documentEvidence checks the shape of the document evidence of a start or
// an upgrade, adding what is wrong to f, and returns it as package enrol's
// type: exactly one of a chip dump (with the printed MRZ, optional) and
// authority evidence.
func documentEvidence(f *fieldErrors, e *evidenceJSON) enrol.Evidence {
	var ev enrol.Evidence
	chip := e != nil && len(e.Chip) > 0 && string(e.Chip) != "null"
	switch {
	case e == nil:
		f.add("evidence", "required")
	case chip && e.Authority != nil:
		f.add("evidence", "give either chip or authority, not both")
	case chip:
		ev.Chip = &enrol.ChipEvidence{Dump: parseChipDump(f, e.Chip), PrintedMRZ: e.PrintedMRZ}
	case e.Authority != nil:
		if e.PrintedMRZ != "" {
			f.add("evidence.printed_mrz", "only with chip evidence")
		}
		a := e.Authority
		var dt document.DocType
		if a.DocType == "" {
			f.add("evidence.authority.doc_type", "required")
		} else if t, err := document.ParseDocType(a.DocType); err != nil {
			f.add("evidence.authority.doc_type", "not a document type netid knows; see the API description for the list")
		} else {
			dt = t
		}
		f.required("evidence.authority.number", a.Number)
		f.required("evidence.authority.name", a.Name)
		f.required("evidence.authority.birth_date", a.BirthDate)
		ev.Authority = &enrol.AuthorityEvidence{DocType: dt, Number: a.Number, Name: a.Name,
			BirthDate: f.date("evidence.authority.birth_date", a.BirthDate)}
	default:
		f.add("evidence", "give chip or authority evidence")
	}
	return ev
}

// parseChipDump decodes a chip dump: strictly for its shape (no unknown
// members), then by emrtd.ChipDump for its format, file names and base64.
func parseChipDump(f *fieldErrors, raw json.RawMessage) emrtd.ChipDump {
	var shape chipDumpJSON
	if err := jsonbody.Decode(raw, &shape); err != nil {
		f.add("evidence.chip", "%s", strings.TrimPrefix(err.Error(), "the request body "))
		return emrtd.ChipDump{}
	}
	var d emrtd.ChipDump
	if err := d.UnmarshalJSON(raw); err != nil {
		f.add("evidence.chip", "%v", err)
		return emrtd.ChipDump{}
	}
	if len(d.Files) == 0 {
		f.add("evidence.chip.files", "required")
	}
	return d
}

// assistedRequest is the body of POST /v1/assisted-enrolments.
type assistedRequest struct {
	Evidence *assistedEvidenceJSON `json:"evidence"`
	Guardian *guardianJSON         `json:"guardian,omitempty"`
}

type assistedEvidenceJSON struct {
	Kind      string `json:"kind"`
	Reference string `json:"reference"`
	Issuer    string `json:"issuer,omitempty"`
	Name      string `json:"name"`
	BirthDate string `json:"birth_date"`
	Sex       string `json:"sex,omitempty"`
	Notes     string `json:"notes,omitempty"`
}

func (a *assistedRequest) evidence() (enrol.AssistedEvidence, *Problem) {
	var f fieldErrors
	var ev enrol.AssistedEvidence
	if e := a.Evidence; e == nil {
		f.add("evidence", "required")
	} else {
		f.required("evidence.kind", e.Kind)
		f.required("evidence.reference", e.Reference)
		f.required("evidence.name", e.Name)
		f.required("evidence.birth_date", e.BirthDate)
		ev = enrol.AssistedEvidence{Kind: enrol.AssistedKind(e.Kind), Reference: e.Reference, Issuer: e.Issuer,
			Name: e.Name, BirthDate: f.date("evidence.birth_date", e.BirthDate), Sex: e.Sex, Notes: e.Notes}
	}
	if a.Guardian != nil {
		a.Guardian.check(&f)
	}
	return ev, f.problem()
}

// phoneSendRequest is the body of POST /v1/enrolments/{id}/phone.
type phoneSendRequest struct {
	Number string `json:"number"`
	Locale string `json:"locale,omitempty"`
}

func (p *phoneSendRequest) options() ([]phone.SendOption, *Problem) {
	var f fieldErrors
	f.required("number", p.Number)
	var opts []phone.SendOption
	if p.Locale != "" {
		if l, ok := phone.ParseLocale(p.Locale); ok {
			opts = append(opts, phone.WithLocale(l))
		} else {
			f.add("locale", "want %q or %q", phone.LocaleZhCN, phone.LocaleEN)
		}
	}
	return opts, f.problem()
}

// phoneVerifyRequest is the body of POST /v1/enrolments/{id}/phone/verify.
type phoneVerifyRequest struct {
	Number string `json:"number"`
	Code   string `json:"code"`
}

func (p *phoneVerifyRequest) check() *Problem {
	var f fieldErrors
	f.required("number", p.Number)
	f.required("code", p.Code)
	return f.problem()
}

// faceRequest is the body of POST /v1/enrolments/{id}/face.
type faceRequest struct {
	Image        string `json:"image"`
	Format       string `json:"format,omitempty"`
	Liveness     string `json:"liveness"`
	KeepTemplate bool   `json:"keep_template,omitempty"`
}

func (q *faceRequest) capture() (biometric.Capture, *Problem) {
	var f fieldErrors
	var img []byte
	if q.Image == "" {
		f.add("image", "required")
	} else {
		img = f.decodeBase64("image", q.Image)
	}
	f.required("liveness", q.Liveness)
	return biometric.Capture{Image: img, Format: biometric.Format(q.Format),
		Liveness: biometric.LivenessAttestation(q.Liveness)}, f.problem()
}

// passwordRequest is the body of POST /v1/enrolments/{id}/password.
type passwordRequest struct {
	Password string `json:"password"`
}

func (p *passwordRequest) check() *Problem {
	var f fieldErrors
	if p.Password == "" {
		f.add("password", "required")
	}
	return f.problem()
}

// completeRequest is the body of POST /v1/enrolments/{id}/complete.
type completeRequest struct {
	CSR string `json:"csr"`
}

func (c *completeRequest) check() *Problem {
	var f fieldErrors
	f.required("csr", c.CSR)
	return f.problem()
}

// approvalRequest is the body of POST /v1/guardian/approvals.
type approvalRequest struct {
	Guardian            *credentialsJSON `json:"guardian"`
	MinorInternetNumber string           `json:"minor_internet_number"`
	ApprovalCode        string           `json:"approval_code"`
	Relationship        string           `json:"relationship"`
	EvidenceKind        string           `json:"evidence_kind"`
	EvidenceReference   string           `json:"evidence_reference"`
	EvidenceNotes       string           `json:"evidence_notes,omitempty"`
}

// credentialsJSON is a resident's internet number and password.
type credentialsJSON struct {
	InternetNumber string `json:"internet_number"`
	Password       string `json:"password"`
}

// check adds to f what is missing of the credentials in member name; c
// may be nil (the member is absent). A password is checked for presence
// only: spaces may be part of it.
func (c *credentialsJSON) check(f *fieldErrors, name string) {
	if c == nil {
		f.add(name, "required")
		return
	}
	f.required(name+".internet_number", c.InternetNumber)
	if c.Password == "" {
		f.add(name+".password", "required")
	}
}

func (a *approvalRequest) approval() (enrol.MinorApproval, *Problem) {
	var f fieldErrors
	a.Guardian.check(&f, "guardian")
	f.required("minor_internet_number", a.MinorInternetNumber)
	f.required("approval_code", a.ApprovalCode)
	f.required("relationship", a.Relationship)
	f.required("evidence_kind", a.EvidenceKind)
	f.required("evidence_reference", a.EvidenceReference)
	return enrol.MinorApproval{
		InternetNumber: a.MinorInternetNumber,
		ApprovalCode:   a.ApprovalCode,
		Relationship:   enrol.Relationship(a.Relationship),
		Evidence: enrol.GuardianEvidence{Kind: enrol.GuardianEvidenceKind(a.EvidenceKind),
			Reference: a.EvidenceReference, Notes: a.EvidenceNotes},
	}, f.problem()
}
