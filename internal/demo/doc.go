// Package demo is what `netid serve --demo` adds for a newcomer: a test
// CSCA and simulated document authority kept in the data dir, synthetic
// documents, face captures of the synthetic people, a development liveness
// detector, and read access to the development SMS sink, all served under
// /demo so that the wallet can enrol without a real passport, phone or
// camera.
//
// Nothing here exists without --demo, and nothing here is trusted unless
// the demo wires it in: the test CSCA goes into the demo's own trust
// directory, never an operator's.
//
// Routes:
//
//	GET  /demo                        what the demo offers (documents, URLs)
//	GET  /demo/documents/{name}/chip  a synthetic chip dump
//	GET  /demo/documents/{name}/face  a "live capture" of that synthetic person
//	POST /demo/liveness               a liveness attestation from the development detector
//	GET  /demo/sms?enrolment=ID|to=N  the latest code the development sink sent
package demo
