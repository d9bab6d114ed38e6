package httpapi

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/store"
)

// PresentationAPI is what the online verification of presentations needs.
// Every member is required but Now.
type PresentationAPI struct {
	// Suite is the service's suite.
	Suite suite.Suite
	// CA gives the CA certificates presentations chain to
	// (*credential.CA).
	CA interface {
		CACertificates(ctx context.Context) ([]*x509.Certificate, error)
	}
	// Certificates is the CA's certificate store (credential.CertStore):
	// revocation is read from it, current to the second, rather than from
	// a CRL that may be hours old.
	Certificates interface {
		Certificate(ctx context.Context, serial string) (credential.CertificateRecord, error)
	}
	// RPs is the relying-party registry (*rp.Service); an unknown client
	// id is an error wrapping rp.ErrNotFound or store.ErrNotFound.
	RPs interface {
		Get(ctx context.Context, clientID string) (rp.RP, error)
	}
	// Subjects gives the pairwise subject of an internet number in a
	// sector (*oidc.Provider).
	Subjects interface {
		PairwiseSubject(ctx context.Context, sector, internetNumber string) (string, error)
	}
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// presentationRequest is the body of POST /v1/presentations/verify.
type presentationRequest struct {
	Presentation string `json:"presentation"`
	Challenge    string `json:"challenge"`
}

// presentationResponse is its answer for a valid presentation. It never
// carries the internet number, whatever the RP may receive through
// OpenID Connect: the pairwise subject is the identifier here.
type presentationResponse struct {
	Valid          bool              `json:"valid"`
	Serial         string            `json:"internet_certificate_serial"`
	AssuranceLevel enrol.Assurance   `json:"assurance_level"`
	Subject        string            `json:"sub"`
	IssuedAt       time.Time         `json:"issued_at"`
	ExpiresAt      time.Time         `json:"expires_at"`
	Disclosed      map[string]string `json:"disclosed"`
}

// MountPresentations serves the online verification of presentations:
//
//	POST /v1/presentations/verify   {"presentation", "challenge"}
//
// The caller is a relying party authenticated by HTTP Basic with its
// client id and secret (a suspended one is refused). The presentation
// must be for that client id and answer the challenge; the answer is the
// certificate's serial, the assurance level (substantial: the device key
// of a valid certificate signed), the RP's pairwise subject and the
// disclosed attributes. A presentation that does not verify is a 422
// problem whose type names the cause; a revoked certificate's names the
// reason in its detail.
func (s *Server) MountPresentations(api PresentationAPI) {
	if api.Now == nil {
		api.Now = time.Now
	}
	for _, rt := range s.presentationRoutes(api) {
		s.Handle(rt.Method+" "+rt.Path, rt.handler)
	}
}

// presentationRoutes is the route table of MountPresentations; like the
// enrolment table, the OpenAPI test compares it with openapi.json.
func (s *Server) presentationRoutes(api PresentationAPI) []enrolmentRoute {
	return []enrolmentRoute{
		{http.MethodPost, "/v1/presentations/verify", func(w http.ResponseWriter, r *http.Request) {
			if err := s.verifyPresentation(w, r, api); err != nil {
				WriteError(w, r, s.log, err)
			}
		}},
	}
}

func (s *Server) verifyPresentation(w http.ResponseWriter, r *http.Request, api PresentationAPI) error {
	ctx := r.Context()
	party, err := authenticateRP(ctx, r, api.RPs)
	if err != nil {
		if p := (*Problem)(nil); errors.As(err, &p) && p.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="netid relying parties", charset="UTF-8"`)
		}
		return err
	}
	var req presentationRequest
	if err := decodeJSONRequest(r, &req); err != nil {
		return err
	}
	if req.Presentation == "" || req.Challenge == "" {
		return NewProblem(http.StatusBadRequest, "bad-request", "presentation and challenge are required")
	}
	roots, err := api.CA.CACertificates(ctx)
	if err != nil {
		return err
	}
	// Revocation is checked below from the store, so no CRL here.
	v, err := credential.VerifyPresentation(api.Suite, req.Presentation, roots, credential.PresentationExpectation{
		ClientID: party.ClientID, Challenge: []byte(req.Challenge), Now: api.Now(),
	}, nil)
	if err != nil {
		return presentationProblem(err)
	}
	serial := credential.FormatSerial(v.Certificate.Serial)
	rec, err := api.Certificates.Certificate(ctx, serial)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// Signed by our CA yet unknown to our store: the store was
		// restored from an older backup, or the CA key leaked. Either way
		// not something to vouch for.
		s.log.ErrorContext(ctx, "presentation of a certificate the store does not know", "serial", serial)
		return NewProblem(http.StatusUnprocessableEntity, "presentation-certificate-unknown",
			"the certificate is not one this service issued")
	case err != nil:
		return err
	case rec.Revoked():
		return NewProblem(http.StatusUnprocessableEntity, "presentation-certificate-revoked",
			"the certificate was revoked ("+rec.Reason.String()+") at "+rec.RevokedAt.UTC().Format(time.RFC3339))
	}
	sub, err := api.Subjects.PairwiseSubject(ctx, party.Sector, string(v.Certificate.InternetNumber))
	if err != nil {
		return err
	}
	disclosed := make(map[string]string, len(v.Disclosed))
	for _, o := range v.Disclosed {
		disclosed[o.Attribute] = o.Value
	}
	writeJSON(w, http.StatusOK, presentationResponse{
		Valid: true, Serial: serial, AssuranceLevel: enrol.AssuranceSubstantial, Subject: sub,
		IssuedAt: v.IssuedAt, ExpiresAt: v.ExpiresAt, Disclosed: disclosed,
	})
	return nil
}

// authenticateRP checks HTTP Basic credentials against the registry. The
// problem does not say whether the client id or the secret was wrong.
func authenticateRP(ctx context.Context, r *http.Request, rps interface {
	Get(ctx context.Context, clientID string) (rp.RP, error)
}) (rp.RP, error) {
	unauthorized := NewProblem(http.StatusUnauthorized, "unauthorized",
		"authenticate as a relying party with HTTP Basic: client id and client secret")
	id, secret, ok := r.BasicAuth()
	if !ok || id == "" {
		return rp.RP{}, unauthorized
	}
	party, err := rps.Get(ctx, id)
	if errors.Is(err, rp.ErrNotFound) || errors.Is(err, store.ErrNotFound) {
		return rp.RP{}, unauthorized
	}
	if err != nil {
		return rp.RP{}, err
	}
	if !party.SecretMatches(secret) {
		return rp.RP{}, unauthorized
	}
	if !party.Active() {
		return rp.RP{}, NewProblem(http.StatusForbidden, "rp-suspended", "this relying party is suspended")
	}
	return party, nil
}

// presentationProblem maps a verification failure to its 422 problem; an
// error that is not one (the store, say) passes through.
func presentationProblem(err error) error {
	slug, ok := credential.PresentationFailure(err)
	if !ok {
		return err
	}
	detail := err.Error()
	var revoked *credential.RevokedError
	if errors.As(err, &revoked) {
		detail = revoked.Error()
	}
	return NewProblem(http.StatusUnprocessableEntity, slug, detail)
}
