package wallet

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/netid/netid/internal/credential"
)

// Approvals: the wallet approves a sign-in with its device key. A sign-in
// waiting for the wallet is named by an approval code, which the resident
// reads off a page or scans as a URL:
//
//	K7QM-3XWD                                a code, typed
//	https://id.example/approve/K7QM-3XWD     the second factor of a browser login
//	https://id.example/device?user_code=...  a QR login (RFC 8628 verification_uri_complete)
//
// The wallet fetches what the sign-in asks (FetchApproval: the platform,
// the level, the claims with their purposes) and answers it (Answer) with
// a presentation of its certificate bound to the platform's client id and
// the approval's challenge, signed by the device key, and, for a QR
// login, the claims the resident allows.

// Errors of approvals.
var (
	// ErrApprovalRef: what was given is neither an approval code nor the
	// URL of one.
	ErrApprovalRef = errors.New("not an approval code or approval URL")
	// ErrApprovalServer: the URL names another server than the wallet's.
	ErrApprovalServer = errors.New("the approval is on another server than this wallet's")
	// ErrApprovalAnswer: the answer asked for does not fit the approval
	// (a claim it does not ask for, consent for a browser login).
	ErrApprovalAnswer = errors.New("the answer does not fit this approval")
	// ErrApprovalDecided: the approval was approved or denied already.
	ErrApprovalDecided = errors.New("this sign-in was approved or denied already")
)

// The problem slugs of the approval API.
const (
	ProblemApprovalNotFound      = "approval-not-found"
	ProblemApprovalExpired       = "approval-expired"
	ProblemApprovalDecided       = "approval-decided"
	ProblemApprovalWrongResident = "approval-wrong-resident"
	ProblemApprovalLocked        = "approval-locked"
)

// Approval code shape: 8 symbols of this alphabet (no 0/O, 1/I), typed in
// any case, with hyphens or spaces anywhere. The server's is the same
// (internal/oidc usercode.go).
const (
	approvalAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	approvalCodeLen  = 8
	// maxApprovalRef bounds what ParseApprovalRef reads.
	maxApprovalRef = 2048
)

// ApprovalRef is a parsed approval reference.
type ApprovalRef struct {
	// Code is the approval code in its normal form: 8 symbols, upper
	// case, no separators.
	Code string
	// Server is the base URL ("https://id.example") of a URL reference,
	// normalised as NewClient does; "" for a bare code.
	Server string
}

// Display is the code as people read it: K7QM-3XWD.
func (r ApprovalRef) Display() string { return r.Code[:4] + "-" + r.Code[4:] }

// ParseApprovalRef reads an approval code or the URL of one:
// <server>/approve/<code> or <server>/device?user_code=<code>. Errors wrap
// ErrApprovalRef.
func ParseApprovalRef(s string) (ApprovalRef, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxApprovalRef {
		return ApprovalRef{}, errorf(ErrApprovalRef, "%d characters", len(s))
	}
	if !strings.Contains(s, "://") {
		code, ok := normalApprovalCode(s)
		if !ok {
			return ApprovalRef{}, errorf(ErrApprovalRef, "%q is not 8 letters and digits like K7QM-3XWD", cleanText(s))
		}
		return ApprovalRef{Code: code}, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return ApprovalRef{}, errorf(ErrApprovalRef, "%v", err)
	}
	if u.Fragment != "" || u.User != nil {
		return ApprovalRef{}, errorf(ErrApprovalRef, "the URL has a fragment or user information")
	}
	var raw string
	switch {
	case strings.HasPrefix(u.Path, "/approve/") && u.RawQuery == "":
		raw = strings.TrimSuffix(strings.TrimPrefix(u.Path, "/approve/"), "/")
	case strings.TrimSuffix(u.Path, "/") == "/device":
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil || len(q) != 1 || len(q["user_code"]) != 1 {
			return ApprovalRef{}, errorf(ErrApprovalRef, "a device URL has exactly one user_code parameter")
		}
		raw = q.Get("user_code")
	default:
		return ApprovalRef{}, errorf(ErrApprovalRef, "the URL is neither <server>/approve/<code> nor <server>/device?user_code=<code>")
	}
	code, ok := normalApprovalCode(raw)
	if !ok {
		return ApprovalRef{}, errorf(ErrApprovalRef, "the URL's code %q is not 8 letters and digits", cleanText(raw))
	}
	server, err := normaliseServer(u.Scheme + "://" + u.Host)
	if err != nil {
		return ApprovalRef{}, errorf(ErrApprovalRef, "%v", err)
	}
	return ApprovalRef{Code: code, Server: server}, nil
}

