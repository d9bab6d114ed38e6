package httpapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/netid/netid/internal/credential"
)

// MountCertificates publishes what relying parties need to verify internet
// certificates themselves, offline:
//
//	GET  /ca.pem          the CA certificates of every non-retired CA key
//	GET  /crl             the CRL of the active CA key; ?ca=KEYID for another
//	POST /ocsp            OCSP (RFC 6960), application/ocsp-request
//	GET  /ocsp/{req...}   OCSP by GET, base64 request in the path (RFC 6960 appendix A.1)
//
// OCSP answers are always 200 application/ocsp-response: protocol errors are
// OCSP statuses (malformedRequest, internalError), as the RFC requires.
func (s *Server) MountCertificates(ca *credential.CA, maxOCSPRequest int) {
	s.Handle("GET /ca.pem", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pemBytes, err := ca.CACertificatesPEM(r.Context())
		if err != nil {
			WriteError(w, r, s.log, err)
			return
		}
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(pemBytes)
	}))
	s.Handle("GET /crl", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		crl, err := ca.CRL(r.Context(), r.URL.Query().Get("ca"))
		if err != nil {
			if errors.Is(err, credential.ErrUnknownCA) {
				WriteProblem(w, r, NewProblem(http.StatusNotFound, "unknown-ca", "no CA key "+fmt.Sprintf("%q", r.URL.Query().Get("ca"))+" publishes a CRL here; /ca.pem lists the CA certificates"))
				return
			}
			WriteError(w, r, s.log, err)
			return
		}
		maxAge := int(time.Until(crl.RefreshAt).Seconds())
		if maxAge < 0 {
			maxAge = 0
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", maxAge))
		_, _ = w.Write(crl.DER)
	}))
	respond := func(w http.ResponseWriter, r *http.Request, req []byte) {
		resp, err := ca.OCSPRespond(r.Context(), req)
		if err != nil {
			// resp is still a valid OCSP error response; the cause is
			// for the operator.
			s.log.WarnContext(r.Context(), "OCSP request refused", "err", err)
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(resp)
	}
	s.Handle("POST /ocsp", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/ocsp-request" {
			w.Header().Set("Content-Type", "application/ocsp-response")
			_, _ = w.Write(credential.OCSPErrorResponse(credential.OCSPMalformedRequest))
			return
		}
		req, err := io.ReadAll(io.LimitReader(r.Body, int64(maxOCSPRequest)+1))
		if err != nil || len(req) > maxOCSPRequest {
			w.Header().Set("Content-Type", "application/ocsp-response")
			_, _ = w.Write(credential.OCSPErrorResponse(credential.OCSPMalformedRequest))
			return
		}
		respond(w, r, req)
	}))
	s.Handle("GET /ocsp/{req...}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := credential.OCSPRequestFromGET(r.PathValue("req"))
		if err != nil {
			w.Header().Set("Content-Type", "application/ocsp-response")
			_, _ = w.Write(credential.OCSPErrorResponse(credential.OCSPMalformedRequest))
			return
		}
		respond(w, r, req)
	}))
}
