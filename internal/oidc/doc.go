// Package oidc is netid's OpenID provider: how platforms (relying parties,
// package rp) log residents in through standard OpenID Connect, learning by
// default only that the resident was verified, a pairwise subject and the
// assurance level reached.
//
// The protocol plumbing is github.com/zitadel/oidc/v3 (op.Server): it
// routes the endpoints, parses requests, authenticates nothing by itself
// but hands over client credentials, validates the redirect URI against
// the client before any other check, and renders every error in the OAuth
// format, as a redirect to the client once the redirect URI is known good
// and as JSON otherwise. This package implements the decisions (server.go)
// over its own store, so that each step is one or two store round trips and
// each state change one transaction.
//
// # Routes
//
//	GET       /.well-known/openid-configuration  discovery (with authorization_response_iss_parameter_supported)
//	GET       /oidc/jwks                         active, pending and retiring token-signing keys, ES256
//	GET, POST /oidc/authorize                    authorization endpoint: code flow, PKCE S256 required
//	POST      /oidc/token                        authorization_code, refresh_token (rotated), device_code (RFC 8628)
//	POST      /oidc/device_authorization         RFC 8628 device authorization (QR login), client authenticated
//	GET, POST /oidc/userinfo                     the released claims
//	POST      /oidc/revoke                       RFC 7009
//	POST      /oidc/introspect                   RFC 7662, an RP's own tokens only
//	GET, POST /oidc/end_session                  RP-initiated logout
//	GET, POST /login                             login page (username, password, CSRF token)
//	GET, POST /consent                           consent page, claim by claim with the RP's purpose
//	GET, POST /logout                            logout confirmation (a logout request without id_token_hint)
//	GET, POST /login/second-factor               the wallet's dynamic code or approval, after the password (step-up)
//	GET       /device                            the QR code of a device authorization's verification URI
//	GET       /approve/{code}                    where a login approval's QR code leads a browser
//	GET, POST /v1/approvals/{code}               the wallet's approval API (JSON, problem+json, throttled)
//
// # Flow
//
//	RP ──/oidc/authorize──▶ validate (client, exact redirect URI, openid, PKCE S256, acr)
//	      level unreachable ──▶ error unmet_authentication_requirements to the RP, never a weaker login
//	      live session + remembered consent covers the request ──▶ code (single sign-on: one insert)
//	      otherwise ──▶ interaction (stored) ──▶ /login ──▶ /consent ──▶ code
//	      substantial: /login ──▶ /login/second-factor (dynamic code, or the wallet's approval) ──▶ /consent
//	RP ──/oidc/token──▶ one transaction: mark the code used, insert the tokens, record the disclosure
//	                  ──▶ ID token (ES256, kid of the active key), access token, refresh token (offline_access)
//
// Every redirect back to the RP, success or error, carries state and iss
// (RFC 9207). The code and the tokens are 256-bit random values; the store
// keeps their SHA-256 only.
//
// # Subjects, claims, consent
//
// The subject is pairwise: base64url(MAC(pairwise key, sector ‖ 0 ‖
// internet number)) under the suite MAC. The pairwise key is a blind-index
// key pinned in the store the first time a subject is computed; rotating
// the blind-index purpose is harmless (a retiring key still computes), but
// the pinned key must never be retired, or every subject at every RP would
// change. Check (for /readyz) fails when it is gone rather than hand out
// new subjects.
//
// A claim is released only if the RP is approved for it now (rechecked at
// every token and userinfo response), the RP requested it (a scope of the
// claim's name; profile stands for name, birthdate and gender), and the
// resident ticked it on the consent page for the purpose the RP states now.
// Plaintext identity attributes need a separate consent to plaintext data;
// an RP that shares data onward receives no claim without a separate
// consent to that sharing. Age predicates read an incomplete birth date
// conservatively. A remembered consent skips the consent page while it
// answers everything the request asks; WithdrawConsent forgets it and
// revokes the RP's grants.
//
// # Levels
//
// acr is low, substantial or high; amr lists RFC 8176 methods. A password
// login reaches low (pwd); a request that needs substantial continues after
// the password at the second-factor page (stepup.go): the wallet's dynamic
// code (pwd otp mfa) or an approval signed by its device key (pwd swk mfa).
// The QR login (device.go, RFC 8628) reaches substantial with the device
// key alone (swk). high is not reachable (maxAchievable). The required
// level is the higher of the RP's minimum and the lowest level in
// acr_values; a request above what a login can reach is refused before any
// page, and no code is issued from a session below the required level.
//
// # Wallet approvals
//
// A login's second factor and a device authorization are one aggregate
// (approval.go, ApprovalStore): a short approval code (8 symbols, 40
// bits, throttled lookups), a random challenge, and a status changed by
// compare-and-set only. The wallet answers with a certificate presentation
// bound to the RP's client id and the challenge (approvals_api.go); the
// provider checks it against the CA, the suite and the store's revocation
// record, that the wallet sign-in is not locked, and for a login that the
// certificate is the password's resident.
//
// # Codes, refresh tokens, replay
//
// A code is single use by a compare-and-set in the issuing transaction; a
// second exchange revokes the grant, and with it every token issued from
// the code. Refresh tokens rotate: each is used once and replaced; a second
// use revokes the grant (the whole family). Revoking a refresh token
// revokes its grant; revoking an access token revokes that token.
//
// # Sessions and pages
//
// Login sessions live in the store (any node serves any request); the
// browser holds the session id in a cookie MAC'd with the cookie key
// (HttpOnly, SameSite=Lax, Secure and __Host- under https). An interaction
// is bound to the browser that started it by a second MAC'd cookie, and
// each form carries a CSRF token bound to the interaction and that
// browser. A login always starts a fresh session. The pages are plain
// server-rendered HTML forms, in English and Simplified Chinese, that work
// without JavaScript; redirects go only to registered redirect URIs.
//
// # Disclosures
//
// Every token response records a Disclosure (resident, RP, time, level,
// claim names, never values) through DisclosureRecorder in the issuing
// transaction. Without a recorder the store's plain table keeps it;
// TranslogRecorder (translog.go), which serve uses, writes the table and
// appends the entry to the resident's transparency log, so that tokens,
// row and entry commit or roll back together.
package oidc
