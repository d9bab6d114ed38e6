package credential

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/netid/netid/internal/crypto/suite"
)

// OCSPResponseStatus is the outcome of an OCSP request as a whole (RFC 6960
// section 4.2.1). Only OCSPSuccessful responses are signed and carry
// certificate statuses.
type OCSPResponseStatus int

// The response statuses (4 is not used).
const (
	OCSPSuccessful       OCSPResponseStatus = 0
	OCSPMalformedRequest OCSPResponseStatus = 1
	OCSPInternalError    OCSPResponseStatus = 2
	OCSPTryLater         OCSPResponseStatus = 3
	OCSPSigRequired      OCSPResponseStatus = 5
	OCSPUnauthorized     OCSPResponseStatus = 6
)

// String returns the RFC 6960 name.
func (s OCSPResponseStatus) String() string {
	switch s {
	case OCSPSuccessful:
		return "successful"
	case OCSPMalformedRequest:
		return "malformedRequest"
	case OCSPInternalError:
		return "internalError"
	case OCSPTryLater:
		return "tryLater"
	case OCSPSigRequired:
		return "sigRequired"
	case OCSPUnauthorized:
		return "unauthorized"
	}
	return fmt.Sprintf("OCSPResponseStatus(%d)", int(s))
}

// OCSPStatusError is returned by ParseOCSPResponse for a well-formed
// response whose status is not successful. It wraps ErrOCSPResponse.
type OCSPStatusError struct{ Status OCSPResponseStatus }

func (e *OCSPStatusError) Error() string {
	return fmt.Sprintf("%v: status %v", ErrOCSPResponse, e.Status)
}

func (e *OCSPStatusError) Unwrap() error { return ErrOCSPResponse }

// OCSPCertStatus is the status of one certificate.
type OCSPCertStatus int

// Certificate statuses (RFC 6960 section 2.2). Good means not revoked;
// unknown means that the responder knows nothing of the certificate (netid
// knows every certificate it issued, so unknown means not issued by that
// CA).
const (
	OCSPGood OCSPCertStatus = iota
	OCSPRevoked
	OCSPUnknown
)

// String returns the RFC 6960 name.
func (s OCSPCertStatus) String() string {
	switch s {
	case OCSPGood:
		return "good"
	case OCSPRevoked:
		return "revoked"
	case OCSPUnknown:
		return "unknown"
	}
	return fmt.Sprintf("OCSPCertStatus(%d)", int(s))
}

// OCSPSingleResponse is the status of one certificate.
type OCSPSingleResponse struct {
	CertID                 OCSPCertID
	Status                 OCSPCertStatus
	RevokedAt              time.Time        // when Status is OCSPRevoked
	Reason                 RevocationReason // when Status is OCSPRevoked; unspecified if absent
	ThisUpdate, NextUpdate time.Time
}

// OCSPResponse is a verified, successful OCSP response.
type OCSPResponse struct {
	ProducedAt time.Time
	Responses  []OCSPSingleResponse
	// Nonce is the echoed nonce, nil when the response has none.
	Nonce []byte
}

// OCSPErrorResponse returns the unsigned response carrying a
// non-successful status, OCSPResponse ::= SEQUENCE { responseStatus
// ENUMERATED }: what an HTTP layer sends, with status 200, for a request it
// refuses before OCSPRespond sees it (body too large, undecodable GET
// path: OCSPMalformedRequest).
func OCSPErrorResponse(status OCSPResponseStatus) []byte {
	return []byte{0x30, 0x03, 0x0a, 0x01, byte(status)}
}

// Context-specific tags of OCSP responses (the module uses explicit
// tagging, except CertStatus, whose choices are IMPLICIT).
var (
	tagExplicit0 = cbasn1.Tag(0).ContextSpecific().Constructed()
	tagExplicit1 = cbasn1.Tag(1).ContextSpecific().Constructed()
	tagExplicit2 = cbasn1.Tag(2).ContextSpecific().Constructed()
	tagGood      = cbasn1.Tag(0).ContextSpecific()
	tagRevoked   = cbasn1.Tag(1).ContextSpecific().Constructed()
	tagUnknown   = cbasn1.Tag(2).ContextSpecific()
)

