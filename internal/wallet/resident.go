package wallet

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"

	"github.com/netid/netid/internal/crypto/suite"
	"github.com/netid/netid/internal/resident/residentapi"
	"github.com/netid/netid/internal/translog"
)

// The resident API (/v1/me): the wallet signs in with its device key and
// exercises the resident's rights. docs/residents.md describes the
// routes. Their JSON is defined once, in package residentapi, which the
// server shares; the types here are the wallet's names for it.

// ResidentSession is a session of the resident API.
type ResidentSession = residentapi.Session

// SignInChallenge is what the wallet signs to sign in.
type SignInChallenge = residentapi.Challenge

// SignInChallenge asks for a challenge to sign (GET /v1/me/challenge).
func (c *Client) SignInChallenge(ctx context.Context) (*SignInChallenge, error) {
	var out SignInChallenge
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/me/challenge", out: &out, want: []int{http.StatusOK}}); err != nil {
		return nil, err
	}
	if out.Challenge == "" || out.Audience == "" {
		return nil, errorf(ErrResponse, "the sign-in challenge or its audience is empty")
	}
	return &out, nil
}

// walletPresentation signs a fresh challenge of the server with w's
// device key: a presentation of w's certificate, disclosing nothing.
func (c *Client) walletPresentation(ctx context.Context, w *Wallet, now time.Time) (string, error) {
	ch, err := c.SignInChallenge(ctx)
	if err != nil {
		return "", err
	}
	return presentTo(w, ch.Audience, []byte(ch.Challenge), now)
}

// presentTo is Present without disclosures.
func presentTo(w *Wallet, audience string, challenge []byte, now time.Time) (string, error) {
	return Present(w, audience, challenge, nil, now)
}

// SignIn signs in to the resident API with w's device key: it asks for a
// challenge and answers it with a presentation of w's certificate
// (POST /v1/me/sessions). ErrNotEnrolled before enrolment; refusals are
// *Problem (certificate-revoked, presentation-invalid, challenge-invalid).
func (c *Client) SignIn(ctx context.Context, w *Wallet, now time.Time) (*ResidentSession, error) {
	p, err := c.walletPresentation(ctx, w, now)
	if err != nil {
		return nil, err
	}
	var out ResidentSession
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/me/sessions", in: residentapi.Login{Presentation: p},
		out: &out, want: []int{http.StatusCreated}}); err != nil {
		return nil, err
	}
	if out.Token == "" {
		return nil, errorf(ErrResponse, "the sign-in answered no token")
	}
	return &out, nil
}

// SignInWithPassword signs in with a username (internet number or login
// phone number) and password.
func (c *Client) SignInWithPassword(ctx context.Context, username, password string) (*ResidentSession, error) {
	var out ResidentSession
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/me/sessions",
		in: residentapi.Login{Username: username, Password: password}, out: &out, want: []int{http.StatusCreated}}); err != nil {
		return nil, err
	}
	if out.Token == "" {
		return nil, errorf(ErrResponse, "the sign-in answered no token")
	}
	return &out, nil
}

// SignOut ends the session (DELETE /v1/me/session).
func (c *Client) SignOut(ctx context.Context, token string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: "/v1/me/session", token: token, want: []int{http.StatusNoContent}})
}

// ConsentInfo is a platform's consent as the resident API lists it.
type ConsentInfo = residentapi.Consent

// AccessInfo is the live access of a platform (ConsentInfo.Access).
type AccessInfo = residentapi.Access

// Consents lists the resident's consents: remembered, or with live
// access (GET /v1/me/consents).
func (c *Client) Consents(ctx context.Context, token string) ([]ConsentInfo, error) {
	var out residentapi.ConsentList
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/me/consents", token: token, out: &out, want: []int{http.StatusOK}})
	return out.Consents, err
}

// WithdrawConsent withdraws the consent given to platform clientID: the
// platform's tokens are revoked (DELETE /v1/me/consents/{client_id}).
func (c *Client) WithdrawConsent(ctx context.Context, token, clientID string) error {
	return c.do(ctx, call{method: http.MethodDelete, path: "/v1/me/consents/" + url.PathEscape(clientID), token: token,
		want: []int{http.StatusNoContent}})
}

// CertificateInfo is a certificate as the resident API lists it.
type CertificateInfo = residentapi.Certificate

