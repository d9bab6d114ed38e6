// Package resident is the resident's side of netid: signing in to one's
// own account, and every right the law gives over it. The Service is what
// the resident API (Routes, JSON) and the portal (server-rendered pages,
// which call the Service's methods directly) share; docs/residents.md
// describes each right and how to exercise it from the wallet and the API.
//
// # Signing in
//
// A session is a random 256-bit token stored as its hash
// (resident_sessions), lasting Config.SessionTTL from sign-in. Two ways:
//
//   - password (Login): internet number or login phone number and
//     password, through enrol.AuthenticateResident, so with its throttling
//     and its locks; level low;
//   - wallet (Challenge, LoginWallet): the wallet fetches a single-use
//     challenge and presents its internet certificate for the audience
//     "netid:resident" answering it (credential.CreatePresentation). The
//     chain, the device key's signature, the audience and the validity are
//     checked, then, in one transaction, that the certificate is this CA's
//     and not revoked (from the CA's store, current to the second) and the
//     challenge is used up; level substantial. The device key is what
//     unlocks: this path honours no lock, and a lost device is stopped by
//     revoking its certificate.
//
// A password session ends at once when the password or the account is
// locked (SessionFor checks at every request).
//
// # Acting on an account
//
// Every method that reads or changes an account takes an Actor: Self(sess)
// for the resident's own account, ForMinor(sess, id) for a guardian acting
// on a minor's. ForMinor asks enrol.GuardianOf at every request, which
// opens the minor's sealed birth date: on the 18th birthday the control
// ends by itself, with no job to run. A guardian may see the minor's data,
// disclosures, consents, certificates and locks, withdraw consents, revoke
// certificates and lock or unlock; not export, read the log or delete.
//
// # The transparency log
//
// Every change here is appended to the subject's log in the transaction
// that makes it: consent-withdrawn (WithdrawConsent, Delete),
// certificate-revoked (by the CA, through credential.WithEvents),
// account events method-locked and method-unlocked (Ref: the method),
// data-exported, deleted (by enrol), and, for a guardian, guardian-viewed
// or guardian-acted with Ref "guardian:" and the guardian's log id (the
// action's own entry precedes it; the minor's history resolves the log id
// to the guardian's internet number). ConsentLog adds consent-granted
// entries to the OpenID provider's consent page without changing the
// provider. No entry holds plaintext identity data.
//
// History serves the resident's own entries, each with its inclusion
// proof against one signed checkpoint (signed on the spot when the latest
// does not cover them yet), and the consistency proof from the tree size
// the wallet saw last: everything the wallet's Auditor needs to catch an
// operator who dropped or rewrote entries.
//
// # Routes
//
//	GET    /v1/me/challenge                       a sign-in challenge for the wallet
//	POST   /v1/me/sessions                        sign in: {username, password} or {presentation}
//	DELETE /v1/me/session                         sign out
//	GET    /v1/me                                 the data held, opened
//	DELETE /v1/me                                 delete the account: {confirm, password | presentation}
//	GET    /v1/me/disclosures?platform=&claim=&from=&to=&before=&limit=
//	GET    /v1/me/history?since_size=&after_seq=&limit=
//	GET    /v1/me/consents                        remembered consents
//	DELETE /v1/me/consents/{client_id}            withdraw a consent
//	GET    /v1/me/certificates
//	POST   /v1/me/certificates/{serial}/revoke    {reason} optional
//	GET    /v1/me/export                          everything, one JSON attachment
//	GET    /v1/me/locks, GET|PUT|DELETE /v1/me/locks/{method}
//	GET    /v1/me/minors                          minors under guardianship today
//	GET    /v1/me/minors/{id}                     a minor's data
//	       /v1/me/minors/{id}/...                 disclosures, consents, certificates, locks as above
//
// Bad input is a 400 problem; a resource of another resident is a 404,
// as if it did not exist; no session, an expired one or a deleted account
// a 401.
package resident
