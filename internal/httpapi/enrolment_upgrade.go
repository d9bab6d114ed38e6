package httpapi

// POST /v1/residents/upgrade: an enrolled resident adds document evidence
// to their account (enrol.Service.Upgrade). The typical caller is a
// resident enrolled through the assisted pathway who has since obtained a
// passport or an identity card: the account keeps its internet number,
// the document's identity anchor is recorded for it (so that the document
// cannot enrol a second account), and the evidence pathway and assurance
// ceiling rise when the document's are higher.
//
// The password alone does not bind a document: the upgrade carries a live
// face capture whose liveness attestation names a challenge from
// POST /v1/residents/upgrade/challenge (enrol.Service.UpgradeChallenge),
// and for a chip the face must match the chip's portrait, as at
// enrolment. Otherwise whoever knows an account's password and briefly
// holds another person's passport could take that person's identity.
//
// The resident authenticates in the body with internet number and
// password (enrol.Service.AuthenticateResident, throttled per client
// address and per account), on both routes, as a guardian does on
// /v1/guardian/approvals. The body's shape is checked first, so that a
// malformed request costs neither a password verification nor a throttle
// count; the document and the face are verified only after the resident
// is authenticated, so that an unauthenticated caller cannot make the
// server check chips or faces for it here.

import (
	"errors"
	"net/http"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/enrol"
)

// upgradeChallengeRequest is the body of POST
// /v1/residents/upgrade/challenge.
type upgradeChallengeRequest struct {
	Resident *credentialsJSON `json:"resident"`
}

// upgradeChallengeResponse is its 200 body.
type upgradeChallengeResponse struct {
	Challenge string    `json:"challenge"`
	ExpiresAt time.Time `json:"expires_at"`
}

// upgradeRequest is the body of POST /v1/residents/upgrade.
type upgradeRequest struct {
	Resident *credentialsJSON `json:"resident"`
	Evidence *evidenceJSON    `json:"evidence"`
	Face     *upgradeFaceJSON `json:"face"`
}

// upgradeFaceJSON is the live capture of an upgrade: the face step's
// members, with the challenge its attestation names.
type upgradeFaceJSON struct {
	Challenge string `json:"challenge"`
	Image     string `json:"image"`
	Format    string `json:"format,omitempty"`
	Liveness  string `json:"liveness"`
}

// check returns the request's document evidence and face; every missing
// or malformed member is named at once.
func (u *upgradeRequest) check() (enrol.Evidence, *enrol.UpgradeFace, *Problem) {
	var f fieldErrors
	u.Resident.check(&f, "resident")
	ev := documentEvidence(&f, u.Evidence)
	var face *enrol.UpgradeFace
	if u.Face == nil {
		f.add("face", "required")
	} else {
		face = &enrol.UpgradeFace{Challenge: u.Face.Challenge}
		f.required("face.challenge", u.Face.Challenge)
		if u.Face.Image == "" {
			f.add("face.image", "required")
		} else {
			face.Capture.Image = f.decodeBase64("face.image", u.Face.Image)
		}
		f.required("face.liveness", u.Face.Liveness)
		face.Capture.Format = biometric.Format(u.Face.Format)
		face.Capture.Liveness = biometric.LivenessAttestation(u.Face.Liveness)
	}
	return ev, face, f.problem()
}

// upgradedResponse is the 200 body of the upgrade: the account as it now
// stands. The internet number is the one the account always had.
type upgradedResponse struct {
	InternetNumber   string `json:"internet_number"`
	Pathway          string `json:"pathway"`
	AssuranceCeiling string `json:"assurance_ceiling"`
}

func upgradedBody(u enrol.Upgraded) upgradedResponse {
	return upgradedResponse{InternetNumber: string(u.InternetNumber), Pathway: string(u.Pathway),
		AssuranceCeiling: string(u.AssuranceCeiling)}
}

// upgradeDuplicateDetail replaces enrol.ErrDuplicateIdentity's message,
// which is written for a start ("log in or recover your account"): here
// the resident is logged in, and the document is another account's.
const upgradeDuplicateDetail = "this document is the evidence of another internet number; an account can only be upgraded with its holder's own document"

// upgrade authenticates the resident, then adds the document evidence to
// their account. Upgrading again with a document already recorded for the
// account changes nothing and answers 200 with the account as it stands.
func (h *enrolmentHandlers) upgrade(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req upgradeRequest
	if err := decodeJSONRequest(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ev, face, p := req.check()
	if p != nil {
		h.fail(w, r, p)
		return
	}
	acct, err := h.svc.AuthenticateResident(ctx, req.Resident.InternetNumber, req.Resident.Password, ClientAddrFrom(ctx))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	up, err := h.svc.Upgrade(ctx, acct.ID, ev, face)
	switch {
	case errors.Is(err, enrol.ErrDuplicateIdentity):
		h.fail(w, r, NewProblem(http.StatusConflict, "duplicate-identity", upgradeDuplicateDetail))
		return
	case errors.Is(err, enrol.ErrNotFound):
		// The account was deleted between the login and the upgrade:
		// its credentials are no longer valid. enrol.ErrNotFound's own
		// message speaks of enrolments.
		h.fail(w, r, enrol.ErrBadCredentials)
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, upgradedBody(up))
}

// upgradeChallenge authenticates the resident and returns a liveness
// challenge for their upgrade, valid until expires_at.
func (h *enrolmentHandlers) upgradeChallenge(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var req upgradeChallengeRequest
	if err := decodeJSONRequest(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	var f fieldErrors
	req.Resident.check(&f, "resident")
	if p := f.problem(); p != nil {
		h.fail(w, r, p)
		return
	}
	acct, err := h.svc.AuthenticateResident(ctx, req.Resident.InternetNumber, req.Resident.Password, ClientAddrFrom(ctx))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ch, expires, err := h.svc.UpgradeChallenge(ctx, acct.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, upgradeChallengeResponse{Challenge: ch, ExpiresAt: expires.UTC()})
}
