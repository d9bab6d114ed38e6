// Package wallet is the resident's client of netid (DESIGN.md: "wallet/ the
// resident's client: device key, enrol, approve, present, verify
// history"). It keeps the device key and what the service returned at
// enrolment in a wallet directory, talks to the server through a typed
// HTTP client, and drives the enrolment without a terminal, so that the
// `netid wallet` commands, scripts and tests all use the same code.
//
// # The wallet directory
//
//	DIR/            mode 0700; a directory group or others may access is refused
//	  device.key    the device key: PKCS#8, PEM "PRIVATE KEY", mode 0600
//	                (ECDSA P-256 for suite intl, SM2 for suite sm; package suite
//	                generates and marshals it)
//	  wallet.json   the State, mode 0600, format "netid-wallet/1"
//	  .lock         flock(2) target: one command changes the wallet at a time
//
// Every file is read only after checking, on the opened file, that it is a
// regular file (not a symbolic link) that group and others cannot access
// (ErrInsecurePermissions, with the chmod that fixes it). wallet.json is
// written atomically: a temporary file in the directory, fsync, rename,
// fsync of the directory; a crash leaves the old file or the new one. The
// device key is created with link(2), which never replaces an existing
// key. wallet.json is decoded strictly (unknown members, another format
// and inconsistent content are refused with ErrWalletFormat), so that a
// wallet written by a later netid is never rewritten without what this
// version did not understand. Later versions bump the format when they add
// state (QR-login approvals, presentations, the transparency-log
// checkpoints of `wallet history --verify`).
//
// wallet.json holds, as the enrolment progresses:
//
//	format, suite, server, created_at
//	enrolment   while enrolling: id, token (the capability, shown once by
//	            the server), csr_nonce, expires_at, age_group, pathway,
//	            phone_optional, started_at, the number a code was sent to
//	            and when, the open face challenge and when
//	account     after completion: internet_number (and display form),
//	            status, pathway, assurance_ceiling, certificate_pem, ca_pem,
//	            serial, verified, not_before, not_after, openings
//	            [{attribute, value, salt}], dynamic_code {secret, digits,
//	            period, algorithm}, guardian_approval_code, enrolled_at
//
// The token, the openings, the dynamic-code secret and the guardian
// approval code are secrets: Summary leaves them out unless asked.
//
// # Client
//
// Client covers every route of the enrolment API contract (start,
// assisted start, status, phone, face, password, completion, guardian
// approval, account upgrade) and the demo routes of `netid serve --demo`. Requests have a
// time limit, answers a size limit, redirects are not followed (they would
// carry the enrolment token or a password elsewhere), and an answer that
// is not JSON is refused (ErrResponse) rather than misread. Every error
// answer becomes a *Problem (RFC 9457: type, title, status, detail), its
// text cleaned of control characters; its message is the detail the server
// wrote for the resident. A 503 "busy" answer (the password hasher's queue
// is full; the server did nothing) is retried after its Retry-After, a few
// times.
//
// # Enrolment
//
// Enrol drives the flow of package enrol over HTTP:
//
//	start        POST /v1/enrolments (evidence, guardian)  → saved: id, token, CSR nonce
//	phone        send a code, get it from EnrolOptions.Code, verify; or skip where optional
//	face         challenge (saved), capture from Face, attestation from Liveness, submit
//	password     set it
//	complete     CSR by the device key with the nonce (credential.CreateCSR) →
//	             answer saved, then VerifyAccount → marked verified
//
// It is resumable: each step's outcome is saved, and a later call asks the
// server where the enrolment stands (GET /v1/enrolments/{id}) and goes on
// from there, following the server when it answers wrong-step. A code sent
// in an earlier run is verified rather than sent again; an open face
// challenge is reused, so that an attestation made outside the wallet for
// it (LivenessFromFile) still serves, and replaced once if the server no
// longer accepts it. What Enrol needs and was not given stops it with an
// *InputNeededError naming the input (and, for liveness, the challenge to
// attest): the command line exits 3 and says which flag gives it. An
// enrolment the server forgot (expired) is dropped from the wallet and
// started again when the document is given.
//
// The inputs come from providers: CodeFunc, FaceFunc and LivenessFunc. The
// command line reads flags and files (StaticCode, CodeFromFile,
// FaceFromFile, LivenessFromFile); the demo takes them from the demo
// server (DemoSource: the chip and printed MRZ, a face of the synthetic
// holder, an attestation from the development detector, the SMS sink);
// tests give functions of their own.
//
// The completion's answer is saved before it is verified, because its
// openings and dynamic-code secret exist nowhere else; VerifyAccount then
// checks it offline: the certificate chains to the returned CA
// certificates in the CA's suite (found from the CA key: P-256 is intl,
// SM2 is sm; an sm CA also certifies P-256 device keys) and is a valid
// internet certificate (credential.VerifyCertificate); it names the
// internet number and serial the server gave; it certifies this wallet's
// device key; every opening opens its commitment and every commitment has
// its opening; the dynamic-code parameters are usable. Only then is the
// account marked verified and success declared.
//
// # Upgrade
//
// Upgrade adds document evidence to the wallet's account (POST
// /v1/residents/upgrade): the resident of an assisted enrolment who has
// since obtained a passport or an identity card keeps the same internet
// number, and the account's evidence pathway and assurance ceiling rise
// to the document's (at most substantial: an upgrade keeps no face
// template). The resident logs in with the wallet's internet number and
// password; the evidence has the shape of a start's (a chip dump with the
// printed MRZ, or authority evidence). The password alone does not bind a
// document: Upgrade asks for an upgrade challenge (POST
// /v1/residents/upgrade/challenge), takes a face capture and its liveness
// attestation for that challenge through the providers enrolment uses
// (FaceFunc, LivenessFunc; the demo camera and detector with a
// DemoSource), and sends them with the document; the server matches the
// face with a chip's portrait. A run that stops for an attestation saves
// the challenge in wallet.json (upgrade_challenge) for the next run, as
// enrolment saves its face challenge. The new pathway and ceiling are
// saved in wallet.json, under the lock. The certificate and its openings are kept
// as they are: the certificate names no pathway, but its commitments stay
// those of the attributes recorded at enrolment (the registrar's), not
// the document's; a certificate committing to the document's attributes
// needs a reissue, which this version does not offer. If the server
// upgraded the account but the wallet could not save it
// (ErrUpgradeNotSaved), running the upgrade again records it: the server
// answers the same for a document the account has already.
//
// # Dynamic code
//
// DynamicCode computes the wallet's dynamic code (RFC 6238, with the
// parameters the server gave: 8 digits, 30 s, HMAC-SHA-256), the second
// factor typed at login, with credential.DynamicCode.
//
// # What comes next
//
// The device key signs through crypto.Signer (Signer), the certificate and
// openings are in the Account, and the Client is the place for new routes:
// QR-login approval (`wallet approve`), certificate presentation (`wallet
// present`) and transparency-log verification (`wallet history --verify`)
// are methods and files added beside these, under the same lock and the
// same atomic saves.
package wallet