// signOCSP builds and signs a successful BasicOCSPResponse (RFC 6960
// section 4.2.1) from CA e, responder byName (the CA's subject: no
// delegated responder, so the issuer's own key signs):
//
//	ResponseData ::= SEQUENCE {
//	    responderID         [1] EXPLICIT Name,
//	    producedAt          GeneralizedTime,
//	    responses           SEQUENCE OF SingleResponse,
//	    responseExtensions  [1] EXPLICIT Extensions OPTIONAL }  -- the nonce
//	SingleResponse ::= SEQUENCE {
//	    certID      CertID,                 -- as requested, byte for byte
//	    certStatus  CertStatus,
//	    thisUpdate  GeneralizedTime,
//	    nextUpdate  [0] EXPLICIT GeneralizedTime }
func signOCSP(s suite.Suite, r io.Reader, signer crypto.Signer, e *caEntry, singles []OCSPSingleResponse, nonceExt []byte, producedAt time.Time) ([]byte, error) {
	var tbs cryptobyte.Builder
	tbs.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(tagExplicit1, func(b *cryptobyte.Builder) { b.AddBytes(e.cert.RawSubject) })
		b.AddASN1GeneralizedTime(producedAt)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, one := range singles {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddBytes(one.CertID.raw)
					switch one.Status {
					case OCSPGood:
						b.AddASN1(tagGood, func(*cryptobyte.Builder) {})
					case OCSPRevoked:
						b.AddASN1(tagRevoked, func(b *cryptobyte.Builder) {
							b.AddASN1GeneralizedTime(one.RevokedAt)
							if one.Reason != ReasonUnspecified {
								b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddASN1Enum(int64(one.Reason)) })
							}
						})
					default:
						b.AddASN1(tagUnknown, func(*cryptobyte.Builder) {})
					}
					b.AddASN1GeneralizedTime(one.ThisUpdate)
					b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) { b.AddASN1GeneralizedTime(one.NextUpdate) })
				})
			}
		})
		if nonceExt != nil {
			b.AddASN1(tagExplicit1, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(oidOCSPNonce)
						b.AddASN1OctetString(nonceExt)
					})
				})
			})
		}
	})
	tbsDER, err := tbs.Bytes()
	if err != nil {
		return nil, fmt.Errorf("credential: OCSP response: %w", err)
	}
	sig, err := s.Sign(r, signer, tbsDER)
	if err != nil {
		return nil, fmt.Errorf("credential: OCSP response: %w", err)
	}
	var basic cryptobyte.Builder
	basic.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbsDER)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(suiteSignatureOID(s)) })
		b.AddASN1BitString(sig)
	})
	basicDER, err := basic.Bytes()
	if err != nil {
		return nil, fmt.Errorf("credential: OCSP response: %w", err)
	}
	var out cryptobyte.Builder
	out.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Enum(int64(OCSPSuccessful))
		b.AddASN1(tagExplicit0, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidOCSPBasic)
				b.AddASN1OctetString(basicDER)
			})
		})
	})
	return out.Bytes()
}

