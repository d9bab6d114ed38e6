// Package admin is the operator's side of netid: admin API tokens, relying
// parties, certificate revocation, lawful access, statistics, and the audit
// trail of every admin action. `netid admin ...` and `netid rp ...` call the
// Service directly; `netid serve --admin-addr` serves the same Service as
// the admin API (API) on a listener of its own.
//
// # Authentication
//
// The admin API is separate from residents and platforms: it accepts only
// admin tokens, which only `netid admin token create` makes, on a host that
// holds the data dir (the API cannot mint tokens, so a stolen token cannot
// make more). A token is "adm-<16 hex>.<43 base64url>": the public id names
// its row, the 256-bit secret is kept as SHA-256 over a domain, the id and
// the secret, and compared as hashes in constant time. A token has a name
// (who holds it), a creation time, and is revoked by `netid admin token
// revoke` with effect on the next request. Failed authentications are
// counted per client address (a keyed hash of it) in the shared throttle
// table: after DefaultFailureLimit the address gets 429 with Retry-After.
// Operator commands authenticate by the operating system: whoever can run
// netid against the data dir holds every key already; their actions are
// audited as "local:<user>".
//
// # Audit
//
// Every action that changes state or discloses personal data (tokens,
// relying parties, revocations, lawful access) runs through Service.act: the
// action and its audit record commit in one transaction, so no change is
// without its record; a refused or failed action is recorded afterwards with
// the class of its error (invalid, not-found, conflict, gone, error), and
// the domain change is rolled back. Each action also makes one log line.
// Reading (lists, statistics, the trail itself) is not audited: the access
// log has it.
//
// # Transparency
//
// A revocation goes through the CA, whose events (enrol.CertificateLog)
// append a certificate-revoked entry to the holder's transparency log in the
// same transaction. A lawful access appends a lawful-access entry
// (authority, legal basis, case, claims disclosed, notice date) before the
// identity is returned, in the transaction of its audit record.
//
// # Statistics
//
// Stats counts, never reads identity data: residents by status, residents
// holding a valid certificate, enrolments open and started (the store keeps
// an enrolment only for its lifetime, so starts are known only within it),
// enrolments completed per day (internet numbers, never deleted), and logins
// per day, relying party and level (authorization-code disclosures).
// Collector exports today's figures on /metrics with a short cache.
//
// # Files
//
//	service.go      Service, Deps, the interfaces it needs
//	audit.go        actors, actions, outcomes, and act (action + audit record)
//	token.go        admin tokens and authentication
//	rps.go          relying parties
//	certificates.go certificate revocation
//	lawful.go       lawful access
//	stats.go        statistics; collector.go their Prometheus collector
//	store.go        Store and StatsStore (implemented in internal/store/sqlstore)
//	http.go         the admin API: authentication, throttling, problems; http_rps.go its RP routes
//	decode.go       strict JSON request bodies
//	wire.go         the JSON views the API and the commands print
package admin
