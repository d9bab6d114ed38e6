// Package enroltest builds an enrolment Service over real dependencies, for
// tests only.
//
// It is a normal package, not a _test file, so that the tests of several
// packages (enrol, httpapi, wallet, and any later one that needs enrolled
// residents) share one builder instead of each writing their own; no
// production code imports it. It is not a fake: every component is the
// one `netid serve` runs, configured for speed and observation:
//
//   - a store: SQLite in t.TempDir() by default, or a fresh PostgreSQL
//     database from pgtest with WithEngine("postgres");
//   - a file key store, bootstrapped, and the envelope over it;
//   - the phone verifier with a capturing sender (SMS), which records each
//     code by enrolment and by number;
//   - an argon2id hasher with cheap test parameters (AllowWeakParams);
//   - the built-in appearance matcher, and a liveness verifier trusting a
//     development liveness signer (Liveness) that tests use to attest
//     their captures (Attest, Attestation);
//   - a TEST document issuer (Issuer) trusted through a trust directory,
//     which issues passports of synthetic people of a given age (Passport);
//   - the simulated document authority, whose records tests add as they go
//     (RegisterIDCard, AddAuthorityRecords);
//   - the real credential CA.
//
// Every component reads one settable Clock, which starts at the real time
// truncated to the second, so tests move time on with Clock.Advance
// rather than sleeping.
//
// # Use
//
//	e := enroltest.New(t, enroltest.WithSuite("sm"), enroltest.WithConfig(cfg))
//	doc := e.Passport("E12345678", 35, 11)
//	st, err := e.Service.Start(ctx, enrol.StartRequest{Evidence: enrol.Evidence{Chip: enroltest.ChipEvidence(doc)}})
//	...
//	capture := e.Attest(enroltest.LiveCapture(t, 11, 1), challenge, 0.99)
//
// A synthetic person is a portrait seed: testdoc.Portrait(seed) is the
// chip's portrait, and LiveCapture(t, seed, variant) is a selfie of the
// same person, redrawn brighter with sensor noise, that the matcher
// accepts; another seed is another person.
package enroltest