// Certificates lists the resident's certificates (GET /v1/me/certificates).
func (c *Client) Certificates(ctx context.Context, token string) ([]CertificateInfo, error) {
	var out residentapi.CertificateList
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/me/certificates", token: token, out: &out, want: []int{http.StatusOK}})
	return out.Certificates, err
}

// RevokeCertificate revokes the certificate serial for reason
// (unspecified, keyCompromise or cessationOfOperation).
func (c *Client) RevokeCertificate(ctx context.Context, token, serial, reason string) error {
	return c.do(ctx, call{method: http.MethodPost, path: "/v1/me/certificates/" + url.PathEscape(serial) + "/revoke",
		token: token, in: residentapi.Revoke{Reason: reason}, want: []int{http.StatusNoContent}})
}

// LockState is whether one sign-in method is locked.
type LockState = residentapi.Lock

// Locks lists every sign-in method and whether it is locked.
func (c *Client) Locks(ctx context.Context, token string) ([]LockState, error) {
	var out residentapi.LockList
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/me/locks", token: token, out: &out, want: []int{http.StatusOK}})
	return out.Locks, err
}

// SetLock locks (lock true) or unlocks sign-in method (password,
// dynamic-code, wallet, or account for all).
func (c *Client) SetLock(ctx context.Context, token, method string, lock bool) (*LockState, error) {
	m := http.MethodDelete
	if lock {
		m = http.MethodPut
	}
	var out LockState
	if err := c.do(ctx, call{method: m, path: "/v1/me/locks/" + url.PathEscape(method), token: token, out: &out,
		want: []int{http.StatusOK}}); err != nil {
		return nil, err
	}
	return &out, nil
}

// Export returns the export of all the resident's data, the JSON document
// exactly as the server sent it, and the file name it suggested.
func (c *Client) Export(ctx context.Context, token string) ([]byte, string, error) {
	status, header, b, err := c.roundTrip(ctx, http.MethodGet, c.endpoint("/v1/me/export", nil), token, nil,
		"application/json", c.maxBinary)
	if err != nil {
		return nil, "", err
	}
	if status != http.StatusOK {
		return nil, "", decodeProblem(status, header, b)
	}
	if err := checkJSON(header); err != nil {
		return nil, "", fmt.Errorf("%w: export: %w", ErrResponse, err)
	}
	return b, exportFileName(header.Get("Content-Disposition")), nil
}

// exportFileName is the file name a Content-Disposition header suggests,
// if it is a plain name (no directory, no control character, not hidden,
// at most 255 bytes), else "netid-export.json": the server's suggestion
// must not choose where the file goes.
func exportFileName(disposition string) string {
	const fallback = "netid-export.json"
	_, params, err := mime.ParseMediaType(disposition)
	if err != nil {
		return fallback
	}
	fn := params["filename"]
	if fn == "" || len(fn) > 255 || strings.HasPrefix(fn, ".") || !utf8.ValidString(fn) ||
		strings.ContainsFunc(fn, func(r rune) bool { return r == '/' || r == '\\' || unicode.IsControl(r) }) {
		return fallback
	}
	return fn
}

// Deleted is the answer to an account deletion.
type Deleted = residentapi.Erased

// DeleteAccount deletes the account for good (DELETE /v1/me): confirm is
// the internet number typed again, and the wallet signs a fresh
// challenge to prove it is the account's device.
func (c *Client) DeleteAccount(ctx context.Context, token string, w *Wallet, confirm string, now time.Time) (*Deleted, error) {
	p, err := c.walletPresentation(ctx, w, now)
	if err != nil {
		return nil, err
	}
	var out Deleted
	if err := c.do(ctx, call{method: http.MethodDelete, path: "/v1/me", token: token,
		in: residentapi.Delete{Confirm: confirm, Presentation: p}, out: &out, want: []int{http.StatusOK}}); err != nil {
		return nil, err
	}
	return &out, nil
}

// HistoryPage is one answer of GET /v1/me/history.
type HistoryPage = residentapi.History

// HistoryEntry is one record of the resident's listing. Leaf and the
// proof are what VerifyHistory checks; Entry is the server's decoding,
// for display, which VerifyHistory compares with the leaf.
type HistoryEntry = residentapi.HistoryEntry

// HistoryEvent is what an entry records.
type HistoryEvent = residentapi.Event

