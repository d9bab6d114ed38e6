package httpapi

// POST /v1/residents/certificate/challenge and
// POST /v1/residents/certificate/renew: an enrolled resident moves their
// internet certificate to a new device key (enrol.Service.RenewChallenge
// and RenewCertificate). The old certificate is revoked as superseded in
// the same transaction as the new one is issued.
//
// A certificate is the device factor, so the password alone must not
// obtain one: the renewal carries the new key's CSR with the challenge as
// its nonce, and a signature by the current certificate's device key over
// the challenge and the new key (enrol.RenewMessage). Renewal without the
// old device needs identity re-verification and is not offered yet
// (old-device-required).
//
// As on the upgrade routes, the resident authenticates in the body with
// internet number and password (throttled), after the body's shape is
// checked, so that a malformed request costs no password verification.

import (
	"encoding/pem"
	"errors"
	"net/http"
	"time"

	"github.com/netid/netid/internal/enrol"
)

// renewChallengeRequest is the body of POST
// /v1/residents/certificate/challenge.
type renewChallengeRequest struct {
	Resident *credentialsJSON `json:"resident"`
}

// renewChallengeResponse is its 200 body.
type renewChallengeResponse struct {
	Challenge string    `json:"challenge"`
	ExpiresAt time.Time `json:"expires_at"`
}

// renewRequest is the body of POST /v1/residents/certificate/renew.
type renewRequest struct {
	Resident *credentialsJSON `json:"resident"`
	// CSR is the new device key's PKCS#10 request, PEM, whose
	// challengePassword is the challenge.
	CSR string `json:"csr"`
	// Challenge is the one the CSR and the signature carry.
	Challenge string `json:"challenge"`
	// OldDeviceSignature is standard base64 of the signature by the
	// current device key over enrol.RenewMessage.
	OldDeviceSignature string `json:"old_device_signature"`
}

// check returns the renewal request; every missing or malformed member is
// named at once. An absent old_device_signature is left to package enrol,
// whose refusal says why it is needed.
func (q *renewRequest) check() (enrol.RenewRequest, *Problem) {
	var f fieldErrors
	q.Resident.check(&f, "resident")
	f.required("csr", q.CSR)
	f.required("challenge", q.Challenge)
	req := enrol.RenewRequest{Challenge: q.Challenge, CSR: []byte(q.CSR)}
	if q.OldDeviceSignature != "" {
		req.OldDeviceSignature = f.decodeBase64("old_device_signature", q.OldDeviceSignature)
	}
	return req, f.problem()
}

// renewedResponse is the 201 body of a renewal.
type renewedResponse struct {
	CertificatePEM string `json:"certificate_pem"`
	Serial         string `json:"serial"`
	CAPEM          string `json:"ca_pem"`
}

// renewChallenge authenticates the resident and returns a challenge for
// their renewal, valid until expires_at.
func (h *enrolmentHandlers) renewChallenge(w http.ResponseWriter, r *http.Request, req *renewChallengeRequest) error {
	ctx := r.Context()
	var f fieldErrors
	req.Resident.check(&f, "resident")
	if p := f.problem(); p != nil {
		return p
	}
	acct, err := h.svc.AuthenticateResident(ctx, req.Resident.InternetNumber, req.Resident.Password, ClientAddrFrom(ctx))
	if err != nil {
		return err
	}
	ch, expires, err := h.svc.RenewChallenge(ctx, acct.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, renewChallengeResponse{Challenge: ch, ExpiresAt: expires.UTC()})
	return nil
}

// renew authenticates the resident and renews their certificate on the
// CSR's key, approved by the current device.
func (h *enrolmentHandlers) renew(w http.ResponseWriter, r *http.Request, q *renewRequest) error {
	ctx := r.Context()
	req, p := q.check()
	if p != nil {
		return p
	}
	acct, err := h.svc.AuthenticateResident(ctx, q.Resident.InternetNumber, q.Resident.Password, ClientAddrFrom(ctx))
	if err != nil {
		return err
	}
	caPEM, err := h.ca.CACertificatesPEM(ctx)
	if err != nil {
		return err
	}
	done, err := h.svc.RenewCertificate(ctx, acct.ID, req)
	if errors.Is(err, enrol.ErrNotFound) {
		// Deleted between the login and the renewal: its credentials
		// are no longer valid. enrol.ErrNotFound speaks of enrolments.
		return enrol.ErrBadCredentials
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, renewedResponse{
		CertificatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: done.Certificate})),
		Serial:         done.Serial,
		CAPEM:          string(caPEM),
	})
	return nil
}
