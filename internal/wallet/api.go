package wallet

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// The steps an enrolment expects next (the "next" member; enrol.Step).
const (
	StepPhone    = "phone"
	StepFace     = "face"
	StepPassword = "password"
	StepComplete = "complete"
	StepNone     = "none"
)

// Evidence is the document evidence of a self-service enrolment: a chip
// dump (the JSON of an emrtd.ChipDump: {"format": "netid-chip/1",
// "files": {...}}) with the printed MRZ of the data page, or a document
// the issuing authority verifies online.
type Evidence struct {
	Chip       json.RawMessage    `json:"chip,omitempty"`
	PrintedMRZ string             `json:"printed_mrz,omitempty"`
	Authority  *AuthorityEvidence `json:"authority,omitempty"`
}

// AuthorityEvidence is what the resident reads off a document the
// authority verifies: its type (resident-id-card...), number, name and
// birth date (YYYY-MM-DD).
type AuthorityEvidence struct {
	DocType   string `json:"doc_type"`
	Number    string `json:"number"`
	Name      string `json:"name"`
	BirthDate string `json:"birth_date"`
}

// GuardianApplication is a guardian applying for a child of 14 or under:
// the guardian authenticates with their internet number and password.
type GuardianApplication struct {
	InternetNumber string `json:"internet_number"`
	Password       string `json:"password"`
	// Relationship is parent or legal-guardian.
	Relationship string `json:"relationship"`
	// EvidenceKind is household-register, birth-certificate, court-order
	// or other; EvidenceReference the register or certificate number.
	EvidenceKind      string `json:"evidence_kind"`
	EvidenceReference string `json:"evidence_reference"`
	EvidenceNotes     string `json:"evidence_notes,omitempty"`
}

// StartRequest is the body of POST /v1/enrolments.
type StartRequest struct {
	Evidence Evidence             `json:"evidence"`
	Guardian *GuardianApplication `json:"guardian,omitempty"`
}

// AssistedEvidence is the alternative evidence a registrar records.
type AssistedEvidence struct {
	// Kind is refugee-registration, asylum-registration,
	// birth-certificate, attestation or other.
	Kind      string `json:"kind"`
	Reference string `json:"reference"`
	Issuer    string `json:"issuer,omitempty"`
	Name      string `json:"name"`
	BirthDate string `json:"birth_date"`
	Sex       string `json:"sex,omitempty"`
	Notes     string `json:"notes,omitempty"`
}

// AssistedStartRequest is the body of POST /v1/assisted-enrolments.
type AssistedStartRequest struct {
	Evidence AssistedEvidence     `json:"evidence"`
	Guardian *GuardianApplication `json:"guardian,omitempty"`
}

// Started is the answer to a start: the enrolment's id, its capability
// token (shown once) and the nonce of the certification request.
type Started struct {
	ID            string    `json:"id"`
	Token         string    `json:"token"`
	ExpiresAt     time.Time `json:"expires_at"`
	Next          string    `json:"next"`
	AgeGroup      string    `json:"age_group"`
	Pathway       string    `json:"pathway"`
	PhoneOptional bool      `json:"phone_optional"`
	CSRNonce      string    `json:"csr_nonce"`
}

// EnrolmentStatus is where an enrolment stands.
type EnrolmentStatus struct {
	ID            string    `json:"id"`
	State         string    `json:"state"`
	Next          string    `json:"next"`
	ExpiresAt     time.Time `json:"expires_at"`
	AgeGroup      string    `json:"age_group"`
	Pathway       string    `json:"pathway"`
	PhoneOptional bool      `json:"phone_optional"`
}

// PhoneCodeSent is the answer to sending a phone code.
type PhoneCodeSent struct {
	// To is the recipient, redacted.
	To           string    `json:"to"`
	CodeLength   int       `json:"code_length"`
	ExpiresAt    time.Time `json:"expires_at"`
	ResendAt     time.Time `json:"resend_at"`
	AttemptsLeft int       `json:"attempts_left"`
	SendsLeft    int       `json:"sends_left"`
}

