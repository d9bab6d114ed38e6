package httpapi

import (
	"encoding/pem"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/phone"
)

// The response bodies of the enrolment API. Times are RFC 3339 in UTC,
// binary values standard padded base64 (encoding/json's []byte).

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// startedResponse is the 201 body of both starts. The token is shown here
// only: netid keeps its hash.
type startedResponse struct {
	ID            string `json:"id"`
	Token         string `json:"token"`
	ExpiresAt     string `json:"expires_at"`
	Next          string `json:"next"`
	AgeGroup      string `json:"age_group"`
	Pathway       string `json:"pathway"`
	PhoneOptional bool   `json:"phone_optional"`
	CSRNonce      string `json:"csr_nonce"`
}

func startedBody(s enrol.Started) startedResponse {
	return startedResponse{ID: s.ID, Token: s.Token, ExpiresAt: rfc3339(s.ExpiresAt), Next: string(s.Next),
		AgeGroup: string(s.AgeGroup), Pathway: string(s.Pathway), PhoneOptional: s.PhoneOptional, CSRNonce: s.CSRNonce}
}

// statusResponse is an enrolment's progress: the body of GET
// /v1/enrolments/{id} and of the steps that only move it along.
type statusResponse struct {
	ID            string `json:"id"`
	State         string `json:"state"`
	Next          string `json:"next"`
	ExpiresAt     string `json:"expires_at"`
	AgeGroup      string `json:"age_group"`
	Pathway       string `json:"pathway"`
	PhoneOptional bool   `json:"phone_optional"`
}

func statusBody(s enrol.Status) statusResponse {
	return statusResponse{ID: s.ID, State: string(s.State), Next: string(s.Next), ExpiresAt: rfc3339(s.ExpiresAt),
		AgeGroup: string(s.AgeGroup), Pathway: string(s.Pathway), PhoneOptional: s.PhoneOptional}
}

// phoneChallengeResponse is the 202 body of the phone code request. To is
// the redacted number; the code itself goes by SMS only.
type phoneChallengeResponse struct {
	To           string `json:"to"`
	CodeLength   int    `json:"code_length"`
	ExpiresAt    string `json:"expires_at"`
	ResendAt     string `json:"resend_at"`
	AttemptsLeft int    `json:"attempts_left"`
	SendsLeft    int    `json:"sends_left"`
}

func phoneChallengeBody(c phone.ChallengeInfo) phoneChallengeResponse {
	return phoneChallengeResponse{To: c.To, CodeLength: c.CodeLength, ExpiresAt: rfc3339(c.ExpiresAt),
		ResendAt: rfc3339(c.ResendAt), AttemptsLeft: c.AttemptsLeft, SendsLeft: c.SendsLeft}
}

type faceChallengeResponse struct {
	Challenge string `json:"challenge"`
}

// faceResultResponse tells whether the face was matched against a
// document portrait; the score is for the operator's logs only.
type faceResultResponse struct {
	Matched      bool   `json:"matched"`
	TemplateKept bool   `json:"template_kept"`
	State        string `json:"state"`
	Next         string `json:"next"`
}

type openingJSON struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
	Salt      []byte `json:"salt"`
}

// dynamicCodeJSON describes the wallet's dynamic code (RFC 6238) as
// credential.NewDynamicCode computes it.
type dynamicCodeJSON struct {
	Secret    []byte `json:"secret"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period"`
	Algorithm string `json:"algorithm"`
}

// completedResponse is the 201 body of the completion: everything the
// wallet keeps. The openings and the dynamic-code secret are sent this
// once and never again.
type completedResponse struct {
	InternetNumber        string          `json:"internet_number"`
	InternetNumberDisplay string          `json:"internet_number_display"`
	Status                string          `json:"status"`
	Pathway               string          `json:"pathway"`
	AssuranceCeiling      string          `json:"assurance_ceiling"`
	CertificatePEM        string          `json:"certificate_pem"`
	CAPEM                 string          `json:"ca_pem"`
	Serial                string          `json:"serial"`
	Openings              []openingJSON   `json:"openings"`
	DynamicCode           dynamicCodeJSON `json:"dynamic_code"`
	GuardianApprovalCode  string          `json:"guardian_approval_code,omitempty"`
}

// dynamicCodeAlgorithm names the HMAC hash of credential.NewDynamicCode
// (SHA-256) as otpauth URIs do.
const dynamicCodeAlgorithm = "SHA256"

func completedBody(c enrol.Completed, caPEM []byte) completedResponse {
	dc := credential.NewDynamicCode(c.DynamicCodeSecret)
	openings := make([]openingJSON, 0, len(c.Openings))
	for _, o := range c.Openings {
		openings = append(openings, openingJSON{Attribute: o.Attribute, Value: o.Value, Salt: o.Salt})
	}
	return completedResponse{
		InternetNumber:        string(c.InternetNumber),
		InternetNumberDisplay: c.InternetNumber.Display(),
		Status:                string(c.Status),
		Pathway:               string(c.Pathway),
		AssuranceCeiling:      string(c.AssuranceCeiling),
		CertificatePEM:        string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate})),
		CAPEM:                 string(caPEM),
		Serial:                c.Serial,
		Openings:              openings,
		DynamicCode: dynamicCodeJSON{Secret: c.DynamicCodeSecret, Digits: dc.Digits,
			Period: int(dc.Period / time.Second), Algorithm: dynamicCodeAlgorithm},
		GuardianApprovalCode: c.GuardianApprovalCode,
	}
}

type approvalResponse struct {
	Status string `json:"status"`
}
