// Package credential issues what a resident holds: the internet number (a
// random account identifier with a check character) and the
// internet certificate and its revocation (CRL, OCSP).
//
// Internet numbers follow the system they are modelled on: ten letters and
// digits. Nine are random Crockford base32 characters (45 bits: room for
// tens of billions of numbers with negligible collision rates, collisions
// being retried under a uniqueness constraint anyway) and the tenth is a Damm
// check character over GF(32), which catches every single typo and every
// swap of two neighbouring characters.
//
// # Internet certificates
//
// An internet certificate is an X.509 certificate from netid's issuing CA
// binding an internet number to a key held on the resident's device, in
// the configured crypto suite (ecdsa-with-SHA256 or SM2-with-SM3). The
// enrolment flow:
//
//	wallet                                   service
//	device key (secure element)
//	CreateCSR(key, nonce)  ── CSR ──▶        ParseCSR(suite, csr, nonce)   proof of possession, bound to this enrolment
//	                                         Commit(suite, attributes)     salts drawn, values never stored
//	                                         CA.Issue(number, key, commitments)
//	certificate, openings  ◀────────────
//
// ParseCSR accepts a PKCS#10 request signed by its key: ECDSA P-256 in
// both suites, and SM2 too in the sm suite (phones' secure elements hold
// P-256 keys only, so the sm suite cannot insist on SM2; SM2 in the intl
// suite would make every relying party carry the SM stack). The request
// must carry the enrolment's nonce as its challengePassword attribute
// (RFC 2985), the way EST binds a request to its session (RFC 7030 section
// 3.5), so that a request cannot be replayed into another enrolment. The
// request's subject and extensions are ignored: the CA decides the
// content. The parser is netid's own (strict DER through cryptobyte) and
// verifies with the suite, one path for both key types.
//
// The certificate profile (Issue):
//
//	subject       CN = serialNumber = internet number
//	serial        128 random bits, unique (stored; a collision draws again)
//	validity      Config.Validity (one year), NotBefore backdated 5 minutes
//	key usage     digitalSignature; extKeyUsage clientAuth; CA:FALSE
//	SKI / AKI     RFC 7093 hash of the device key / the CA key id
//	CRL DP        <base>/crl?ca=<CA key id>;  AIA OCSP <base>/ocsp
//	commitments   OIDCommitments, non-critical
//
// # Commitments and selective disclosure
//
// The certificate carries no identity attribute in the clear, only
// commitments (OIDCommitments, under the netid arc OIDNetidArc, which is a
// documentation PEN until netid registers its own):
//
//	Commitments ::= SEQUENCE SIZE (1..32) OF SEQUENCE {
//	    attribute   UTF8String,          -- "birthdate", "age_over_18", ...
//	    algorithm   OBJECT IDENTIFIER,   -- sha-256 (intl) or sm3 (sm)
//	    commitment  OCTET STRING }       -- Hash(salt || u16 len(name) || name || value)
//
// with a fresh 32-byte salt per attribute, kept only by the wallet (the
// Opening). To show one attribute to a platform, the wallet discloses its
// value and salt; the platform recomputes the commitment
// (Commitment.Verify) and learns that value and nothing else. Without the
// salt a commitment does not even reveal a value from a small set (a birth
// date). The length prefix is an addition to "salt || name || value": it
// keeps the split between name and value unambiguous.
//
// # CA certificates and keys
//
// Each CA key of the key store (purpose ca) has one self-signed root
// certificate, CN "netid Internet Certificate CA <key id>", the key id as
// subject key identifier, path length 0. Its content derives from the key
// alone (serial from the key id, validity from the key's creation), but
// the signature is randomised, so the first node to need it stores it
// (CertStore.PutCACertificate, first writer wins) and every node uses and
// publishes those bytes. A stored certificate is checked against the key
// before use: one naming another key is refused (ErrCAMismatch), since it
// would be published as a trust anchor. CACertificatesPEM (GET /ca.pem)
// lists the roots of the active and retiring keys: after a rotation,
// certificates of the retiring key keep verifying, and that key still signs
// their CRL and OCSP answers. Retire a CA key only when the last
// certificate it issued has expired (Config.Validity after the rotation).
//
// # Renewal and revocation
//
// Renew issues a certificate on a new device key for the same number and
// revokes the old one as superseded, in one transaction; the commitments
// carry over so the wallet's openings stay valid. A revoked certificate
// cannot be renewed. Revoke and RevokeAllFor (account deletion, locks)
// revoke for good (no certificateHold); a second revocation of one
// certificate is ErrAlreadyRevoked and the first stands.
//
// Each CA key has its own CRL (CRL, GET /crl for the active key's, GET
// /crl?ca=<key id> for any active or retiring key's), listing its revoked,
// unexpired certificates. The CRL number comes from the store, taken in
// the transaction that reads the revocations, so across nodes a higher
// number never lists less. A node reuses its CRL for Config.CRLRefresh (a
// minute) or until it revokes something itself; nextUpdate is
// Config.CRLValidity later. The sm suite signs CRLs with gmsm's smx509,
// whose CreateRevocationList matches crypto/x509's.
//
// OCSPRespond answers RFC 6960 requests (POST /ocsp, GET /ocsp/{base64}):
// good, revoked or unknown, signed directly by the CA key that issued the
// certificate (no delegated responder), responder named by the CA's
// subject, nonce echoed (RFC 9654). CertIDs may use SHA-1, SHA-2 or SM3.
// Bad requests get malformedRequest, unknown issuers unauthorized, store
// failures tryLater or internalError: never an HTTP error. The response is
// built with cryptobyte and signed with the suite, because
// golang.org/x/crypto/ocsp signs neither SM2 nor SM3 CertIDs; tests check
// the intl responses with x/crypto/ocsp.
//
// # Verification
//
// What a relying party (or the online verification API) runs, offline:
// VerifyCertificate, or a Verifier, which remembers certificates it has
// verified (returning residents cost a hash, not a signature
// verification); VerifyCRL for revocation from a CRL; CreateOCSPRequest and
// ParseOCSPResponse for revocation online, in either suite.
//
// # HTTP
//
// The package has no handlers (domain packages do not import httpapi);
// the HTTP layer maps:
//
//	GET  /ca.pem            CA.CACertificatesPEM         application/x-pem-file
//	GET  /crl[?ca=<key id>] CA.CRL(ctx, ca)              application/pkix-crl, max-age until CRL.RefreshAt; ErrUnknownCA → 404
//	POST /ocsp              CA.OCSPRespond(ctx, body)    application/ocsp-request, body ≤ Config.MaxOCSPRequest
//	GET  /ocsp/{req...}     OCSPRequestFromGET, then CA.OCSPRespond
//
// OCSP always answers 200 application/ocsp-response, using
// OCSPErrorResponse for what the HTTP layer refuses itself.
package credential
