package credential

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/url"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/netid/netid/internal/crypto/suite"
)

// Limits of OCSP requests.
const (
	// MaxOCSPCertIDs is the most certificates one request may ask about.
	// Clients ask about one (RFC 5019 section 2.1.1 requires exactly one);
	// a few are allowed for RFC 6960 clients that batch a chain.
	MaxOCSPCertIDs = 8
	// MaxOCSPNonce is the longest nonce accepted (RFC 9654 section 2.1:
	// 1 to 128 octets; longer or empty is a malformedRequest).
	MaxOCSPNonce = 128
)

var (
	oidOCSPNonce = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
	oidOCSPBasic = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}
)

// OCSPCertID identifies a certificate in OCSP (RFC 6960 section 4.1.1): by
// hashes of its issuer's name and key, and its serial number.
type OCSPCertID struct {
	// HashAlgorithm is "sha-1", "sha-256", "sha-384", "sha-512" or "sm3".
	HashAlgorithm  string
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	SerialNumber   *big.Int

	raw []byte // DER, as received; a response repeats it byte for byte
}

// OCSPRequest is a parsed OCSP request.
type OCSPRequest struct {
	CertIDs []OCSPCertID
	// Nonce is the nonce (RFC 9654), nil when the request has none.
	Nonce []byte

	nonceExt []byte // the extension value as received, echoed back
}

// ParseOCSPRequest parses a DER OCSPRequest (RFC 6960 section 4.1.1):
//
//	OCSPRequest ::= SEQUENCE {
//	    tbsRequest         SEQUENCE {
//	        version            [0] EXPLICIT INTEGER DEFAULT v1,
//	        requestorName      [1] EXPLICIT GeneralName OPTIONAL,
//	        requestList        SEQUENCE OF Request,
//	        requestExtensions  [2] EXPLICIT Extensions OPTIONAL },
//	    optionalSignature  [0] EXPLICIT Signature OPTIONAL }
//	Request ::= SEQUENCE {
//	    reqCert                  CertID,
//	    singleRequestExtensions  [0] EXPLICIT Extensions OPTIONAL }
//
// A signature, if any, is not checked: netid answers anyone, so there is
// nothing to authorise. An unknown extension marked critical, a second
// nonce, a nonce of 0 or more than 128 octets, an unknown hash algorithm or
// a hash of the wrong length make the request malformed. Errors wrap
// ErrOCSPRequest.
func ParseOCSPRequest(der []byte) (*OCSPRequest, error) {
	bad := func(format string, args ...any) (*OCSPRequest, error) {
		return nil, fmt.Errorf("%w: %s", ErrOCSPRequest, fmt.Sprintf(format, args...))
	}
	in := cryptobyte.String(der)
	var outer, tbs, list cryptobyte.String
	if !in.ReadASN1(&outer, cbasn1.SEQUENCE) || !in.Empty() || !outer.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return bad("not a DER OCSPRequest")
	}
	if !outer.SkipOptionalASN1(cbasn1.Tag(0).ContextSpecific().Constructed()) || !outer.Empty() {
		return bad("malformed optionalSignature")
	}
	var version int64
	if !tbs.ReadOptionalASN1Integer(&version, cbasn1.Tag(0).ContextSpecific().Constructed(), int64(0)) || version != 0 {
		return bad("version is not v1")
	}
	if !tbs.SkipOptionalASN1(cbasn1.Tag(1).ContextSpecific().Constructed()) {
		return bad("malformed requestorName")
	}
	if !tbs.ReadASN1(&list, cbasn1.SEQUENCE) {
		return bad("malformed requestList")
	}
	req := &OCSPRequest{}
	for !list.Empty() {
		if len(req.CertIDs) == MaxOCSPCertIDs {
			return bad("more than %d certificates", MaxOCSPCertIDs)
		}
		var one, rawID cryptobyte.String
		if !list.ReadASN1(&one, cbasn1.SEQUENCE) || !one.ReadASN1Element(&rawID, cbasn1.SEQUENCE) {
			return bad("malformed Request")
		}
		id, err := parseCertID(rawID)
		if err != nil {
			return nil, err
		}
		exts, err := readExtensions(&one, cbasn1.Tag(0).ContextSpecific().Constructed())
		if err != nil || !one.Empty() {
			return bad("malformed singleRequestExtensions")
		}
		for _, x := range exts {
			if x.critical {
				return bad("unsupported critical extension %v", x.id)
			}
		}
		req.CertIDs = append(req.CertIDs, id)
	}
	if len(req.CertIDs) == 0 {
		return bad("no certificate asked about")
	}
	exts, err := readExtensions(&tbs, cbasn1.Tag(2).ContextSpecific().Constructed())
	if err != nil || !tbs.Empty() {
		return bad("malformed requestExtensions")
	}
	for _, x := range exts {
		switch {
		case x.id.Equal(oidOCSPNonce):
			if req.nonceExt != nil {
				return bad("two nonces")
			}
			req.nonceExt = x.value
			req.Nonce = nonceValue(x.value)
			if len(req.Nonce) == 0 || len(req.Nonce) > MaxOCSPNonce {
				return bad("nonce of %d octets, want 1 to %d", len(req.Nonce), MaxOCSPNonce)
			}
		case x.critical:
			return bad("unsupported critical extension %v", x.id)
		}
	}
	return req, nil
}

