package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/httpapi/jsonbody"
	"github.com/netid/netid/internal/httpapi/problem"
	"github.com/netid/netid/internal/rp"
)

// The wallet's approval API: how `netid wallet approve` reads a pending
// approval and answers it.
//
//	GET  /v1/approvals/{code}   what is asked: the RP, its purposes, the claims, the challenge
//	POST /v1/approvals/{code}   {"decision", "presentation", "allow", ...}: approve or deny
//
// The answer is a certificate presentation (credential.CreatePresentation)
// bound to the RP's client id and the approval's random challenge, so it
// is good for this approval only. The provider checks it as the online
// verification API does (chain to the CA, suite, validity, revocation read
// from the store), then: a login approval must be answered by the
// resident who entered the password; the resident's account must be
// active and its wallet sign-in not locked; the approval must be pending
// and unexpired, and the decision is a compare-and-set on it, so that it
// is taken once. Denying needs the same proof as approving, so that
// nobody else can cancel a resident's sign-in. Both routes are throttled
// per client address: approval codes are short.
//
// Refusals are RFC 9457 problems (urn:netid:problem:<slug>).

// maxApprovalBody bounds the answer's body: a presentation is about 1,300
// characters.
const maxApprovalBody = 32 << 10

// ApprovalClaim is one claim an approval asks for, with the RP's purpose.
type ApprovalClaim struct {
	Claim   rp.Claim `json:"claim"`
	Purpose string   `json:"purpose"`
	// Identity is true for identity data in plain text (name, birth date,
	// document number...), which needs the separate plaintext consent.
	Identity bool `json:"identity"`
}

