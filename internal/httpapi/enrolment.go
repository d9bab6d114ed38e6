package httpapi

// The enrolment API (v1): the HTTP face of package enrol, for the wallet
// and for registrars' desks. Route map (request and response bodies in
// openapi.json, served at GET /v1/openapi.json):
//
//	POST /v1/enrolments                    Start: document evidence, optional guardian application
//	POST /v1/assisted-enrolments           StartAssisted; Authorization: Bearer <registrar token>
//	GET  /v1/enrolments/{id}               Status
//	POST /v1/enrolments/{id}/phone         SendPhoneCode (202)
//	POST /v1/enrolments/{id}/phone/verify  VerifyPhone
//	POST /v1/enrolments/{id}/phone/skip    SkipPhone
//	POST /v1/enrolments/{id}/face/challenge FaceChallenge
//	POST /v1/enrolments/{id}/face          SubmitFace
//	POST /v1/enrolments/{id}/password      SetPassword
//	POST /v1/enrolments/{id}/complete      Complete (201): internet number, certificate, openings
//	POST /v1/guardian/approvals            AuthenticateResident + ApproveMinor
//	POST /v1/residents/upgrade/challenge   AuthenticateResident + UpgradeChallenge (enrolment_upgrade.go)
//	POST /v1/residents/upgrade             AuthenticateResident + Upgrade, with a live face
//	POST /v1/residents/certificate/challenge AuthenticateResident + RenewChallenge (enrolment_renew.go)
//	POST /v1/residents/certificate/renew   AuthenticateResident + RenewCertificate (201): a new device key
//	GET  /v1/openapi.json                  the OpenAPI 3.1 description of the above
//
// The routes under /v1/enrolments/{id} take the enrolment's capability
// token as a bearer token; a wrong token is answered exactly like an
// unknown id (404), as package enrol does. Request bodies are read
// strictly (enrolment_decode.go), errors become RFC 9457 problems through
// one table (enrolment_errors.go).

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
)

// CAPublisher gives the CA certificates that the completion response
// carries, so that the wallet can verify its new certificate at once.
// *credential.CA implements it.
type CAPublisher interface {
	CACertificatesPEM(ctx context.Context) ([]byte, error)
}

var _ CAPublisher = (*credential.CA)(nil)

// EnrolmentAPI is what the enrolment routes need.
type EnrolmentAPI struct {
	// Enrol runs the enrolments. Required.
	Enrol *enrol.Service
	// CA publishes the CA certificates for the completion response.
	// Required; normally the *credential.CA that Enrol issues with.
	CA CAPublisher
	// Log receives the handlers' lines; nil means the Server's logger.
	Log *slog.Logger
}

// MountEnrolment registers the enrolment API and GET /v1/openapi.json. It
// panics when a required dependency is missing: that is a wiring mistake
// caught at start-up, like a malformed route pattern.
func (s *Server) MountEnrolment(api EnrolmentAPI) {
	if api.Enrol == nil || api.CA == nil {
		panic("httpapi: MountEnrolment needs EnrolmentAPI.Enrol and EnrolmentAPI.CA")
	}
	h := &enrolmentHandlers{svc: api.Enrol, ca: api.CA, log: api.Log}
	if h.log == nil {
		h.log = s.log
	}
	for _, rt := range h.routes() {
		s.Handle(rt.Method+" "+rt.Path, rt.handler)
	}
}

// enrolmentRoute is one route of the enrolment API. The table is what the
// OpenAPI test walks, so that the document and the mux cannot drift apart.
type enrolmentRoute struct {
	Method, Path string
	handler      http.HandlerFunc
}

func (h *enrolmentHandlers) routes() []enrolmentRoute {
	return []enrolmentRoute{
		{http.MethodPost, "/v1/enrolments", handle(h, decodeJSON, h.start)},
		{http.MethodPost, "/v1/assisted-enrolments", h.startAssisted},
		{http.MethodGet, "/v1/enrolments/{id}", step(h, ignoreBody, h.status)},
		{http.MethodPost, "/v1/enrolments/{id}/phone", step(h, decodeJSON, h.sendPhoneCode)},
		{http.MethodPost, "/v1/enrolments/{id}/phone/verify", step(h, decodeJSON, h.verifyPhone)},
		{http.MethodPost, "/v1/enrolments/{id}/phone/skip", step(h, decodeEmpty, h.skipPhone)},
		{http.MethodPost, "/v1/enrolments/{id}/face/challenge", step(h, decodeEmpty, h.faceChallenge)},
		{http.MethodPost, "/v1/enrolments/{id}/face", step(h, decodeJSON, h.submitFace)},
		{http.MethodPost, "/v1/enrolments/{id}/password", step(h, decodeJSON, h.setPassword)},
		{http.MethodPost, "/v1/enrolments/{id}/complete", step(h, decodeJSON, h.complete)},
		{http.MethodPost, "/v1/guardian/approvals", handle(h, decodeJSON, h.approveMinor)},
		{http.MethodPost, "/v1/residents/upgrade/challenge", h.upgradeChallenge},
		{http.MethodPost, "/v1/residents/upgrade", h.upgrade},
		{http.MethodPost, "/v1/residents/certificate/challenge", handle(h, decodeJSON, h.renewChallenge)},
		{http.MethodPost, "/v1/residents/certificate/renew", handle(h, decodeJSON, h.renew)},
		{http.MethodGet, "/v1/openapi.json", serveOpenAPI},
	}
}

