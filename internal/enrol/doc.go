// Package enrol is the enrolment domain of netid: a resident enrols once and
// leaves with an internet number and an internet certificate (DESIGN.md,
// flow 1). It owns the enrolment state machine, the rules for minors and
// guardians, the evidence pathways (document-chip, document-authority,
// assisted), the identity anchor, and the account (resident) it creates.
// It has no HTTP: the HTTP layer and the wallet call the Service.
//
// # Flow
//
//	Start(evidence) / StartAssisted(registrar, evidence)     → created      (id, token, CSR nonce)
//	SendPhoneCode, VerifyPhone  (or SkipPhone where allowed) → phone-verified
//	FaceChallenge, SubmitFace(capture, keep template?)       → face-verified
//	SetPassword                                              → password-set
//	Complete(CSR)                                            → completed    (internet number, certificate,
//	                                                                         openings, dynamic-code secret)
//
// Each arrow is one store transaction (store.TxRunner.InTx) that reloads the
// enrolment, checks that it still expects the step and is still at the
// version the caller's checks saw, and writes it back with a compare-and-set:
// a step retried by InTx, or raced by a second request, cannot apply twice.
// A step called out of order is refused with a *WrongStepError naming the
// step expected (ErrWrongStep). Expensive or external work (passive
// authentication, the authority query, the SMS, the face match, argon2id)
// runs before the transaction, never inside it, so a retried transaction
// neither repeats it nor sends an SMS twice. Enrolments expire after
// Config.EnrolmentTTL (ErrExpired); PruneExpired deletes them and
// crypto-shreds what they collected.
//
// # Capability token
//
// Start returns an enrolment id and a token of 32 random bytes (base64url).
// Only the token's suite hash is stored; every later call takes (id, token)
// and compares in constant time. A wrong token is answered exactly like an
// unknown id (ErrNotFound), so ids reveal nothing.
//
// # Evidence and the identity anchor
//
// Chip: emrtd.VerifyChip with the configured trust store and, when given,
// the printed MRZ; expired documents are refused by it. The identity (name,
// birth date, sex, nationality, document number, issuing state) comes from
// DG1, the portrait from DG2. The anchor is (issuing state, personal number)
// when a TD3 passport carries a personal number in its optional data, which
// stays with the person across passports; otherwise (issuing state +
// document code, document number). Known limitation: a renewed passport
// without a personal number is a new anchor, so it could enrol a second
// account; Upgrade links it to the existing account instead, and registrars
// and the authority pathway are the stronger anchors.
//
// Authority: document.ValidateNumber, then document.Authority.Verify, which
// must answer valid; other answers are refused with an *AuthorityRefusal in
// an ErrEvidenceRefused. For the GB 11643 documents (resident identity card,
// Hong Kong/Macao and Taiwan residence permits) the anchor is ("CHN", the
// national identity number): one number for life, whichever card carries
// it. Other document types anchor on ("CHN:" + type, person number).
//
// Assisted: a registrar (created by the operator, authenticated by a bearer
// token of which only the hash is stored) records the alternative evidence
// (refugee or asylum registration, birth certificate, attestation by a known
// person, other) and their own id. The anchor is (kind + issuer, reference):
// it stops one registration from enrolling twice, not one person enrolling
// twice with different evidence; that is the registrars' procedure to
// prevent.
//
// The anchor is stored only as a keyed blind index (keystore purpose
// blind-index, with the key id next to it so that a rotation can re-index)
// under a primary key, and in the clear only inside the identity record
// sealed under the resident's data key, for display (Service.Identity).
// Lookups try every active and retiring blind-index key. Start refuses an
// anchor already enrolled (ErrDuplicateIdentity) as an early answer;
// Complete enforces it in its transaction with the primary key, so two
// concurrent enrolments of one document end in one account and one
// ErrDuplicateIdentity, on both engines.
//
// # Minors and guardians
//
// Age comes from the document's birth date on the day of enrolment
// (document.Date.AgeOn). The issue says "a child of 14 or under" enrols
// through a guardian and "a resident aged 14-17" under supervision: the two
// overlap at 14. netid reads the first as decisive: 14 or under is a child
// (AgeChild: Start needs a GuardianApplication, ErrGuardianRequired
// otherwise); 15 to 17 a supervised minor (AgeMinor: enrols in their own
// name, completes as pending-guardian until a guardian approves with
// ApproveMinor); 18 and over an adult. Both limits are configuration
// (Config.ChildMaxAge, Config.AdultAge).
//
// A guardian is an active adult resident whom the HTTP layer authenticated
// (AuthenticateResident); the application carries the relationship, the
// evidence (kind in the clear, reference and notes sealed under the child's
// data key) and the guardian's consent. ApproveMinor needs the approval
// code that Complete gave the minor, so an adult cannot attach themselves
// to a minor by knowing an internet number. Links are recorded with their
// evidence, kind (application or approval) and time.
//
// # Phone
//
// Codes go through phone.Verifier with purpose "enrol" and the enrolment id
// as binding. The verified number is sealed in the enrolment (and then the
// account), with a blind index for login by phone number. Login phone
// numbers are unique among accounts (a nullable unique column). A child
// enrolled through a guardian application may use a number that is already
// a login phone (typically the guardian's): it is kept for contact but the
// child cannot log in by it. Anyone else gets ErrPhoneInUse. The phone step
// is optional (SkipPhone) for assisted enrolments and guardian applications,
// whose people may have no phone of their own.
//
// # Face
//
// FaceChallenge issues a liveness nonce bound to the enrolment; SubmitFace
// verifies the capture's liveness attestation for it and, when the evidence
// has a portrait (chip DG2), matches the capture against it with
// biometric.MatchLive. The score is logged, never returned. A mismatch
// consumes the challenge and counts an attempt; Config.MaxFaceAttempts of
// them close the enrolment. The authority and assisted pathways (and chips
// read without DG2) have no portrait in this version: the capture is checked
// for liveness only and the account's assurance ceiling is at most
// substantial; a later Upgrade with a document records the stronger
// pathway. The face template is extracted and sealed only if the resident
// consents to keep it for high-assurance logins; otherwise none is stored,
// and the sealed document portrait is wiped from the enrolment at
// completion.
//
// # Upgrade
//
// Upgrade adds document evidence to an existing account (typically an
// assisted one): the document's anchor is recorded for the account, the
// pathway and ceiling (at most substantial) rise. The resident proves
// more than the password: UpgradeChallenge issues a stateless liveness
// challenge, base64url(version | key id | nonce | expiry | MAC), the MAC
// under the blind-index key named in it over a domain-separated message
// that includes the resident id, valid for Config.FaceChallengeTTL. Upgrade
// verifies it for the resident, then the evidence, then the face: chip
// evidence needs a live capture matching the chip's DG2 portrait
// (biometric.MatchLive; a chip read without DG2 is refused with
// ErrUpgradeNeedsPortrait, as otherwise dropping DG2 would skip the
// match); authority evidence, which has no portrait, a live capture.
// Single use is not enforced (no state): the attestation binds the
// challenge and the capture digest, the window is short and the password
// is needed too (upgradeface.go says more). Every refusal comes before
// anything is written.
//
// # Completion and issuance
//
// Complete parses the wallet's CSR for the enrolment's nonce (proof of
// possession of the device key), commits to name, birth date, sex,
// nationality and document number with fresh salts (credential.Commit), and
// in one transaction: assigns the internet number (the one drawn at Start
// for the password check, redrawn on collision; numbers are never deleted,
// so a retired number is never reassigned), records the anchor, creates the
// resident, records a child's guardian link, has the CA issue the
// certificate, and closes the enrolment, wiping its personal data. The CA
// keeps its records in the same store and joins the transaction, so a
// rolled-back completion leaves no certificate record, and the signed bytes
// are never returned. The openings and the dynamic-code secret (32 bytes,
// stored sealed) are returned once, in Completed, and never again.
//
// # Storage
//
// Store (store.go) is implemented by internal/store/sqlstore (enrol*.go,
// migration 0005_enrolment.sql on both engines) and checked by the
// conformance suite in internal/store/storetest (enrol.go). Personal data is
// only ever stored sealed under the resident's data key (envelope), which
// Start creates: abandoning an enrolment is erased by shredding that key.
// A bulk loader (netid seed) that writes residents without enrolments
// builds their sealed fields and anchor index with seedrecord.go's
// exported functions, the ones enrolment itself writes them with, so that
// those formats have one owner.
//
// # Errors
//
// errors.go lists the refusals, each with a message a resident understands
// and the cause (document, chip, authority, phone, password, biometric
// errors) kept in the chain for finer mapping and for logs.
package enrol
