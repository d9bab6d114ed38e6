// Package loadtest is what `netid seed` and `netid loadtest` run: bulk
// creation of synthetic residents, and complete flows driven against a
// running server on loopback at a bounded rate, count and duration, with
// throughput, latency percentiles and errors by kind.
//
// Seeded residents are real records, as an enrolment leaves them: a data
// key wrapped by the key-encryption key, a sealed identity with a unique
// identity anchor, an argon2id password hash, a sealed dynamic-code
// secret, an internet number and, on request, an internet certificate;
// the sealed fields, the anchor's blind-index input and the certificate's
// attributes come from enrol's bulk-loading functions (enrol.SealIdentity
// and its neighbours), so they follow enrol's formats. Two
// shortcuts make them fast and mark them as synthetic: every resident of
// a run shares one password hash (computed once), and their identity
// anchors are under an authority no document has ("netid-seed"). They
// have no transparency-log entries and no enrolment records. They exist
// for load tests only.
//
// The load test refuses any server that is not on loopback: it is a tool
// to measure a node on the machine it runs on, not to load someone else's
// service. Its virtual clients come from distinct addresses of
// 127.0.0.0/8 when the server listens on an IPv4 loopback address, as
// residents come from many addresses, so that the per-address login and
// enrolment throttles (which a single address would hit after 100 logins
// or 20 enrolments) limit the test no more than they limit real traffic.
package loadtest