// ApprovalView is the answer of GET /v1/approvals/{code}.
type ApprovalView struct {
	Kind     ApprovalKind   `json:"kind"`
	Status   ApprovalStatus `json:"status"`
	ClientID string         `json:"client_id"`
	RPName   string         `json:"rp_name"`
	// Level is the level the sign-in reaches when approved.
	Level enrol.Assurance `json:"level"`
	// Claims are the claims the RP asks for and is approved for. For a
	// login they are decided on the consent page of the browser; for a
	// device sign-in, in the answer.
	Claims []ApprovalClaim `json:"claims"`
	// SharesOnward: the RP shares what it receives with third parties,
	// which needs the separate onward consent.
	SharesOnward bool `json:"shares_onward"`
	// Challenge is what the presentation must answer, base64url.
	Challenge string    `json:"challenge"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ApprovalAnswer is the body of POST /v1/approvals/{code}.
type ApprovalAnswer struct {
	// Decision is "approve" or "deny".
	Decision string `json:"decision"`
	// Presentation is the wallet's presentation, "NETID1:...".
	Presentation string `json:"presentation"`
	// Allow, AllowPlaintext and AllowOnward are the resident's consent
	// (device sign-ins only), as on the consent page: the claims to
	// release, plain-text identity data, sharing onward. Remember keeps
	// the decision for the RP's next sign-ins.
	Allow          []rp.Claim `json:"allow,omitempty"`
	AllowPlaintext bool       `json:"allow_plaintext,omitempty"`
	AllowOnward    bool       `json:"allow_onward,omitempty"`
	Remember       bool       `json:"remember,omitempty"`
}

// ApprovalResult is the answer of POST /v1/approvals/{code}.
type ApprovalResult struct {
	Status ApprovalStatus `json:"status"`
	Kind   ApprovalKind   `json:"kind"`
	// Released are the claims the RP will receive (device sign-ins).
	Released []rp.Claim `json:"released"`
}

// The decisions of an answer.
const (
	decisionApprove = "approve"
	decisionDeny    = "deny"
)

// approvalProblem writes a problem of the approval API.
func approvalProblem(w http.ResponseWriter, r *http.Request, status int, slug, detail string) {
	problem.Write(w, r, problem.New(status, slug, detail))
}

// approvalInternal writes the problem of a failure the wallet cannot fix
// (500, or 503 when the store is unavailable), logging the cause.
func (p *Provider) approvalInternal(w http.ResponseWriter, r *http.Request, op string, err error) {
	problem.WriteError(w, r, p.log, fmt.Errorf("oidc: %s: %w", op, err))
}

// approvalAt finds the approval a request's code names, with its RP. It
// answers 429, 404 (malformed or unknown code), 410 (expired) itself and
// returns false. Only a code that names no approval counts against the
// client address's limit: a guess is what the limit is for, and a wallet
// answering its own sign-in (two lookups) need not write a counter.
func (p *Provider) approvalAt(w http.ResponseWriter, r *http.Request) (Approval, rp.RP, bool) {
	ctx := r.Context()
	addr := p.clientAddr(r)
	ok, wait, err := p.lookups.Check(ctx, addr)
	if err != nil {
		p.approvalInternal(w, r, "approval throttle", err)
		return Approval{}, rp.RP{}, false
	}
	if !ok {
		secs := int64((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		approvalProblem(w, r, http.StatusTooManyRequests, "throttled",
			fmt.Sprintf("too many approval codes looked up from this address; retry in %d seconds", secs))
		return Approval{}, rp.RP{}, false
	}
	notFound := func() (Approval, rp.RP, bool) {
		if _, _, err := p.lookups.Allow(ctx, addr); err != nil {
			p.approvalInternal(w, r, "approval throttle", err)
			return Approval{}, rp.RP{}, false
		}
		approvalProblem(w, r, http.StatusNotFound, "approval-not-found",
			"no sign-in waits for this code: check the code, or start the sign-in again")
		return Approval{}, rp.RP{}, false
	}
	code, valid := normalCode(r.PathValue("code"))
	if !valid {
		return notFound()
	}
	a, err := p.d.Store.ApprovalByCode(ctx, codeHash(code))
	switch {
	case isNotFound(err):
		return notFound()
	case err != nil:
		p.approvalInternal(w, r, "approval lookup", err)
		return Approval{}, rp.RP{}, false
	case !p.now().Before(a.ExpiresAt):
		approvalProblem(w, r, http.StatusGone, "approval-expired",
			"the time to approve this sign-in has run out: start the sign-in again")
		return Approval{}, rp.RP{}, false
	}
	c, err := p.activeClient(ctx, a.ClientID)
	if err != nil {
		approvalProblem(w, r, http.StatusGone, "approval-expired", "the site that asked can no longer use netid")
		return Approval{}, rp.RP{}, false
	}
	return a, c.rp, true
}

// approvalAsks returns what an approval asks: the claims (with purposes)
// and the level. A login's are those of its interaction, which must still
// be there.
func (p *Provider) approvalAsks(ctx context.Context, a Approval, party rp.RP) ([]rp.Claim, enrol.Assurance, error) {
	switch a.Kind {
	case ApprovalDevice:
		var req deviceRequest
		if err := json.Unmarshal(a.Request, &req); err != nil {
			return nil, "", err
		}
		return approvedOnly(party, req.Claims), enrol.AssuranceSubstantial, nil
	case ApprovalLogin:
		in, err := p.d.Store.Interaction(ctx, a.InteractionID)
		if err != nil {
			return nil, "", err
		}
		var pr pendingRequest
		if err := json.Unmarshal(in.Request, &pr); err != nil {
			return nil, "", err
		}
		return approvedOnly(party, pr.Claims), enrol.AssuranceSubstantial, nil
	}
	return nil, "", fmt.Errorf("approval %s of kind %q", a.ID, a.Kind)
}

// approvalRequest serves GET /v1/approvals/{code}.
func (p *Provider) approvalRequest(w http.ResponseWriter, r *http.Request) {
	a, party, ok := p.approvalAt(w, r)
	if !ok {
		return
	}
	claims, level, err := p.approvalAsks(r.Context(), a, party)
	if isNotFound(err) {
		approvalProblem(w, r, http.StatusGone, "approval-expired", "the sign-in was finished or abandoned in the browser")
		return
	}
	if err != nil {
		p.approvalInternal(w, r, "approval request", err)
		return
	}
	view := ApprovalView{Kind: a.Kind, Status: a.Status, ClientID: party.ClientID, RPName: party.Name, Level: level,
		Claims: []ApprovalClaim{}, SharesOnward: party.SharesOnward,
		Challenge: base64.RawURLEncoding.EncodeToString(a.Challenge), ExpiresAt: a.ExpiresAt}
	for _, it := range consentItems(party, claims) {
		view.Claims = append(view.Claims, ApprovalClaim{Claim: it.Claim, Purpose: it.Purpose, Identity: it.Class == rp.ClassIdentity})
	}
	writeAPIJSON(w, http.StatusOK, view)
}

// approvalAnswer serves POST /v1/approvals/{code}.
func (p *Provider) approvalAnswer(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, party, ok := p.approvalAt(w, r)
	if !ok {
		return
	}
	ans, err := decodeAnswer(w, r)
	if err != nil {
		// jsonbody's refusals carry their own status (415, 413, 400); what
		// parseAnswer refuses in a well-formed body is a bad request.
		p, ok := jsonbody.Problem(err, problem.New).(*problem.Problem)
		if !ok {
			p = problem.New(http.StatusBadRequest, "bad-request", err.Error())
		}
		problem.Write(w, r, p)
		return
	}
	if a.Status != ApprovalPending {
		approvalProblem(w, r, http.StatusConflict, "approval-decided", "this sign-in was approved or denied already")
		return
	}
	resident, ok := p.presenter(w, r, a, party, ans.Presentation)
	if !ok {
		return
	}
	next := a
	next.Version, next.DecidedAt, next.ResidentID = a.Version+1, p.stamp(), resident.ID
	result := ApprovalResult{Kind: a.Kind, Released: []rp.Claim{}}
	var remember *Consent
	if ans.Decision == decisionDeny {
		next.Status = ApprovalDenied
	} else {
		next.Status = ApprovalApproved
		if a.Kind == ApprovalDevice {
			claims, _, err := p.approvalAsks(ctx, a, party)
			if err != nil {
				p.approvalInternal(w, r, "approval request", err)
				return
			}
			c, err := p.walletConsent(ctx, resident.ID, party, claims, ans)
			if err != nil {
				p.approvalInternal(w, r, "consent lookup", err)
				return
			}
			if ans.Remember {
				remember = &c
			}
			result.Released = released(party, c, claims)
			if next.Decision, err = json.Marshal(deviceDecision{InternetNumber: resident.InternetNumber, Claims: result.Released}); err != nil {
				p.approvalInternal(w, r, "approval decision", err)
				return
			}
		}
	}
	if remember == nil {
		// The compare-and-set alone is atomic; a transaction around it
		// would only add BEGIN and COMMIT round trips on PostgreSQL.
		err = p.d.Store.UpdateApproval(ctx, a.Version, next)
	} else {
		err = p.d.Store.InTx(ctx, func(ctx context.Context) error {
			if err := p.d.Store.UpdateApproval(ctx, a.Version, next); err != nil {
				return err
			}
			return p.remember(ctx, *remember)
		})
	}
	switch {
	case isConflict(err) || isNotFound(err):
		approvalProblem(w, r, http.StatusConflict, "approval-decided", "this sign-in was approved or denied already")
		return
	case err != nil:
		p.approvalInternal(w, r, "record decision", err)
		return
	}
	result.Status = next.Status
	writeAPIJSON(w, http.StatusOK, result)
}

// walletConsent is the consent of a device sign-in: what the resident
// allowed in the wallet now, and, for the claims not allowed now, the
// decisions they remembered for the RP (for the purposes it states now).
// Claims outside the request are ignored: the wallet cannot widen it.
func (p *Provider) walletConsent(ctx context.Context, residentID string, party rp.RP, claims []rp.Claim, ans ApprovalAnswer) (Consent, error) {
	old, _, err := p.consentFor(ctx, residentID, party, claims)
	if err != nil {
		return Consent{}, err
	}
	now := p.stamp()
	c := Consent{ResidentID: residentID, ClientID: party.ClientID, Plaintext: ans.AllowPlaintext || old.Plaintext,
		Onward: ans.AllowOnward || old.Onward, CreatedAt: now, UpdatedAt: now}
	for _, it := range consentItems(party, claims) {
		rememberedGrant, _ := decision(old, it.Claim, it.Purpose)
		c.Claims = append(c.Claims, ConsentClaim{Claim: it.Claim, Purpose: it.Purpose,
			Granted: slices.Contains(ans.Allow, it.Claim) || rememberedGrant})
	}
	return c, nil
}

// presenter verifies the presentation of an answer and returns the
// resident it names, checked against the approval. It answers every
// refusal itself and returns false.
func (p *Provider) presenter(w http.ResponseWriter, r *http.Request, a Approval, party rp.RP, text string) (enrol.ResidentRecord, bool) {
	ctx := r.Context()
	fail := func(status int, slug, detail string) (enrol.ResidentRecord, bool) {
		approvalProblem(w, r, status, slug, detail)
		return enrol.ResidentRecord{}, false
	}
	roots, err := p.d.CA.CACertificates(ctx)
	if err != nil {
		p.approvalInternal(w, r, "CA certificates", err)
		return enrol.ResidentRecord{}, false
	}
	// Revocation is read from the store below, current to the second.
	vp, err := credential.VerifyPresentation(p.d.Suite, text, roots, credential.PresentationExpectation{
		ClientID: party.ClientID, Challenge: a.Challenge, Now: p.now(),
	}, nil)
	if err != nil {
		if slug, ok := credential.PresentationFailure(err); ok {
			return fail(http.StatusUnprocessableEntity, slug, err.Error())
		}
		p.approvalInternal(w, r, "verify presentation", err)
		return enrol.ResidentRecord{}, false
	}
	serial := credential.FormatSerial(vp.Certificate.Serial)
	rec, err := p.d.Store.Certificate(ctx, serial)
	switch {
	case isNotFound(err):
		p.log.ErrorContext(ctx, "oidc: approval with a certificate the store does not know", "serial", serial)
		return fail(http.StatusUnprocessableEntity, "presentation-certificate-unknown", "the certificate is not one this service issued")
	case err != nil:
		p.approvalInternal(w, r, "certificate lookup", err)
		return enrol.ResidentRecord{}, false
	case rec.Revoked():
		return fail(http.StatusUnprocessableEntity, "presentation-certificate-revoked",
			"the certificate was revoked ("+rec.Reason.String()+") at "+rec.RevokedAt.UTC().Format(time.RFC3339))
	}
	res, err := p.d.Store.ResidentByNumber(ctx, string(vp.Certificate.InternetNumber))
	switch {
	case isNotFound(err):
		return fail(http.StatusForbidden, "approval-account-inactive", "the account of this certificate cannot sign in")
	case err != nil:
		p.approvalInternal(w, r, "resident lookup", err)
		return enrol.ResidentRecord{}, false
	case a.Kind == ApprovalLogin && res.ID != a.ResidentID:
		return fail(http.StatusForbidden, "approval-wrong-resident",
			"this sign-in belongs to another resident: approve it with the wallet of the account whose password was entered")
	case res.Status == enrol.StatusPendingGuardian:
		return fail(http.StatusForbidden, "approval-account-inactive", "the account is waiting for its guardian's approval")
	case res.Status != enrol.StatusActive:
		return fail(http.StatusForbidden, "approval-account-inactive", "the account of this certificate cannot sign in")
	case res.Ceiling.Rank() < enrol.AssuranceSubstantial.Rank():
		return fail(http.StatusForbidden, "approval-level", "this account cannot reach the level the sign-in needs")
	}
	err = p.d.Residents.CheckMethod(ctx, res.ID, enrol.MethodWallet)
	var locked *enrol.LockedError
	switch {
	case errors.As(err, &locked):
		// The platform learns it at once too: the approval ends denied,
		// with the lock as its reason, rather than waiting to expire.
		p.denyLocked(ctx, a, res.ID, locked.Method)
		return fail(http.StatusForbidden, "approval-locked", locked.Error())
	case err != nil:
		p.approvalInternal(w, r, "check method", err)
		return enrol.ResidentRecord{}, false
	}
	return res, true
}

// decodeAnswer reads the answer strictly: application/json, one object
// (package jsonbody), a known decision, a presentation, known claims.
func decodeAnswer(w http.ResponseWriter, r *http.Request) (ApprovalAnswer, error) {
	body, err := jsonbody.Read(w, r, maxApprovalBody)
	if err != nil {
		return ApprovalAnswer{}, err
	}
	return parseAnswer(body)
}

// parseAnswer decodes and checks an answer's JSON.
func parseAnswer(body []byte) (ApprovalAnswer, error) {
	var ans ApprovalAnswer
	if err := jsonbody.Decode(body, &ans); err != nil {
		return ApprovalAnswer{}, err
	}
	var errs []error
	if ans.Decision != decisionApprove && ans.Decision != decisionDeny {
		errs = append(errs, errors.New(`decision must be "approve" or "deny"`))
	}
	if ans.Presentation == "" {
		errs = append(errs, errors.New("presentation is required: sign the approval with the wallet's device key"))
	}
	if len(ans.Allow) > len(rp.Claims()) {
		errs = append(errs, fmt.Errorf("allow lists %d claims, more than there are", len(ans.Allow)))
	} else {
		for _, c := range ans.Allow {
			if c.Class() == rp.ClassUnknown {
				errs = append(errs, fmt.Errorf("allow: %q is not a claim", truncated(string(c))))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return ApprovalAnswer{}, err
	}
	return ans, nil
}

// truncated bounds outside input echoed in a message.
func truncated(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// writeAPIJSON writes v as a JSON answer that no cache keeps.
func writeAPIJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// denyLocked ends a pending approval as denied because the resident locked
// the method (or the account). It is best effort: if the approval changed
// meanwhile, the other decision stands.
func (p *Provider) denyLocked(ctx context.Context, a Approval, residentID string, m enrol.Method) {
	decision, err := json.Marshal(deniedDecision{Locked: m})
	if err != nil {
		return
	}
	next := a
	next.Status, next.Decision, next.ResidentID = ApprovalDenied, decision, residentID
	next.Version, next.DecidedAt = a.Version+1, p.stamp()
	if err := p.d.Store.UpdateApproval(ctx, a.Version, next); err != nil && !isConflict(err) && !isNotFound(err) {
		p.log.WarnContext(ctx, "oidc: recording a locked approval failed", "err", err)
	}
}