// nonceValue returns the nonce in a nonce extension value: the contents of
// the OCTET STRING it holds (RFC 9654), or, from clients that predate that
// clarification and put the bare nonce in extnValue, the value itself.
func nonceValue(v []byte) []byte {
	s := cryptobyte.String(v)
	var inner []byte
	if s.ReadASN1Bytes(&inner, cbasn1.OCTET_STRING) && s.Empty() {
		return inner
	}
	return v
}

// parseCertID decodes
//
//	CertID ::= SEQUENCE {
//	    hashAlgorithm   AlgorithmIdentifier,
//	    issuerNameHash  OCTET STRING,
//	    issuerKeyHash   OCTET STRING,
//	    serialNumber    CertificateSerialNumber }
func parseCertID(raw cryptobyte.String) (OCSPCertID, error) {
	bad := func(what string) (OCSPCertID, error) {
		return OCSPCertID{}, fmt.Errorf("%w: malformed CertID %s", ErrOCSPRequest, what)
	}
	id := OCSPCertID{raw: append([]byte{}, raw...), SerialNumber: new(big.Int)}
	in := raw
	var seq, algo cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1(&algo, cbasn1.SEQUENCE) || !algo.ReadASN1ObjectIdentifier(&oid) {
		return bad("hash algorithm")
	}
	if !algo.Empty() && (!algo.SkipASN1(cbasn1.NULL) || !algo.Empty()) {
		return bad("hash algorithm parameters")
	}
	h, ok := hashByOID(certIDHashes, oid)
	if !ok {
		return OCSPCertID{}, fmt.Errorf("%w: unsupported CertID hash %v", ErrOCSPRequest, oid)
	}
	id.HashAlgorithm = h.name
	if !seq.ReadASN1Bytes(&id.IssuerNameHash, cbasn1.OCTET_STRING) || !seq.ReadASN1Bytes(&id.IssuerKeyHash, cbasn1.OCTET_STRING) {
		return bad("hashes")
	}
	if size := h.new().Size(); len(id.IssuerNameHash) != size || len(id.IssuerKeyHash) != size {
		return bad("hash length")
	}
	if !seq.ReadASN1Integer(id.SerialNumber) || !seq.Empty() {
		return bad("serial number")
	}
	return id, nil
}

// extension is one X.509-style extension.
type extension struct {
	id       asn1.ObjectIdentifier
	critical bool
	value    []byte
}