// History fetches one page of the resident's log. sinceSize, when not
// negative, asks for the consistency proof from that tree size.
func (c *Client) History(ctx context.Context, token string, sinceSize int64, afterSeq uint64) (*HistoryPage, error) {
	q := url.Values{}
	if sinceSize >= 0 {
		q.Set("since_size", strconv.FormatInt(sinceSize, 10))
	}
	if afterSeq > 0 {
		q.Set("after_seq", strconv.FormatUint(afterSeq, 10))
	}
	var out HistoryPage
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/me/history", query: q, token: token, out: &out,
		want: []int{http.StatusOK}}); err != nil {
		return nil, err
	}
	return &out, nil
}

// TranslogKeys fetches the log's verifier keys (GET /translog/keys).
func (c *Client) TranslogKeys(ctx context.Context) ([]string, error) {
	b, _, err := c.getBinary(ctx, "/translog/keys", nil)
	if err != nil {
		return nil, err
	}
	var keys []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			keys = append(keys, line)
		}
	}
	if len(keys) == 0 {
		return nil, errorf(ErrResponse, "the server published no transparency-log key")
	}
	return keys, nil
}

// TranslogConsistency fetches the consistency proof between two tree
// sizes (GET /translog/consistency).
func (c *Client) TranslogConsistency(ctx context.Context, oldSize, newSize uint64) ([][]byte, error) {
	var out struct {
		Proof [][]byte `json:"proof"`
	}
	q := url.Values{"old": {strconv.FormatUint(oldSize, 10)}, "new": {strconv.FormatUint(newSize, 10)}}
	err := c.do(ctx, call{method: http.MethodGet, path: "/translog/consistency", query: q, out: &out, want: []int{http.StatusOK}})
	return out.Proof, err
}

// TranslogPin is what the wallet keeps of the transparency log in
// wallet.json: the log's verifier keys, pinned when it first checked its
// history (trust on first use: a later key is not trusted by itself), and
// what the last successful check saw, which the next check must extend.
type TranslogPin struct {
	Origin       string    `json:"origin"`
	VerifierKeys []string  `json:"verifier_keys"`
	PinnedAt     time.Time `json:"pinned_at"`
	// Checkpoint is the signed checkpoint last verified; empty before.
	Checkpoint string `json:"checkpoint,omitempty"`
	// LogID, Seq and LeafHash are the end of the resident's chain then.
	LogID      string    `json:"log_id,omitempty"`
	Seq        uint64    `json:"seq,omitempty"`
	LeafHash   []byte    `json:"leaf_hash,omitempty"`
	VerifiedAt time.Time `json:"verified_at,omitzero"`
}

// ErrLogTampered: the history does not verify against what the wallet
// trusts: the operator dropped or rewrote entries of the resident's
// transparency log, showed a log that does not extend the one the wallet
// saw, or signed with a key the wallet never pinned. The translog error
// in the chain says which.
var ErrLogTampered = errors.New("the operator dropped or rewrote entries of your transparency log")

// HistoryReport is the outcome of a successful VerifyHistory.
type HistoryReport struct {
	LogID   string
	Origin  string
	Entries []HistoryEntry
	// Checkpoint is the tree size and time every entry was proven in.
	TreeSize       uint64
	CheckpointTime time.Time
	// PreviousSize is the tree size of the checkpoint the wallet had
	// verified before (and this one extends), 0 the first time; New is
	// how many entries the resident's chain grew by since.
	PreviousSize uint64
	New          int
	// Pinned is set when this check pinned the log's keys.
	Pinned bool
}

// auditor returns the Auditor of the pinned keys: their suite (from the
// key type) gives the hash.
func (p *TranslogPin) auditor() (*translog.Auditor, error) {
	var verifiers []note.Verifier
	var name suite.Name
	for _, k := range p.VerifierKeys {
		v, err := translog.ParseVerifierKey(k)
		if err != nil {
			return nil, fmt.Errorf("%w: wallet.json: pinned key: %w", ErrWalletFormat, err)
		}
		n, err := vkeySuite(k)
		if err != nil {
			return nil, err
		}
		if name != "" && n != name {
			return nil, fmt.Errorf("%w: wallet.json: pinned keys of two suites", ErrWalletFormat)
		}
		name = n
		verifiers = append(verifiers, v)
	}
	s, err := suite.New(name)
	if err != nil {
		return nil, err
	}
	return translog.NewAuditor(s, p.Origin, verifiers...)
}