type enrolmentHandlers struct {
	svc *enrol.Service
	ca  CAPublisher
	log *slog.Logger
}

func (h *enrolmentHandlers) fail(w http.ResponseWriter, r *http.Request, err error) {
	writeEnrolmentError(w, r, h.log, err)
}

// handle serves a route whose handler follows one shape: decode reads
// the request body into a fresh Req, then serve checks it, calls the
// Service and writes the answer. The first error of either is answered as
// a problem (writeEnrolmentError), so serve returns errors rather than
// writing them.
func handle[Req any](h *enrolmentHandlers, decode func(*http.Request, *Req) error,
	serve func(w http.ResponseWriter, r *http.Request, req *Req) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if err := decode(r, &req); err != nil {
			h.fail(w, r, err)
			return
		}
		if err := serve(w, r, &req); err != nil {
			h.fail(w, r, err)
		}
	}
}

// enrolmentCall is one request to a route under /v1/enrolments/{id}.
type enrolmentCall struct {
	w         http.ResponseWriter
	r         *http.Request
	id, token string
}

// step is handle for the routes under /v1/enrolments/{id}: it takes the
// enrolment's capability token first, so that a request without one is
// refused before its body is read.
func step[Req any](h *enrolmentHandlers, decode func(*http.Request, *Req) error,
	serve func(c enrolmentCall, req *Req) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, p := bearerToken(w, r)
		if p != nil {
			h.fail(w, r, p)
			return
		}
		handle(h, decode, func(w http.ResponseWriter, r *http.Request, req *Req) error {
			return serve(enrolmentCall{w: w, r: r, id: r.PathValue("id"), token: token}, req)
		})(w, r)
	}
}

// decodeJSON reads a JSON request body strictly (decodeJSONRequest).
func decodeJSON[Req any](r *http.Request, req *Req) error { return decodeJSONRequest(r, req) }

// decodeEmpty refuses a request body that is not empty (decodeEmptyRequest).
func decodeEmpty(r *http.Request, _ *struct{}) error { return decodeEmptyRequest(r) }

// ignoreBody reads nothing, for GET routes.
func ignoreBody(*http.Request, *struct{}) error { return nil }

// guardian authenticates the guardian of an application and returns the
// application; nil when the request has none.
func (h *enrolmentHandlers) guardian(ctx context.Context, g *guardianJSON) (*enrol.GuardianApplication, error) {
	if g == nil {
		return nil, nil
	}
	acct, err := h.svc.AuthenticateResident(ctx, g.InternetNumber, g.Password, ClientAddrFrom(ctx))
	if errors.Is(err, enrol.ErrBadCredentials) {
		// Say whose credentials: the request is the child's start.
		return nil, NewProblem(http.StatusUnauthorized, "bad-credentials", "the guardian's internet number or password is incorrect")
	}
	if err != nil {
		return nil, err
	}
	return g.application(acct.ID), nil
}

func (h *enrolmentHandlers) writeStarted(w http.ResponseWriter, st enrol.Started) {
	w.Header().Set("Location", "/v1/enrolments/"+url.PathEscape(st.ID))
	writeJSON(w, http.StatusCreated, startedBody(st))
}

func (h *enrolmentHandlers) start(w http.ResponseWriter, r *http.Request, req *startRequest) error {
	ctx := r.Context()
	ev, p := req.evidence()
	if p != nil {
		return p
	}
	g, err := h.guardian(ctx, req.Guardian)
	if err != nil {
		return err
	}
	st, err := h.svc.Start(ctx, enrol.StartRequest{Evidence: ev, Guardian: g, ClientAddr: ClientAddrFrom(ctx)})
	if err != nil {
		return err
	}
	h.writeStarted(w, st)
	return nil
}

