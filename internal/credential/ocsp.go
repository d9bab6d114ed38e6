package credential

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/store"
)

// OCSPRespond answers a DER OCSP request (RFC 6960) and returns the DER
// OCSPResponse to send, always: an HTTP layer writes it with status 200 and
// Content-Type application/ocsp-response whatever it says (RFC 6960
// appendix A.2), for POST /ocsp (body: the request) and GET /ocsp/{base64}
// (OCSPRequestFromGET).
//
//   - A request that does not parse, or is larger than
//     Config.MaxOCSPRequest, gets malformedRequest; the error is nil,
//     since the fault is the client's.
//   - A request naming an issuer that is not an active or retiring netid
//     CA key, or several different issuers, gets unauthorized (RFC 5019
//     section 2.2.3: the responder cannot answer authoritatively).
//   - A store failure gets tryLater (store unavailable) or internalError,
//     and the error is returned too, for the log.
//
// Otherwise each certificate is good, revoked (time and reason), or
// unknown (not issued by that CA key), and the response is signed directly
// by that CA key, responder named by the CA's subject: netid uses no
// delegated responder certificate, which would be one more key to protect
// and one more certificate for verifiers to check. A nonce in the request
// is echoed. thisUpdate is now and nextUpdate now + Config.OCSPValidity;
// responses are signed per request, not cached, because with a nonce every
// response differs anyway.
func (ca *CA) OCSPRespond(ctx context.Context, reqDER []byte) ([]byte, error) {
	if len(reqDER) > ca.cfg.MaxOCSPRequest {
		return OCSPErrorResponse(OCSPMalformedRequest), nil
	}
	req, err := ParseOCSPRequest(reqDER)
	if err != nil {
		return OCSPErrorResponse(OCSPMalformedRequest), nil
	}
	fail := func(err error) ([]byte, error) {
		if errors.Is(err, store.ErrUnavailable) {
			return OCSPErrorResponse(OCSPTryLater), fmt.Errorf("credential: OCSP: %w", err)
		}
		return OCSPErrorResponse(OCSPInternalError), fmt.Errorf("credential: OCSP: %w", err)
	}
	e, err := ca.ocspIssuer(ctx, req.CertIDs)
	if err != nil {
		return fail(err)
	}
	if e == nil {
		return OCSPErrorResponse(OCSPUnauthorized), nil
	}
	now := ca.now().UTC().Truncate(time.Second)
	singles := make([]OCSPSingleResponse, len(req.CertIDs))
	for i, id := range req.CertIDs {
		one := OCSPSingleResponse{CertID: id, Status: OCSPUnknown, ThisUpdate: now, NextUpdate: now.Add(ca.cfg.OCSPValidity)}
		if id.SerialNumber.Sign() > 0 {
			rec, err := ca.st.Certificate(ctx, FormatSerial(id.SerialNumber))
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return fail(err)
			case rec.CAKeyID != e.keyID:
				// Issued, but by another CA key than the one asked about.
			case rec.Revoked():
				one.Status, one.RevokedAt, one.Reason = OCSPRevoked, rec.RevokedAt.UTC(), rec.Reason
			default:
				one.Status = OCSPGood
			}
		}
		singles[i] = one
	}
	signer, err := ca.keys.Signer(e.keyID)
	if err != nil {
		return fail(err)
	}
	resp, err := signOCSP(ca.suite, ca.rand, signer, e, singles, req.nonceExt, now)
	if err != nil {
		return fail(err)
	}
	return resp, nil
}

// ocspIssuer returns the CA whose name and key hashes every CertID
// carries, or nil when they name an unknown issuer or more than one.
func (ca *CA) ocspIssuer(ctx context.Context, ids []OCSPCertID) (*caEntry, error) {
	pks, err := ca.publicKeys()
	if err != nil {
		return nil, err
	}
	var found *caEntry
	for _, id := range ids {
		var match *caEntry
		for _, pk := range pks {
			e, err := ca.entry(ctx, pk)
			if err != nil {
				return nil, err
			}
			if e.matches(id) {
				match = e
				break
			}
		}
		if match == nil || (found != nil && match != found) {
			return nil, nil
		}
		found = match
	}
	return found, nil
}

// matches reports whether id names this CA as the issuer.
func (e *caEntry) matches(id OCSPCertID) bool {
	for _, m := range e.certIDs {
		if m.alg.name == id.HashAlgorithm {
			return bytes.Equal(m.nameHash, id.IssuerNameHash) && bytes.Equal(m.keyHash, id.IssuerKeyHash)
		}
	}
	return false
}
