// Package pgtest gives tests a fresh PostgreSQL database of their own.
//
// New creates a randomly named database on the server named by the
// environment variable NETID_TEST_DATABASE_URL and drops it when the test
// ends, so tests never see each other's rows and can run in parallel. The
// store conformance suite uses it, and so do later packages' tests that
// need PostgreSQL (HTTP, OIDC).
//
// # Never pass silently
//
// When the variable is unset or the server cannot be reached, New skips the
// test with a message that says how to run it (`bash .ci/test`, which
// starts a private server, or set NETID_TEST_DATABASE_URL), unless the
// environment variable CI is true, in which case it fails the test: in CI,
// PostgreSQL is part of the contract, and a green run that tested nothing
// would hide a broken engine. A variable that is set but cannot be parsed
// always fails.
//
// The server needs a role allowed to CREATE DATABASE (the private server
// that .ci/test starts runs as the superuser "postgres" with trust
// authentication). Messages never show the password of the URL.
package pgtest