// ParseOCSPResponse parses a DER OCSP response to a request made with
// CreateOCSPRequest and checks that it is a basic response signed by
// issuer's own key with the signature algorithm of suite s, the way the
// netid CA answers (responses signed by a delegated responder certificate
// are refused: netid never delegates). A response that is not successful
// yields an *OCSPStatusError. Errors wrap ErrOCSPResponse.
//
// It does not decide freshness or relevance: the caller checks that a
// single response names its certificate (CertID.SerialNumber), that
// ThisUpdate and NextUpdate bracket its clock, and that Nonce is the one
// it sent.
func ParseOCSPResponse(s suite.Suite, der []byte, issuer *x509.Certificate) (*OCSPResponse, error) {
	bad := func(what string) (*OCSPResponse, error) {
		return nil, fmt.Errorf("%w: malformed %s", ErrOCSPResponse, what)
	}
	in := cryptobyte.String(der)
	var outer, wrapped, respBytes, basicDER cryptobyte.String
	var status int
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) || !in.Empty() || !outer.ReadASN1Enum(&status) {
		return bad("OCSPResponse")
	}
	if status != int(OCSPSuccessful) {
		if !outer.Empty() {
			return bad("error response")
		}
		return nil, &OCSPStatusError{Status: OCSPResponseStatus(status)}
	}
	var respType asn1.ObjectIdentifier
	if !outer.ReadASN1(&wrapped, tagExplicit0) || !outer.Empty() ||
		!wrapped.ReadASN1(&respBytes, cbasn1.SEQUENCE) || !wrapped.Empty() ||
		!respBytes.ReadASN1ObjectIdentifier(&respType) || !respBytes.ReadASN1(&basicDER, cbasn1.OCTET_STRING) || !respBytes.Empty() {
		return bad("responseBytes")
	}
	if !respType.Equal(oidOCSPBasic) {
		return nil, fmt.Errorf("%w: response type %v, want id-pkix-ocsp-basic", ErrOCSPResponse, respType)
	}
	var basic, tbsRaw, algo cryptobyte.String
	var sigOID asn1.ObjectIdentifier
	var sig []byte
	if !basicDER.ReadASN1(&basic, cbasn1.SEQUENCE) || !basicDER.Empty() ||
		!basic.ReadASN1Element(&tbsRaw, cbasn1.SEQUENCE) ||
		!basic.ReadASN1(&algo, cbasn1.SEQUENCE) || !algo.ReadASN1ObjectIdentifier(&sigOID) ||
		!basic.ReadASN1BitStringAsBytes(&sig) {
		return bad("BasicOCSPResponse")
	}
	if !algo.Empty() && (!algo.SkipASN1(cbasn1.NULL) || !algo.Empty()) {
		return bad("signature algorithm parameters")
	}
	if basic.PeekASN1Tag(tagExplicit0) {
		return nil, fmt.Errorf("%w: response carries certificates (a delegated responder); netid CAs sign their own responses", ErrOCSPResponse)
	}
	if !basic.Empty() {
		return bad("BasicOCSPResponse")
	}
	if want := suiteSignatureOID(s); !sigOID.Equal(want) {
		return nil, fmt.Errorf("%w: signature algorithm %v, the %s suite signs with %v", ErrOCSPResponse, sigOID, s.Name(), want)
	}
	// The data is parsed completely before the signature is checked, and
	// returned only after: parsing first lets fuzzing reach the whole
	// parser, and nothing parsed is used unless the signature holds.
	resp, err := parseResponseData(tbsRaw, issuer)
	if err != nil {
		return nil, err
	}
	if err := s.Verify(issuer.PublicKey, tbsRaw, sig); err != nil {
		return nil, fmt.Errorf("%w: signature: %w", ErrOCSPResponse, err)
	}
	return resp, nil
}

// parseResponseData decodes a ResponseData (see signOCSP) whose responder
// must be issuer.
func parseResponseData(tbs cryptobyte.String, issuer *x509.Certificate) (*OCSPResponse, error) {
	bad := func(what string) (*OCSPResponse, error) {
		return nil, fmt.Errorf("%w: malformed %s", ErrOCSPResponse, what)
	}
	var data cryptobyte.String
	if !tbs.ReadASN1(&data, cbasn1.SEQUENCE) || !tbs.Empty() {
		return bad("ResponseData")
	}
	var version int64
	if !data.ReadOptionalASN1Integer(&version, tagExplicit0, int64(0)) || version != 0 {
		return bad("ResponseData version")
	}
	if err := checkResponderID(&data, issuer); err != nil {
		return nil, err
	}
	resp := &OCSPResponse{}
	var list cryptobyte.String
	if !data.ReadASN1GeneralizedTime(&resp.ProducedAt) || !data.ReadASN1(&list, cbasn1.SEQUENCE) {
		return bad("ResponseData")
	}
	for !list.Empty() {
		one, err := parseSingleResponse(&list)
		if err != nil {
			return nil, err
		}
		resp.Responses = append(resp.Responses, one)
	}
	exts, err := readExtensions(&data, tagExplicit1)
	if err != nil || !data.Empty() {
		return bad("responseExtensions")
	}
	for _, x := range exts {
		switch {
		case x.id.Equal(oidOCSPNonce):
			resp.Nonce = nonceValue(x.value)
		case x.critical:
			return nil, fmt.Errorf("%w: unsupported critical extension %v", ErrOCSPResponse, x.id)
		}
	}
	return resp, nil
}

