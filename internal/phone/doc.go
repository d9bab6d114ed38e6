// Package phone proves that a resident holds a phone number: it parses
// numbers, sends one-time codes by SMS and checks them. Enrolment uses it
// for its phone step ("document evidence → phone one-time code → face ...");
// other flows (changing the number) may use it with another purpose.
//
// # Numbers
//
// ParseNumber turns what a person typed ("138 0013 8000", "+86
// 138-0013-8000", "0086 13800138000", full-width digits) into E.164
// ("+8613800138000"). It is a documented subset of the numbering plans, not
// a port of libphonenumber: mainland China mobile numbers in detail (the
// only national form understood, and the only +86 numbers accepted, since
// an SMS cannot reach a fixed line), the North American and +7 lengths, and
// for every other country the E.164 shape: an assigned country calling code
// and at most 15 digits. Whether a number exists only the SMS can tell.
//
// A Number is personal data. Its String, Format, GoString and LogValue
// methods give the redacted form ("+86 138****8000"), so printing or
// logging one by mistake leaks nothing; E164 gives the full number, for the
// gateway and for encryption at rest.
//
// # One-time codes
//
// A Verifier keeps one challenge per (binding, purpose): the binding is the
// enrolment id, the purpose names the use ("enrol"). The flow:
//
//	Send(ctx, "enrol", enrolmentID, number)   → code generated, hash stored, SMS sent
//	Verify(ctx, "enrol", enrolmentID, code)   → nil once; the challenge is used
//
// The rules, all configurable through Options:
//   - codes are 6 digits (6 to 10), uniformly random from crypto/rand by
//     rejection sampling, valid 10 minutes, single use;
//   - 5 wrong codes lock the challenge; a new Send is then needed, allowed
//     one resend interval after the lock;
//   - a new Send for the same challenge waits the resend interval (60 s)
//     and replaces the code; at most 5 sends per challenge per hour, and at
//     most 5 per number per hour across all challenges, so that opening
//     many enrolments cannot flood someone's phone;
//   - a code malformed (not 6 to 10 digits once spaces and hyphens are
//     removed) is refused without counting as an attempt.
//
// Errors are sentinel values (errors.go) with two typed carriers:
// *WrongCodeError (attempts left) and *ThrottleError (retry after).
//
// # What is stored
//
// Rate-limit, replay and challenge state live in the store, so any node can
// serve any request, and nothing in the store reveals a code or a number:
//   - the code only as HMAC-SHA-256 (or the suite's MAC, WithMAC) under a
//     key derived from the service secret (WithKey), over the binding, the
//     purpose and the code, length-prefixed: a copy of the database shows
//     no live code, and a hash copied to another enrolment does not verify
//     there;
//   - the number only as a blind index, a MAC under a second derived key:
//     enough to count sends per number and to check, in VerifyNumber, that
//     the code went to the number being confirmed. The number itself stays
//     in the enrolment record, encrypted under the resident's data key, and
//     is passed to every Send.
//
// The secret must come from the key store, never from the database. It is
// not rotated in place: changing it invalidates the live codes (10 minutes
// at most) and restarts the per-number counters.
//
// # Transactions and concurrency
//
// Send and Verify each run in one store transaction (store.TxRunner), whose
// function is idempotent: codes and message ids are drawn before it, and the
// outcome is recomputed from what it reads on every run. Every write is a
// compare-and-set on the challenge's version, so that two nodes verifying
// the right code at the same instant cannot both succeed whatever the
// isolation level; the loser re-reads and sees ErrUsed. The SMS is sent
// after the commit, never inside the transaction, so a retried transaction
// cannot send twice; Send must not be called inside the caller's own
// transaction for the same reason. If the gateway fails, the resend
// interval is waived so that the resident can ask again at once.
//
// # Senders
//
// Sender is the SMS gateway interface. HTTPGateway posts JSON ({to, text,
// purpose}) with a bearer token and an Idempotency-Key, retries transport
// failures and 429/5xx with the same key, bounds the response it reads, and
// reports failures as *GatewayError, with RFC 9457 problem members when the
// gateway sends them, scrubbed of anything that looks like a number or a
// code. FileSink is for development only: it appends each message,
// including the code in clear, as one JSON line to a 0600 file, and the
// command line enables it only when --sms-sink (NETID_SMS_SINK) is set.
//
// Message texts exist in Simplified Chinese (default) and English:
//
//	【netid】您的验证码是 123456，10 分钟内有效。请勿告诉他人。
//	netid: your code is 123456. It expires in 10 minutes. Never share it.
//
// Nothing in this package logs; codes and full numbers never appear in its
// errors.
package phone
