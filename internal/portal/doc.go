// Package portal is the resident's account in a browser: server-rendered
// pages under /account where a resident signs in with their own
// credentials and exercises every right the resident service
// (internal/resident) offers. It holds no state and no rule of its own:
// each page is a form over one call of resident.Service, which
// authenticates, throttles, logs and decides.
//
// # Pages
//
//	GET  /account/login                 the login form (internet number or phone, password); throttling and locks shown
//	POST /account/login                 sign in: a new resident session, its token in a signed cookie
//	GET  /account/logout                a logout button (a GET never ends a session)
//	POST /account/logout                end the session
//	GET  /account                       the data held about me, decrypted for me
//	GET  /account/disclosures           disclosures to platforms, filtered by platform, date and claim
//	GET  /account/history               my transparency-log entries, each proof verified against the signed checkpoint
//	GET  /account/history.json          the same entries and proofs as JSON (the resident API's answer)
//	GET  /account/consents              remembered consents
//	POST /account/consents              withdraw one (revokes the platform's grants and tokens)
//	GET  /account/certificates          my certificates
//	GET  /account/certificates/revoke   the revocation's confirmation, with a reason
//	POST /account/certificates/revoke   revoke
//	GET  /account/locks                 each sign-in method and the whole account, locked or not
//	POST /account/locks                 lock or unlock one
//	GET  /account/minors                the minors in my care, with links to their pages
//	GET  /account/export                what the export holds
//	POST /account/export                download it (the resident API's export, as JSON)
//	GET  /account/delete                the deletion's confirmation: internet number and password again
//	POST /account/delete                delete the account, then show what happened, signed out
//
// A guardian acts on a minor's account through the same pages with the
// parameter minor=<resident id> (query or form): the resident service
// checks the guardianship at every call, and logs every view and action
// in the minor's history. History, export and deletion are the minor's
// own.
//
// # Pages without JavaScript, for everyone
//
// Every page is a plain HTML form; no script runs (the Content Security
// Policy allows none). Pages are in English and Simplified Chinese,
// chosen from Accept-Language and switchable by a link that remembers the
// choice in the cookie the OpenID provider's pages read too. Every input
// has a label; one h1 per page; a skip link; the tab order follows the
// page; focus is outlined; text contrasts at least 4.5:1 with its
// background (TestStyleContrast checks the stylesheet's colours, the
// browser tests the rendered pages). The one stylesheet is inlined and
// allowed by its hash.
//
// # Sessions and forms
//
// The session is the resident service's: its token, 256 random bits whose
// hash only the store keeps, travels in a cookie signed with the key
// store's cookie key (HttpOnly, SameSite=Lax, Secure with the __Host-
// prefix under https). Every form carries a CSRF token, a MAC under the
// cookie key bound to the form's purpose and to the session token (or,
// for the login form, to a signed random browser cookie), so a token of
// one form or one session is no good for another and every login makes
// the old ones stale.
//
// The JSON downloads (history and export) are the resident API's answers
// for the session, byte for byte: the portal calls the API's handlers in
// process with the session's token, so a wallet or script reads either
// the same way.
package portal
