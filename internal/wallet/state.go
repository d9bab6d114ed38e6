package wallet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/crypto/suite"
)

// Format is the value of the "format" member of wallet.json. A wallet
// written by a later netid with another format is refused rather than
// rewritten without the members this version does not know.
const Format = "netid-wallet/1"

// State is the content of wallet.json: everything the wallet knows but
// its device key. It holds secrets (the enrolment token, the dynamic-code
// secret, the openings, the guardian approval code): never print it
// whole; Summary is what may be shown.
type State struct {
	Format string     `json:"format"`
	Suite  suite.Name `json:"suite"`
	// Server is the base URL of the netid server the wallet enrols with;
	// empty until the first enrolment or init with a server.
	Server    string    `json:"server,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Enrolment is the enrolment in progress, nil when none is.
	Enrolment *Enrolment `json:"enrolment,omitempty"`
	// Account is what the completed enrolment returned, nil before.
	Account *Account `json:"account,omitempty"`
	// UpgradeChallenge is the liveness challenge of an upgrade that
	// stopped for an attestation, nil when none is pending.
	UpgradeChallenge *PendingChallenge `json:"upgrade_challenge,omitempty"`
	// Translog is the transparency log's verifier keys, pinned at the
	// first history check, and what the last successful check saw; nil
	// before the first (see VerifyHistory).
	Translog *TranslogPin `json:"translog,omitempty"`
}

// PendingChallenge is a server's liveness challenge kept between runs, so
// that an attestation made outside the wallet for it is usable on the
// next run.
type PendingChallenge struct {
	Challenge string    `json:"challenge"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Enrolment is an enrolment in progress: what the wallet needs to resume
// it after an interruption. The server is asked where it stands (GET
// /v1/enrolments/{id}); the wallet only remembers what the server cannot
// tell again.
type Enrolment struct {
	ID string `json:"id"`
	// Token is the enrolment's capability, shown once by the server. Secret.
	Token string `json:"token"`
	// CSRNonce goes into the certification request (credential.CreateCSR).
	CSRNonce      string    `json:"csr_nonce"`
	ExpiresAt     time.Time `json:"expires_at"`
	AgeGroup      string    `json:"age_group,omitempty"`
	Pathway       string    `json:"pathway,omitempty"`
	PhoneOptional bool      `json:"phone_optional,omitempty"`
	StartedAt     time.Time `json:"started_at"`
	// PhoneSentTo is the number (E.164 when the wallet could parse it) a
	// code was sent to, so that a resumed enrolment verifies that code
	// rather than sending another; PhoneSentToDisplay is the server's
	// redacted form for messages.
	PhoneSentTo        string    `json:"phone_sent_to,omitempty"`
	PhoneSentToDisplay string    `json:"phone_sent_to_display,omitempty"`
	PhoneSentAt        time.Time `json:"phone_sent_at,omitzero"`
	// FaceChallenge is the open liveness challenge, kept so that an
	// attestation made outside the wallet for it is still usable on the
	// next run (the server replaces its challenge at every request).
	FaceChallenge   string    `json:"face_challenge,omitempty"`
	FaceChallengeAt time.Time `json:"face_challenge_at,omitzero"`
}

// Account is what the wallet keeps of its enrolled account.
type Account struct {
	InternetNumber        string `json:"internet_number"`
	InternetNumberDisplay string `json:"internet_number_display,omitempty"`
	// Status is the account status the server reported at completion
	// (active, or pending-guardian for a minor of 15 to 17). A guardian's
	// later approval is not reflected here.
	Status string `json:"status"`
	// Pathway and AssuranceCeiling are the evidence pathway and ceiling
	// the server reported at completion, or at the last Upgrade.
	Pathway          string `json:"pathway,omitempty"`
	AssuranceCeiling string `json:"assurance_ceiling,omitempty"`
	// CertificatePEM is the internet certificate for the device key;
	// CAPEM the CA certificates it chains to; Serial its serial number.
	CertificatePEM string `json:"certificate_pem"`
	CAPEM          string `json:"ca_pem"`
	Serial         string `json:"serial"`
	// Verified says whether the certificate verified against CAPEM, for
	// this device key, with openings that open its commitments (see
	// Verify). A wallet keeps an unverified answer rather than lose the
	// only copy of its secrets, but reports it.
	Verified  bool      `json:"verified"`
	NotBefore time.Time `json:"not_before,omitzero"`
	NotAfter  time.Time `json:"not_after,omitzero"`
	// Openings are the values and salts of the certificate's commitments:
	// personal data, disclosed only by choice.
	Openings []Opening `json:"openings,omitempty"`
	// DynamicCode is the secret and parameters of the dynamic code.
	DynamicCode DynamicCodeParams `json:"dynamic_code"`
	// GuardianApprovalCode, for a minor of 15 to 17, is what the minor
	// hands to their guardian for the approval. Secret.
	GuardianApprovalCode string    `json:"guardian_approval_code,omitempty"`
	EnrolledAt           time.Time `json:"enrolled_at"`
}

// Opening is the value and salt of one committed attribute, as the
// server returned it and credential.Opening holds it.
type Opening struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
	Salt      []byte `json:"salt"`
}

// DynamicCodeParams are the secret and parameters of the wallet's dynamic
// code (RFC 6238).
type DynamicCodeParams struct {
	Secret []byte `json:"secret"`
	Digits int    `json:"digits"`
	// Period is the time step in seconds.
	Period int `json:"period"`
	// Algorithm is the HMAC hash: SHA1, SHA256 or SHA512.
	Algorithm string `json:"algorithm"`
}

// parseState decodes wallet.json strictly: unknown members and trailing
// data are refused, so that a file this version cannot fully understand
// is never rewritten without what it did not understand.
func parseState(b []byte) (State, error) {
	var s State
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return State{}, fmt.Errorf("%w: wallet.json: %w", ErrWalletFormat, err)
	}
	if dec.More() {
		return State{}, fmt.Errorf("%w: wallet.json: data after the object", ErrWalletFormat)
	}
	if err := s.check(); err != nil {
		return State{}, err
	}
	return s, nil
}

// check reports every inconsistency of s at once.
func (s State) check() error {
	var errs []error
	if s.Format != Format {
		errs = append(errs, fmt.Errorf("format %q is not %q (a wallet written by another netid version?)", s.Format, Format))
	}
	if _, err := suite.Parse(string(s.Suite)); err != nil {
		errs = append(errs, err)
	}
	if e := s.Enrolment; e != nil && (e.ID == "" || e.Token == "" || e.CSRNonce == "") {
		errs = append(errs, errors.New("enrolment without id, token or CSR nonce"))
	}
	if a := s.Account; a != nil && (a.InternetNumber == "" || a.CertificatePEM == "") {
		errs = append(errs, errors.New("account without internet number or certificate"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: wallet.json: %w", ErrWalletFormat, err)
	}
	return nil
}

// marshal encodes s for wallet.json, indented for a human who looks.
func (s State) marshal() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// clone returns a deep copy of s, so that callers of Wallet.State cannot
// change the wallet's copy by accident.
func (s State) clone() State {
	b, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("wallet: state does not marshal: %v", err))
	}
	var c State
	if err := json.Unmarshal(b, &c); err != nil {
		panic(fmt.Sprintf("wallet: state does not unmarshal: %v", err))
	}
	return c
}
