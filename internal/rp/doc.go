// Package rp is the registry of relying parties: the platforms that
// authenticate residents through netid's OpenID provider (package oidc).
// The operator registers each one; nothing registers itself.
//
// A relying party (RP) has a client id and a client secret, a name shown to
// residents, redirect URIs matched exactly (no wildcards, no prefix match:
// RFC 9700 section 4.1.3), post-logout redirect URIs matched the same way,
// a sector, the claims it was approved for (each with the purpose it stated
// to the operator, which residents see on the consent page), whether it may
// receive the internet number, whether it shares data onward, its minimum
// assurance level and its status.
//
// # Claims
//
// The claim vocabulary is Claims(): the internet number (an identifier),
// plaintext identity attributes (name, birthdate, gender, nationality,
// document_number) and age predicates (age_over_14, age_over_16,
// age_over_18, age_over_60), which reveal one bit, never the birth date.
// An RP receives a claim only if it is approved here, requested by the RP
// and consented to by the resident (package oidc enforces the last two).
// The internet number is doubly guarded: it must be an approved claim and
// MayReceiveInternetNumber must be set; Normalize refuses one without the
// other, so that the operator states the intent twice.
//
// # Sector
//
// The sector is what pairwise subjects are computed for: RPs of one sector
// (one organisation's sites) see the same subject for a resident, RPs of
// different sectors cannot link residents by identifier. It defaults to the
// host of the redirect URIs when they share one, and it never changes after
// registration (Update refuses), because changing it would change every
// subject the RP knows.
//
// # Secrets
//
// Client secrets are 256 random bits, shown once at Create and
// RotateSecret. The registry keeps SHA-256 of the secret, compared in
// constant time. A slow password hash (argon2id) protects low-entropy
// secrets against offline guessing; a 256-bit random secret cannot be
// guessed, so the slow hash would only cost ~30 ms of CPU on every token
// request, capping the token endpoint far below the target throughput, and
// a key (HMAC) would add key management that protects nothing more. SHA-256
// is used whatever the crypto suite, as for the other protocol artefacts
// (codes and tokens, ES256 signatures), so that changing the suite does not
// invalidate every RP's credentials.
//
// # Files
//
//	rp.go        RP, Registration, Status
//	claims.go    the claim vocabulary and "claim=purpose" parsing
//	validate.go  the registration rules
//	service.go   Service: Create, Get, List, Update, Suspend, Activate, RotateSecret
//	secret.go    client secrets and their hashes
//	store.go     the Store the registry needs (implemented in internal/store/sqlstore)
//	errors.go    ErrNotFound, ErrInvalid, ErrSuspended
package rp