// vkeySuite returns the suite of a verifier key from its signature type
// (0x02 ECDSA for intl, 0xff "netid-sm2-sm3" for sm), as
// translog.ParseVerifierKey reads it.
func vkeySuite(vkey string) (suite.Name, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return "", fmt.Errorf("%w: verifier key %q", ErrResponse, vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	switch {
	case err != nil || len(raw) == 0:
		return "", fmt.Errorf("%w: verifier key %q", ErrResponse, vkey)
	case raw[0] == 0x02:
		return suite.Intl, nil
	case bytes.HasPrefix(raw, []byte("\xffnetid-sm2-sm3")):
		return suite.SM, nil
	}
	return "", fmt.Errorf("%w: verifier key of an unknown signature type", ErrResponse)
}

// pinKeys fetches and checks the log's verifier keys for a first pin.
func pinKeys(ctx context.Context, c *Client, now time.Time) (*TranslogPin, error) {
	keys, err := c.TranslogKeys(ctx)
	if err != nil {
		return nil, err
	}
	p := &TranslogPin{VerifierKeys: keys, PinnedAt: now.UTC().Truncate(time.Second)}
	for _, k := range keys {
		v, err := translog.ParseVerifierKey(k)
		if err != nil {
			return nil, fmt.Errorf("%w: /translog/keys: %w", ErrResponse, err)
		}
		if p.Origin != "" && v.Name() != p.Origin {
			return nil, fmt.Errorf("%w: /translog/keys names two logs", ErrResponse)
		}
		p.Origin = v.Name()
	}
	if _, err := p.auditor(); err != nil {
		return nil, err
	}
	return p, nil
}

// tampered wraps a verification failure.
func tampered(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrLogTampered}, args...)...)
}

