package wallet

import (
	"context"
	"time"

	"github.com/netid/netid/internal/credential"
)

// The wallet statuses of a Summary besides the account statuses the
// server reports (active, pending-guardian).
const (
	StatusNew       = "new"       // a device key, no enrolment yet
	StatusEnrolling = "enrolling" // an enrolment in progress
)

// Summary is what `netid wallet show` prints: everything but the secrets,
// unless asked.
type Summary struct {
	WalletDir string `json:"wallet_dir"`
	Suite     string `json:"suite"`
	Server    string `json:"server,omitempty"`
	// DeviceKeySHA256 is the SHA-256 of the device key's
	// SubjectPublicKeyInfo, hexadecimal.
	DeviceKeySHA256 string `json:"device_key_sha256"`
	// Status is new, enrolling, or the account status at enrolment
	// (active or pending-guardian).
	Status                string              `json:"status"`
	Enrolment             *EnrolmentSummary   `json:"enrolment,omitempty"`
	InternetNumber        string              `json:"internet_number,omitempty"`
	InternetNumberDisplay string              `json:"internet_number_display,omitempty"`
	Pathway               string              `json:"pathway,omitempty"`
	AssuranceCeiling      string              `json:"assurance_ceiling,omitempty"`
	Certificate           *CertificateSummary `json:"certificate,omitempty"`
	// Attributes names the committed attributes; their values are
	// secrets.
	Attributes []string `json:"attributes,omitempty"`
	// Secrets is set only when asked for.
	Secrets *Secrets `json:"secrets,omitempty"`
}

// EnrolmentSummary describes an enrolment in progress.
type EnrolmentSummary struct {
	ID        string    `json:"id"`
	AgeGroup  string    `json:"age_group,omitempty"`
	Pathway   string    `json:"pathway,omitempty"`
	StartedAt time.Time `json:"started_at"`
	ExpiresAt time.Time `json:"expires_at"`
	// PhoneCodeSentTo is where a code was sent, redacted.
	PhoneCodeSentTo string `json:"phone_code_sent_to,omitempty"`
	// FaceChallenge is the open liveness challenge, if any: not a secret
	// (an attestation needs the detector's key), and what an external
	// detector must attest.
	FaceChallenge string `json:"face_challenge,omitempty"`
}

// CertificateSummary describes the internet certificate.
type CertificateSummary struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// Verified says whether it verified at enrolment (VerifyAccount).
	Verified bool `json:"verified"`
	// Expired says whether it is past NotAfter now.
	Expired bool `json:"expired"`
}

// Secrets are the wallet's secrets, for --show-secrets.
type Secrets struct {
	EnrolmentToken       string    `json:"enrolment_token,omitempty"`
	DynamicCodeSecret    []byte    `json:"dynamic_code_secret,omitempty"`
	Openings             []Opening `json:"openings,omitempty"`
	GuardianApprovalCode string    `json:"guardian_approval_code,omitempty"`
}

// Summary describes the wallet at now; secrets only when showSecrets.
func (w *Wallet) Summary(showSecrets bool, now time.Time) Summary {
	s := w.state
	out := Summary{
		WalletDir: w.dir, Suite: string(s.Suite), Server: s.Server,
		DeviceKeySHA256: w.DeviceKeyFingerprint(), Status: StatusNew,
	}
	var sec Secrets
	if en := s.Enrolment; en != nil {
		out.Status = StatusEnrolling
		out.Enrolment = &EnrolmentSummary{
			ID: en.ID, AgeGroup: en.AgeGroup, Pathway: en.Pathway, StartedAt: en.StartedAt, ExpiresAt: en.ExpiresAt,
			PhoneCodeSentTo: en.PhoneSentToDisplay, FaceChallenge: en.FaceChallenge,
		}
		sec.EnrolmentToken = en.Token
	}
	if a := s.Account; a != nil {
		out.Status = a.Status
		out.InternetNumber, out.InternetNumberDisplay = a.InternetNumber, a.InternetNumberDisplay
		out.Pathway, out.AssuranceCeiling = a.Pathway, a.AssuranceCeiling
		cs := &CertificateSummary{Serial: a.Serial, NotBefore: a.NotBefore, NotAfter: a.NotAfter, Verified: a.Verified}
		if c, err := w.Certificate(); err == nil {
			cs.Subject, cs.Issuer = c.Subject.String(), c.Issuer.String()
			cs.Serial = credential.FormatSerial(c.SerialNumber)
			cs.NotBefore, cs.NotAfter = c.NotBefore.UTC(), c.NotAfter.UTC()
		}
		cs.Expired = !cs.NotAfter.IsZero() && now.After(cs.NotAfter)
		out.Certificate = cs
		for _, o := range a.Openings {
			out.Attributes = append(out.Attributes, o.Attribute)
		}
		sec.DynamicCodeSecret, sec.Openings, sec.GuardianApprovalCode = a.DynamicCode.Secret, a.Openings, a.GuardianApprovalCode
	}
	if showSecrets {
		out.Secrets = &sec
	}
	return out
}

// MinorApproval is a guardian's approval of a minor of 15 to 17, as the
// guardian's wallet sends it.
type MinorApproval struct {
	MinorInternetNumber string
	ApprovalCode        string
	Relationship        string
	EvidenceKind        string
	EvidenceReference   string
	EvidenceNotes       string
}

// ApproveMinor approves a minor as the guardian whose wallet w is: the
// guardian authenticates with the wallet's internet number and password.
func ApproveMinor(ctx context.Context, w *Wallet, c *Client, password string, a MinorApproval) error {
	acct := w.state.Account
	if acct == nil {
		return ErrNotEnrolled
	}
	if srv := w.state.Server; srv != "" && srv != c.Server() {
		return ErrOtherServer
	}
	if password == "" {
		return &InputNeededError{Input: InputPassword, For: "the approval"}
	}
	return c.ApproveMinor(ctx, MinorApprovalRequest{
		Guardian:            GuardianLogin{InternetNumber: acct.InternetNumber, Password: password},
		MinorInternetNumber: a.MinorInternetNumber, ApprovalCode: a.ApprovalCode, Relationship: a.Relationship,
		EvidenceKind: a.EvidenceKind, EvidenceReference: a.EvidenceReference, EvidenceNotes: a.EvidenceNotes,
	})
}