// readExtensions reads an optional explicitly tagged Extensions
// (SEQUENCE SIZE (1..MAX) OF Extension) from s.
func readExtensions(s *cryptobyte.String, tag cbasn1.Tag) ([]extension, error) {
	var wrapper, seq cryptobyte.String
	var present bool
	if !s.ReadOptionalASN1(&wrapper, &present, tag) {
		return nil, fmt.Errorf("%w: malformed extensions", ErrOCSPRequest)
	}
	if !present {
		return nil, nil
	}
	if !wrapper.ReadASN1(&seq, cbasn1.SEQUENCE) || !wrapper.Empty() || seq.Empty() {
		return nil, fmt.Errorf("%w: malformed extensions", ErrOCSPRequest)
	}
	var out []extension
	for !seq.Empty() {
		var ext cryptobyte.String
		var x extension
		if !seq.ReadASN1(&ext, cbasn1.SEQUENCE) || !ext.ReadASN1ObjectIdentifier(&x.id) ||
			!ext.ReadOptionalASN1Boolean(&x.critical, cbasn1.BOOLEAN, false) ||
			!ext.ReadASN1Bytes(&x.value, cbasn1.OCTET_STRING) || !ext.Empty() {
			return nil, fmt.Errorf("%w: malformed extension", ErrOCSPRequest)
		}
		out = append(out, x)
	}
	return out, nil
}

// CreateOCSPRequest makes an OCSP request for cert, issued by issuer, with
// CertID hashes of suite s (SHA-256 or SM3) and, unless nonce is nil, a
// nonce of 1 to 128 bytes (RFC 9654 recommends 32 random bytes). It is what
// a relying party or the wallet sends to /ocsp; ParseOCSPResponse reads the
// answer.
func CreateOCSPRequest(s suite.Suite, cert, issuer *x509.Certificate, nonce []byte) ([]byte, error) {
	if nonce != nil && (len(nonce) == 0 || len(nonce) > MaxOCSPNonce) {
		return nil, fmt.Errorf("credential: OCSP nonce of %d bytes, want 1 to %d", len(nonce), MaxOCSPNonce)
	}
	keyBits, err := subjectPublicKeyBits(issuer.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, fmt.Errorf("credential: OCSP request: issuer: %w", err)
	}
	h := suiteHash(s)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // tbsRequest
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // requestList
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // Request
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // CertID
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1ObjectIdentifier(h.oid)
							b.AddASN1NULL()
						})
						b.AddASN1OctetString(h.sum(issuer.RawSubject))
						b.AddASN1OctetString(h.sum(keyBits))
						b.AddASN1BigInt(cert.SerialNumber)
					})
				})
			})
			if nonce != nil {
				b.AddASN1(cbasn1.Tag(2).ContextSpecific().Constructed(), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1ObjectIdentifier(oidOCSPNonce)
							b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) { b.AddASN1OctetString(nonce) })
						})
					})
				})
			}
		})
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("credential: OCSP request: %w", err)
	}
	return der, nil
}

// OCSPRequestFromGET decodes the request of an OCSP GET (RFC 6960 appendix
// A.1): the last path segment after /ocsp/, which is the base64 of the DER
// request, URL-encoded. It accepts the segment escaped or already
// unescaped by a router, with or without padding, and the URL-safe
// alphabet too. Errors wrap ErrOCSPRequest.
func OCSPRequestFromGET(segment string) ([]byte, error) {
	if strings.Contains(segment, "%") {
		u, err := url.PathUnescape(segment)
		if err != nil {
			return nil, fmt.Errorf("%w: bad URL encoding: %w", ErrOCSPRequest, err)
		}
		segment = u
	}
	segment = strings.TrimRight(segment, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(segment, "-_") {
		enc = base64.RawURLEncoding
	}
	der, err := enc.DecodeString(segment)
	if err != nil {
		return nil, fmt.Errorf("%w: bad base64: %w", ErrOCSPRequest, err)
	}
	return der, nil
}