// checkResponderID reads the ResponderID and checks that it names issuer:
// byName [1] its subject, or byKey [2] the SHA-1 hash of its key (RFC 6960
// section 4.2.2.3).
func checkResponderID(data *cryptobyte.String, issuer *x509.Certificate) error {
	var id cryptobyte.String
	switch {
	case data.ReadASN1(&id, tagExplicit1):
		if !bytes.Equal(id, issuer.RawSubject) {
			return fmt.Errorf("%w: responder is not the issuer", ErrOCSPResponse)
		}
	case data.ReadASN1(&id, tagExplicit2):
		var keyHash []byte
		bits, err := subjectPublicKeyBits(issuer.RawSubjectPublicKeyInfo)
		if err != nil || !id.ReadASN1Bytes(&keyHash, cbasn1.OCTET_STRING) || !id.Empty() || !bytes.Equal(keyHash, hashSHA1.sum(bits)) {
			return fmt.Errorf("%w: responder is not the issuer", ErrOCSPResponse)
		}
	default:
		return fmt.Errorf("%w: malformed responderID", ErrOCSPResponse)
	}
	return nil
}

// parseSingleResponse reads one SingleResponse from list.
func parseSingleResponse(list *cryptobyte.String) (OCSPSingleResponse, error) {
	bad := func(what string) (OCSPSingleResponse, error) {
		return OCSPSingleResponse{}, fmt.Errorf("%w: malformed SingleResponse %s", ErrOCSPResponse, what)
	}
	var seq, rawID, status cryptobyte.String
	var tag cbasn1.Tag
	if !list.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Element(&rawID, cbasn1.SEQUENCE) {
		return bad("certID")
	}
	id, err := parseCertID(rawID)
	if err != nil {
		return bad("certID")
	}
	one := OCSPSingleResponse{CertID: id}
	if !seq.ReadAnyASN1(&status, &tag) {
		return bad("certStatus")
	}
	switch tag {
	case tagGood:
		one.Status = OCSPGood
	case tagUnknown:
		one.Status = OCSPUnknown
	case tagRevoked:
		one.Status = OCSPRevoked
		var reason cryptobyte.String
		var present bool
		if !status.ReadASN1GeneralizedTime(&one.RevokedAt) || !status.ReadOptionalASN1(&reason, &present, tagExplicit0) {
			return bad("revokedInfo")
		}
		if present {
			var r int
			if !reason.ReadASN1Enum(&r) || !reason.Empty() {
				return bad("revocationReason")
			}
			one.Reason = RevocationReason(r)
		}
	default:
		return bad("certStatus")
	}
	if !status.Empty() {
		return bad("certStatus")
	}
	var next cryptobyte.String
	var hasNext bool
	if !seq.ReadASN1GeneralizedTime(&one.ThisUpdate) || !seq.ReadOptionalASN1(&next, &hasNext, tagExplicit0) {
		return bad("thisUpdate")
	}
	if hasNext && (!next.ReadASN1GeneralizedTime(&one.NextUpdate) || !next.Empty()) {
		return bad("nextUpdate")
	}
	exts, err := readExtensions(&seq, tagExplicit1)
	if err != nil || !seq.Empty() {
		return bad("singleExtensions")
	}
	for _, x := range exts {
		if x.critical {
			return OCSPSingleResponse{}, fmt.Errorf("%w: unsupported critical extension %v", ErrOCSPResponse, x.id)
		}
	}
	return one, nil
}