// normalApprovalCode is the normal form of a typed code.
func normalApprovalCode(s string) (string, bool) {
	if len(s) > 64 {
		return "", false
	}
	var b strings.Builder
	for _, c := range s {
		switch {
		case c == '-' || c == ' ' || c == '\t':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		if c > 0x7f || !strings.ContainsRune(approvalAlphabet, c) {
			return "", false
		}
		b.WriteRune(c)
	}
	if b.Len() != approvalCodeLen {
		return "", false
	}
	return b.String(), true
}

// CheckServer refuses a URL reference to another server than c's: the
// wallet answers only its own server, so that a look-alike page cannot
// relay a resident's approval to a sign-in of its choosing.
func (r ApprovalRef) CheckServer(c *Client) error {
	if r.Server != "" && r.Server != c.Server() {
		return fmt.Errorf("%w: the approval names %s, this wallet uses %s (give --server to use another)", ErrApprovalServer, r.Server, c.Server())
	}
	return nil
}

// Approval is what a pending sign-in asks of the wallet (GET
// /v1/approvals/{code}). Texts from the server are cleaned of control
// characters.
type Approval struct {
	// Kind is "login" (the second factor of a browser login) or "device"
	// (a QR login).
	Kind   string `json:"kind"`
	Status string `json:"status"`
	// ClientID and RPName are the platform's.
	ClientID string `json:"client_id"`
	RPName   string `json:"rp_name"`
	// Level is the level the sign-in reaches when approved.
	Level  string          `json:"level"`
	Claims []ApprovalClaim `json:"claims"`
	// SharesOnward: the platform shares what it receives with others.
	SharesOnward bool      `json:"shares_onward"`
	Challenge    string    `json:"challenge"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// ApprovalClaim is a claim a sign-in asks for, with the platform's purpose.
type ApprovalClaim struct {
	Claim   string `json:"claim"`
	Purpose string `json:"purpose"`
	// Identity: plain-text identity data, which needs AllowPlaintext.
	Identity bool `json:"identity"`
}

// The kinds of approval.
const (
	ApprovalKindLogin  = "login"
	ApprovalKindDevice = "device"
)

// ApprovalAnswer is the body of POST /v1/approvals/{code}.
type ApprovalAnswer struct {
	Decision       string   `json:"decision"`
	Presentation   string   `json:"presentation"`
	Allow          []string `json:"allow,omitempty"`
	AllowPlaintext bool     `json:"allow_plaintext,omitempty"`
	AllowOnward    bool     `json:"allow_onward,omitempty"`
	Remember       bool     `json:"remember,omitempty"`
}

// ApprovalResult is the server's answer to it.
type ApprovalResult struct {
	Status string `json:"status"`
	Kind   string `json:"kind"`
	// Released are the claims the platform will receive (QR login).
	Released []string `json:"released"`
}

// GetApproval fetches what approval code asks.
func (c *Client) GetApproval(ctx context.Context, code string) (*Approval, error) {
	var out Approval
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/approvals/" + url.PathEscape(code), out: &out,
		want: []int{http.StatusOK}}); err != nil {
		return nil, err
	}
	out.RPName = cleanText(out.RPName)
	for i := range out.Claims {
		out.Claims[i].Claim, out.Claims[i].Purpose = cleanText(out.Claims[i].Claim), cleanText(out.Claims[i].Purpose)
	}
	if out.ClientID == "" || out.Challenge == "" {
		return nil, errorf(ErrResponse, "the approval has no client id or challenge")
	}
	return &out, nil
}

// PostApproval sends an answer to approval code.
func (c *Client) PostApproval(ctx context.Context, code string, a ApprovalAnswer) (*ApprovalResult, error) {
	var out ApprovalResult
	if err := c.do(ctx, call{method: http.MethodPost, path: "/v1/approvals/" + url.PathEscape(code), in: a, out: &out,
		want: []int{http.StatusOK}}); err != nil {
		return nil, err
	}
	return &out, nil
}

// ApproveOptions are the resident's decision.
type ApproveOptions struct {
	// Deny refuses the sign-in: the platform gets access_denied.
	Deny bool
	// Allow, AllowPlaintext, AllowOnward and Remember are the consent of
	// a QR login, as on the consent page: the claims to release,
	// plain-text identity data, sharing onward, and keeping the decision
	// for the platform's next sign-ins. Claims allowed earlier and
	// remembered are released too. A browser login asks for consent in
	// the browser, so they must be empty for it.
	Allow                                 []string
	AllowPlaintext, AllowOnward, Remember bool
}

// consents reports whether o gives any consent.
func (o ApproveOptions) consents() bool {
	return len(o.Allow) > 0 || o.AllowPlaintext || o.AllowOnward || o.Remember
}

// FetchApproval fetches what ref asks, after checking that ref is on c's
// server.
func FetchApproval(ctx context.Context, c *Client, ref ApprovalRef) (*Approval, error) {
	if err := ref.CheckServer(c); err != nil {
		return nil, err
	}
	return c.GetApproval(ctx, ref.Code)
}

// Answer answers approval a (fetched for ref) as the resident decided:
// with a presentation of the wallet's certificate for a's platform and
// challenge, valid for two minutes from now, signed by the device key,
// disclosing no attribute. It refuses, before signing anything, an answer
// that does not fit a (ErrApprovalAnswer), an approval decided already
// (ErrApprovalDecided), and a wallet not enrolled (ErrNotEnrolled).
func Answer(ctx context.Context, w *Wallet, c *Client, ref ApprovalRef, a *Approval, o ApproveOptions, now time.Time) (*ApprovalResult, error) {
	if err := ref.CheckServer(c); err != nil {
		return nil, err
	}
	if a.Status != "pending" {
		return nil, fmt.Errorf("%w (%s)", ErrApprovalDecided, cleanText(a.Status))
	}
	if err := checkOptions(a, o); err != nil {
		return nil, err
	}
	challenge, err := base64.RawURLEncoding.Strict().DecodeString(a.Challenge)
	if err != nil || len(challenge) < credential.MinChallenge || len(challenge) > credential.MaxChallenge {
		return nil, errorf(ErrResponse, "the approval's challenge is not %d to %d bytes of base64url", credential.MinChallenge, credential.MaxChallenge)
	}
	text, err := Present(w, a.ClientID, challenge, nil, now)
	if err != nil {
		return nil, err
	}
	ans := ApprovalAnswer{Decision: "approve", Presentation: text}
	if o.Deny {
		ans.Decision = "deny"
	} else {
		ans.Allow, ans.AllowPlaintext, ans.AllowOnward, ans.Remember = o.Allow, o.AllowPlaintext, o.AllowOnward, o.Remember
	}
	res, err := c.PostApproval(ctx, ref.Code, ans)
	if p := errorsAsProblem(err); p != nil && p.Slug() == ProblemApprovalDecided {
		return nil, fmt.Errorf("%w: %w", ErrApprovalDecided, err)
	}
	return res, err
}

// checkOptions refuses a consent the approval cannot take.
func checkOptions(a *Approval, o ApproveOptions) error {
	if o.Deny && o.consents() {
		return errorf(ErrApprovalAnswer, "a denial allows nothing: leave out --allow, --allow-plaintext, --allow-onward and --remember")
	}
	if a.Kind == ApprovalKindLogin && o.consents() {
		return errorf(ErrApprovalAnswer, "this is the second factor of a browser sign-in: consent is given on the browser's consent page")
	}
	var asked []string
	for _, c := range a.Claims {
		asked = append(asked, c.Claim)
	}
	for _, c := range o.Allow {
		if !slices.Contains(asked, c) {
			if len(asked) == 0 {
				return errorf(ErrApprovalAnswer, "%s asks for no claim, so --allow %s has nothing to allow", a.RPName, cleanText(c))
			}
			return errorf(ErrApprovalAnswer, "%s does not ask for %q; it asks for %s", a.RPName, cleanText(c), strings.Join(asked, ", "))
		}
	}
	return nil
}