// FaceSubmission is the body of the face step.
type FaceSubmission struct {
	Image []byte `json:"image"`
	// Format is the image's media type (image/jpeg, image/png, image/jp2).
	Format string `json:"format"`
	// Liveness is the compact JWS attestation of the capture for the
	// challenge.
	Liveness string `json:"liveness"`
	// KeepTemplate is the resident's consent to keep the face template
	// for high-assurance logins.
	KeepTemplate bool `json:"keep_template"`
}

// FaceResult is the answer to the face step.
type FaceResult struct {
	Matched      bool   `json:"matched"`
	TemplateKept bool   `json:"template_kept"`
	State        string `json:"state"`
	Next         string `json:"next"`
}

// Completed is the answer to the last step: the account and everything
// the wallet keeps. The openings and the dynamic-code secret are returned
// this once only.
type Completed struct {
	InternetNumber        string            `json:"internet_number"`
	InternetNumberDisplay string            `json:"internet_number_display"`
	Status                string            `json:"status"`
	Pathway               string            `json:"pathway"`
	AssuranceCeiling      string            `json:"assurance_ceiling"`
	CertificatePEM        string            `json:"certificate_pem"`
	CAPEM                 string            `json:"ca_pem"`
	Serial                string            `json:"serial"`
	Openings              []Opening         `json:"openings"`
	DynamicCode           DynamicCodeParams `json:"dynamic_code"`
	GuardianApprovalCode  string            `json:"guardian_approval_code,omitempty"`
}

// GuardianLogin is a guardian's credentials.
type GuardianLogin struct {
	InternetNumber string `json:"internet_number"`
	Password       string `json:"password"`
}

// MinorApprovalRequest is the body of POST /v1/guardian/approvals: a
// guardian approving a minor of 15 to 17 who enrolled in their own name.
type MinorApprovalRequest struct {
	Guardian            GuardianLogin `json:"guardian"`
	MinorInternetNumber string        `json:"minor_internet_number"`
	ApprovalCode        string        `json:"approval_code"`
	Relationship        string        `json:"relationship"`
	EvidenceKind        string        `json:"evidence_kind"`
	EvidenceReference   string        `json:"evidence_reference"`
	EvidenceNotes       string        `json:"evidence_notes,omitempty"`
}

// enrolmentPath returns /v1/enrolments/{id}[/suffix], the id escaped.
func enrolmentPath(id, suffix string) string {
	return "/v1/enrolments/" + url.PathEscape(id) + suffix
}

// StartEnrolment starts a self-service enrolment (POST /v1/enrolments).
func (c *Client) StartEnrolment(ctx context.Context, req StartRequest) (*Started, error) {
	var out Started
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/enrolments", in: req, out: &out, want: []int{http.StatusCreated}})
	return &out, err
}

// StartAssisted starts an assisted enrolment (POST
// /v1/assisted-enrolments) with a registrar's token. The resident's
// wallet continues it with Enrol's Started option.
func (c *Client) StartAssisted(ctx context.Context, registrarToken string, req AssistedStartRequest) (*Started, error) {
	var out Started
	err := c.do(ctx, call{method: http.MethodPost, path: "/v1/assisted-enrolments", token: registrarToken, in: req, out: &out,
		want: []int{http.StatusCreated}})
	return &out, err
}

// EnrolmentStatus returns where an enrolment stands (GET
// /v1/enrolments/{id}).
func (c *Client) EnrolmentStatus(ctx context.Context, id, token string) (*EnrolmentStatus, error) {
	var out EnrolmentStatus
	err := c.do(ctx, call{method: http.MethodGet, path: enrolmentPath(id, ""), token: token, out: &out, want: []int{http.StatusOK}})
	return &out, err
}