// startAssisted authenticates the registrar before it reads the body, so
// that an unauthenticated caller learns nothing from the validation.
func (h *enrolmentHandlers) startAssisted(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	token, p := bearerToken(w, r)
	if p != nil {
		h.fail(w, r, p)
		return
	}
	reg, err := h.svc.AuthenticateRegistrar(ctx, token)
	if err != nil {
		if errors.Is(err, enrol.ErrUnauthorized) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="netid", error="invalid_token"`)
		}
		h.fail(w, r, err)
		return
	}
	var req assistedRequest
	if err := decodeJSONRequest(r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ev, p := req.evidence()
	if p != nil {
		h.fail(w, r, p)
		return
	}
	g, err := h.guardian(ctx, req.Guardian)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.svc.StartAssisted(ctx, reg.ID, ev, g)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeStarted(w, st)
}

// writeStatus answers a step that only moves the enrolment along with
// where it now stands.
func (h *enrolmentHandlers) writeStatus(c enrolmentCall) error {
	st, err := h.svc.Status(c.r.Context(), c.id, c.token)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, statusBody(st))
	return nil
}

func (h *enrolmentHandlers) status(c enrolmentCall, _ *struct{}) error {
	return h.writeStatus(c)
}

func (h *enrolmentHandlers) sendPhoneCode(c enrolmentCall, req *phoneSendRequest) error {
	opts, p := req.options()
	if p != nil {
		return p
	}
	info, err := h.svc.SendPhoneCode(c.r.Context(), c.id, c.token, req.Number, opts...)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusAccepted, phoneChallengeBody(info))
	return nil
}

func (h *enrolmentHandlers) verifyPhone(c enrolmentCall, req *phoneVerifyRequest) error {
	if p := req.check(); p != nil {
		return p
	}
	if err := h.svc.VerifyPhone(c.r.Context(), c.id, c.token, req.Number, req.Code); err != nil {
		return err
	}
	return h.writeStatus(c)
}

func (h *enrolmentHandlers) skipPhone(c enrolmentCall, _ *struct{}) error {
	if err := h.svc.SkipPhone(c.r.Context(), c.id, c.token); err != nil {
		return err
	}
	return h.writeStatus(c)
}

func (h *enrolmentHandlers) faceChallenge(c enrolmentCall, _ *struct{}) error {
	ch, err := h.svc.FaceChallenge(c.r.Context(), c.id, c.token)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, faceChallengeResponse{Challenge: ch})
	return nil
}

func (h *enrolmentHandlers) submitFace(c enrolmentCall, req *faceRequest) error {
	capture, p := req.capture()
	if p != nil {
		return p
	}
	res, err := h.svc.SubmitFace(c.r.Context(), c.id, c.token, capture, req.KeepTemplate)
	if err != nil {
		return err
	}
	st, err := h.svc.Status(c.r.Context(), c.id, c.token)
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusOK, faceResultResponse{Matched: res.Matched, TemplateKept: res.TemplateKept,
		State: string(st.State), Next: string(st.Next)})
	return nil
}

func (h *enrolmentHandlers) setPassword(c enrolmentCall, req *passwordRequest) error {
	if p := req.check(); p != nil {
		return p
	}
	if err := h.svc.SetPassword(c.r.Context(), c.id, c.token, req.Password); err != nil {
		return err
	}
	return h.writeStatus(c)
}

// complete fetches the CA certificates before completing: the completion
// returns the openings and the dynamic-code secret once, so nothing that
// can fail may come after it.
func (h *enrolmentHandlers) complete(c enrolmentCall, req *completeRequest) error {
	if p := req.check(); p != nil {
		return p
	}
	caPEM, err := h.ca.CACertificatesPEM(c.r.Context())
	if err != nil {
		return err
	}
	done, err := h.svc.Complete(c.r.Context(), c.id, c.token, []byte(req.CSR))
	if err != nil {
		return err
	}
	writeJSON(c.w, http.StatusCreated, completedBody(done, caPEM))
	return nil
}

// approveMinor authenticates the guardian by internet number and password,
// then records their approval of a minor of 15 to 17.
func (h *enrolmentHandlers) approveMinor(w http.ResponseWriter, r *http.Request, req *approvalRequest) error {
	ctx := r.Context()
	approval, p := req.approval()
	if p != nil {
		return p
	}
	acct, err := h.svc.AuthenticateResident(ctx, req.Guardian.InternetNumber, req.Guardian.Password, ClientAddrFrom(ctx))
	if err != nil {
		return err
	}
	if err := h.svc.ApproveMinor(ctx, acct.ID, approval); err != nil {
		if errors.Is(err, enrol.ErrNotFound) {
			// enrol.ErrNotFound's own message speaks of enrolments.
			return NewProblem(http.StatusNotFound, "not-found",
				"there is no account with this internet number; check the minor's internet number")
		}
		return err
	}
	writeJSON(w, http.StatusOK, approvalResponse{Status: "approved"})
	return nil
}