// VerifyHistory fetches the resident's whole transparency log with token
// (a session of w's account) and checks it as a witness would, trusting
// nothing the server says: every checkpoint is signed by a key the wallet
// pinned (at the first check, from /translog/keys, kept in wallet.json);
// every entry is in the tree of its page's checkpoint (inclusion proof);
// the checkpoints of the pages, and the checkpoint the wallet saved last
// time, are consistent with the newest (the log only grew); the entries
// form the resident's unbroken chain from sequence number 1, through the
// head the wallet saved; and the server's decoding of each entry is the
// leaf's. On success it saves the newest checkpoint and head in
// wallet.json and returns what it saw; any failure wraps ErrLogTampered
// and saves nothing.
func VerifyHistory(ctx context.Context, w *Wallet, c *Client, token string, now time.Time) (*HistoryReport, error) {
	if w.state.Account == nil {
		return nil, ErrNotEnrolled
	}
	pin, report := w.state.Translog, &HistoryReport{}
	if pin == nil {
		var err error
		if pin, err = pinKeys(ctx, c, now); err != nil {
			return nil, err
		}
		report.Pinned = true
	}
	audit, err := pin.auditor()
	if err != nil {
		return nil, err
	}
	var saved *translog.Checkpoint
	if pin.Checkpoint != "" {
		cp, err := audit.VerifyCheckpoint([]byte(pin.Checkpoint))
		if err != nil {
			return nil, fmt.Errorf("%w: wallet.json: the saved checkpoint: %w", ErrWalletFormat, err)
		}
		saved = &cp
		report.PreviousSize = cp.Size
	}

	// Every page, each with its checkpoint.
	since := int64(-1)
	if saved != nil {
		since = int64(saved.Size)
	}
	type page struct {
		cp   translog.Checkpoint
		body *HistoryPage
	}
	var pages []page
	for after := uint64(0); ; {
		hp, err := c.History(ctx, token, since, after)
		if err != nil {
			return nil, err
		}
		since = -1 // only the first page proves consistency with the saved one
		cp, err := audit.VerifyCheckpoint([]byte(hp.Checkpoint))
		if err != nil {
			return nil, tampered("the checkpoint is not signed by the log key this wallet pinned: %w", err)
		}
		pages = append(pages, page{cp: cp, body: hp})
		if !hp.More || len(hp.Entries) == 0 {
			break
		}
		after = hp.Entries[len(hp.Entries)-1].Seq
	}
	newest := pages[0].cp
	for _, p := range pages[1:] {
		if p.cp.Size > newest.Size {
			newest = p.cp
		}
	}

	// The log only grew: from the saved checkpoint, and between pages.
	first := pages[0]
	if saved != nil {
		switch con := first.body.Consistency; {
		case saved.Size > first.cp.Size:
			return nil, tampered("%w: the log shrank from %d entries (seen on %s) to %d", translog.ErrInconsistent,
				saved.Size, saved.Time.Format(time.DateOnly), first.cp.Size)
		case con == nil || con.FromSize != saved.Size || con.ToSize != first.cp.Size:
			return nil, tampered("the server gave no consistency proof from the %d entries seen before", saved.Size)
		default:
			if err := audit.VerifyConsistency(*saved, first.cp, con.Proof); err != nil {
				return nil, tampered("the log does not extend the one seen on %s: %w", saved.Time.Format(time.DateOnly), err)
			}
		}
	}
	for _, p := range pages {
		if p.cp.Size == newest.Size {
			if !bytes.Equal(p.cp.Root, newest.Root) {
				return nil, tampered("%w: two checkpoints of %d entries with different roots", translog.ErrInconsistent, newest.Size)
			}
			continue
		}
		proof, err := c.TranslogConsistency(ctx, p.cp.Size, newest.Size)
		if err != nil {
			return nil, err
		}
		if err := audit.VerifyConsistency(p.cp, newest, proof); err != nil {
			return nil, tampered("the log's checkpoints disagree: %w", err)
		}
	}

	// Every entry in its tree, the chain whole, the decoding honest.
	var records []translog.Record
	for _, p := range pages {
		for _, e := range p.body.Entries {
			r := translog.Record{Index: e.Index, Seq: e.Seq, Leaf: e.Leaf, LeafHash: e.LeafHash}
			if err := audit.VerifyEntryInclusion(r, e.InclusionProof, p.cp); err != nil {
				return nil, tampered("entry %d: %w", e.Seq, err)
			}
			if err := checkDecoding(e); err != nil {
				return nil, tampered("entry %d: %w", e.Seq, err)
			}
			records = append(records, r)
			report.Entries = append(report.Entries, e)
		}
	}
	known := translog.Head{}
	if pin.Seq > 0 {
		known = translog.Head{LogID: translog.LogID(pin.LogID), Seq: pin.Seq, LeafHash: pin.LeafHash}
	}
	head, err := audit.VerifyResidentChain(records, known)
	if err != nil {
		return nil, tampered("%w", err)
	}
	if len(records) > 0 && string(head.LogID) != first.body.LogID {
		return nil, tampered("the entries belong to log id %s, not the resident's %s", head.LogID, first.body.LogID)
	}

	report.LogID, report.Origin, report.TreeSize, report.CheckpointTime = first.body.LogID, pin.Origin, newest.Size, newest.Time
	report.New = int(head.Seq - known.Seq)
	signed := first.body.Checkpoint
	for _, p := range pages {
		if p.cp.Size == newest.Size {
			signed = p.body.Checkpoint
			break
		}
	}
	err = w.Update(func(s *State) error {
		p := *pin
		p.Checkpoint, p.LogID, p.Seq, p.LeafHash = signed, string(head.LogID), head.Seq, head.LeafHash
		p.VerifiedAt = now.UTC().Truncate(time.Second)
		s.Translog = &p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return report, nil
}

// checkDecoding compares the server's decoding of an entry with the leaf
// the proofs cover, so that what the wallet shows is what was verified.
func checkDecoding(e HistoryEntry) error {
	if e.Withheld || e.Leaf == nil {
		if e.Entry != nil {
			return errors.New("a withheld entry with content")
		}
		return nil
	}
	leaf, err := translog.DecodeLeaf(e.Leaf)
	if err != nil {
		return err
	}
	l, d := leaf.Entry, e.Entry
	if d == nil || d.ID != l.ID || d.Kind != string(l.Kind) || !d.Time.Equal(l.Time) || d.ClientID != l.ClientID ||
		strings.Join(d.Claims, " ") != strings.Join(l.Claims, " ") || d.Level != string(l.Level) ||
		d.Event != string(l.Event) || d.Ref != l.Ref || d.Authority != l.Authority || d.LegalBasis != l.LegalBasis ||
		(d.NoticeDelayedUntil == nil) != l.NoticeDelayedUntil.IsZero() ||
		d.NoticeDelayedUntil != nil && !d.NoticeDelayedUntil.Equal(l.NoticeDelayedUntil) {
		return errors.New("the server's reading of the entry is not what the entry says")
	}
	return nil
}