// SendPhoneCode sends a one-time code to number; locale (zh-CN or en)
// may be empty.
func (c *Client) SendPhoneCode(ctx context.Context, id, token, number, locale string) (*PhoneCodeSent, error) {
	in := struct {
		Number string `json:"number"`
		Locale string `json:"locale,omitempty"`
	}{number, locale}
	var out PhoneCodeSent
	err := c.do(ctx, call{method: http.MethodPost, path: enrolmentPath(id, "/phone"), token: token, in: in, out: &out,
		want: []int{http.StatusAccepted}})
	return &out, err
}

// VerifyPhone confirms number with the code it received.
func (c *Client) VerifyPhone(ctx context.Context, id, token, number, code string) (*EnrolmentStatus, error) {
	in := struct {
		Number string `json:"number"`
		Code   string `json:"code"`
	}{number, code}
	var out EnrolmentStatus
	err := c.do(ctx, call{method: http.MethodPost, path: enrolmentPath(id, "/phone/verify"), token: token, in: in, out: &out,
		want: []int{http.StatusOK}})
	return &out, err
}

// SkipPhone skips the phone step where the enrolment allows it.
func (c *Client) SkipPhone(ctx context.Context, id, token string) (*EnrolmentStatus, error) {
	var out EnrolmentStatus
	err := c.do(ctx, call{method: http.MethodPost, path: enrolmentPath(id, "/phone/skip"), token: token, in: struct{}{}, out: &out,
		want: []int{http.StatusOK}})
	return &out, err
}

// FaceChallenge opens the face step and returns the liveness challenge;
// each call replaces the previous challenge.
func (c *Client) FaceChallenge(ctx context.Context, id, token string) (string, error) {
	var out struct {
		Challenge string `json:"challenge"`
	}
	err := c.do(ctx, call{method: http.MethodPost, path: enrolmentPath(id, "/face/challenge"), token: token, in: struct{}{}, out: &out,
		want: []int{http.StatusOK}})
	if err == nil && out.Challenge == "" {
		err = errorf(ErrResponse, "the face challenge is empty")
	}
	return out.Challenge, err
}

// SubmitFace sends the face capture with its liveness attestation.
func (c *Client) SubmitFace(ctx context.Context, id, token string, f FaceSubmission) (*FaceResult, error) {
	var out FaceResult
	err := c.do(ctx, call{method: http.MethodPost, path: enrolmentPath(id, "/face"), token: token, in: f, out: &out,
		want: []int{http.StatusOK}})
	return &out, err
}

// SetPassword sets the account's password.
func (c *Client) SetPassword(ctx context.Context, id, token, password string) (*EnrolmentStatus, error) {
	in := struct {
		Password string `json:"password"`
	}{password}
	var out EnrolmentStatus
	err := c.do(ctx, call{method: http.MethodPost, path: enrolmentPath(id, "/password"), token: token, in: in, out: &out,
		want: []int{http.StatusOK}})
	return &out, err
}

// Complete sends the certification request (PEM) and returns the account.
func (c *Client) Complete(ctx context.Context, id, token string, csrPEM []byte) (*Completed, error) {
	in := struct {
		CSR string `json:"csr"`
	}{string(csrPEM)}
	var out Completed
	err := c.do(ctx, call{method: http.MethodPost, path: enrolmentPath(id, "/complete"), token: token, in: in, out: &out,
		want: []int{http.StatusCreated}})
	return &out, err
}

// ApproveMinor is a guardian's approval of a minor of 15 to 17 (POST
// /v1/guardian/approvals).
func (c *Client) ApproveMinor(ctx context.Context, req MinorApprovalRequest) error {
	var out struct {
		Status string `json:"status"`
	}
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/guardian/approvals", in: req, out: &out,
		want: []int{http.StatusOK}}); err != nil {
		return err
	}
	if out.Status != "approved" {
		return errorf(ErrResponse, "the approval's status is %q, not approved", cleanText(out.Status))
	}
	return nil
}

// CACertificates returns the netid CA certificates, PEM (GET /ca.pem).
func (c *Client) CACertificates(ctx context.Context) ([]byte, error) {
	b, _, err := c.getBinary(ctx, "/ca.pem", nil)
	return b, err
}
