package phone

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ErrGateway is matched by every *GatewayError.
var ErrGateway = errors.New("phone: SMS gateway error")

// Defaults of an HTTPGateway.
const (
	DefaultGatewayTimeout     = 10 * time.Second
	DefaultGatewayMaxResponse = 64 << 10
	DefaultGatewayAttempts    = 2
	DefaultGatewayRetryDelay  = 500 * time.Millisecond
)

// HTTPGateway is a Sender that posts each message as JSON to an SMS
// gateway's HTTP endpoint:
//
//	POST <url>
//	Authorization: Bearer <token>
//	Content-Type: application/json
//	Idempotency-Key: <Message.ID>
//
//	{"to": "+8613800138000", "text": "...", "purpose": "enrol"}
//
// Any 2xx status is success; the body is read (up to the limit) and
// ignored. Redirects are not followed. Other statuses become a *GatewayError, with the fields of an RFC
// 9457 problem document if the gateway sent one. Transport errors and the
// statuses 429, 500, 502, 503 and 504 are retried (DefaultGatewayAttempts
// in all), with the same Idempotency-Key
// (draft-ietf-httpapi-idempotency-key-header), so that a gateway honouring
// it sends the SMS once. Message.Code is never sent, and nothing is logged.
type HTTPGateway struct {
	url        string
	token      string
	client     *http.Client
	timeout    time.Duration
	maxResp    int64
	attempts   int
	retryDelay time.Duration
}

// GatewayOption configures an HTTPGateway.
type GatewayOption func(*HTTPGateway)

// WithHTTPClient sets the client (for example with a custom CA pool). The
// gateway uses a copy whose Timeout is the gateway timeout.
func WithHTTPClient(c *http.Client) GatewayOption {
	return func(g *HTTPGateway) { g.client = c }
}

// WithGatewayTimeout sets the timeout of each request attempt, connection
// and whole body included (default DefaultGatewayTimeout).
func WithGatewayTimeout(d time.Duration) GatewayOption {
	return func(g *HTTPGateway) { g.timeout = d }
}

// WithMaxResponseBytes sets how much of a response body is read.
func WithMaxResponseBytes(n int64) GatewayOption { return func(g *HTTPGateway) { g.maxResp = n } }

// WithAttempts sets how many times a retryable failure is tried in all
// (1 = no retry), and the pause between attempts.
func WithAttempts(n int, delay time.Duration) GatewayOption {
	return func(g *HTTPGateway) { g.attempts, g.retryDelay = n, delay }
}

// NewHTTPGateway returns a gateway posting to rawURL with the bearer token.
// The URL must be https, or http to a loopback address (a local relay or a
// test server): the token and the codes must not cross a network in clear.
func NewHTTPGateway(rawURL, token string, opts ...GatewayOption) (*HTTPGateway, error) {
	g := &HTTPGateway{
		url:        rawURL,
		token:      token,
		client:     http.DefaultClient,
		timeout:    DefaultGatewayTimeout,
		maxResp:    DefaultGatewayMaxResponse,
		attempts:   DefaultGatewayAttempts,
		retryDelay: DefaultGatewayRetryDelay,
	}
	for _, o := range opts {
		o(g)
	}
	var errs []error
	if err := checkGatewayURL(rawURL); err != nil {
		errs = append(errs, err)
	}
	if token == "" || strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		errs = append(errs, errors.New("phone: gateway token is empty or contains spaces or control characters"))
	}
	if g.client == nil {
		errs = append(errs, errors.New("phone: nil HTTP client"))
	} else {
		c := *g.client // never change the caller's client
		c.Timeout = g.timeout
		// A redirect would turn the POST into a GET, or carry the message
		// to another host: report it instead of following it.
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		g.client = &c
	}
	if g.timeout <= 0 {
		errs = append(errs, fmt.Errorf("phone: gateway timeout %v, want more than 0", g.timeout))
	}
	if g.maxResp < 1 {
		errs = append(errs, fmt.Errorf("phone: gateway response limit %d, want at least 1", g.maxResp))
	}
	if g.attempts < 1 || g.attempts > 5 {
		errs = append(errs, fmt.Errorf("phone: gateway attempts %d, want 1 to 5", g.attempts))
	}
	if g.retryDelay < 0 {
		errs = append(errs, fmt.Errorf("phone: gateway retry delay %v, want 0 or more", g.retryDelay))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return g, nil
}

func checkGatewayURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("phone: gateway URL: %w", err)
	}
	if u.Host == "" {
		return errors.New("phone: gateway URL has no host")
	}
	if u.User != nil {
		return errors.New("phone: gateway URL must not carry credentials; use the token")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		h := u.Hostname()
		if ip := net.ParseIP(h); h == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return errors.New("phone: gateway URL must be https (http only to a loopback address)")
	}
	return fmt.Errorf("phone: gateway URL scheme %q, want https", u.Scheme)
}

// gatewayRequest is the JSON body posted to the gateway.
type gatewayRequest struct {
	To      string `json:"to"`
	Text    string `json:"text"`
	Purpose string `json:"purpose"`
}

// Send implements Sender.
func (g *HTTPGateway) Send(ctx context.Context, m Message) error {
	if m.To.IsZero() {
		return fmt.Errorf("%w: no recipient", ErrInvalidRequest)
	}
	body, err := json.Marshal(gatewayRequest{To: m.To.E164(), Text: m.Text, Purpose: m.Purpose})
	if err != nil {
		return fmt.Errorf("phone: encode gateway request: %w", err)
	}
	var last error
	for attempt := 1; attempt <= g.attempts; attempt++ {
		if attempt > 1 && g.retryDelay > 0 {
			t := time.NewTimer(g.retryDelay)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("phone: gateway retry abandoned: %w (last error: %w)", ctx.Err(), last)
			case <-t.C:
			}
		}
		var retry bool
		retry, last = g.post(ctx, m.ID, body)
		if last == nil || !retry || ctx.Err() != nil {
			return last
		}
	}
	return last
}

// post makes one attempt and reports whether its failure may be retried.
func (g *HTTPGateway) post(ctx context.Context, id string, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("phone: gateway request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+g.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", "netid-sms")
	if id != "" {
		req.Header.Set("Idempotency-Key", strconv.Quote(id)) // an sf-string, as the draft specifies
	}
	resp, err := g.client.Do(req)
	if err != nil {
		// The URL is ours and holds no secret, but url.Error quotes it
		// with any query; keep only the operation and the cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return true, &GatewayError{Status: 0, Detail: "request failed: " + scrub(err.Error()), cause: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, g.maxResp))
	if err != nil {
		return true, &GatewayError{Status: resp.StatusCode, Detail: "reading the response failed: " + scrub(err.Error()), cause: err}
	}
	// Drain a little more so the connection can be reused; not the whole
	// body, which may be endless.
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	gerr := parseGatewayResponse(resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Retry-After"), data)
	if gerr == nil {
		return false, nil
	}
	return gerr.Temporary(), gerr
}

// GatewayError is a failure reported by, or in reaching, an HTTP gateway.
// Its text fields come from the gateway (or the transport error), trimmed
// to 200 characters and with every number-like run of 5 or more digits
// replaced by "#", so that a gateway echoing the number or the text cannot
// put them in netid's logs. The transport error itself, unscrubbed, is
// available through errors.As (Unwrap).
type GatewayError struct {
	// Status is the HTTP status, or 0 if no response came.
	Status int
	// Type, Title and Detail are the problem document's members (RFC 9457
	// section 3.1), or Detail describes the failure.
	Type, Title, Detail string
	// RetryAfter is the gateway's Retry-After in seconds, or 0.
	RetryAfter time.Duration
	cause      error
}

func (e *GatewayError) Error() string {
	var b strings.Builder
	b.WriteString("phone: SMS gateway")
	if e.Status != 0 {
		fmt.Fprintf(&b, ": status %d", e.Status)
	}
	for _, s := range []string{e.Title, e.Detail} {
		if s != "" {
			b.WriteString(": ")
			b.WriteString(s)
		}
	}
	if e.Type != "" {
		fmt.Fprintf(&b, " (%s)", e.Type)
	}
	return b.String()
}

// Is makes a GatewayError match ErrGateway.
func (e *GatewayError) Is(target error) bool { return target == ErrGateway }

// Unwrap returns the transport error, if any.
func (e *GatewayError) Unwrap() error { return e.cause }

// Temporary reports whether a retry may succeed: no response, 429, or a
// 500, 502, 503 or 504.
func (e *GatewayError) Temporary() bool {
	switch e.Status {
	case 0, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// gatewayProblem is the part of an RFC 9457 problem document netid reads.
type gatewayProblem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// parseGatewayResponse turns a gateway's response into nil (2xx) or a
// *GatewayError. It reads problem+json (and plain JSON with the same
// members) and otherwise keeps the start of a text body as the detail.
func parseGatewayResponse(status int, contentType, retryAfter string, body []byte) *GatewayError {
	if status >= 200 && status <= 299 {
		return nil
	}
	e := &GatewayError{Status: status}
	if s, err := strconv.Atoi(strings.TrimSpace(retryAfter)); err == nil && s > 0 && s <= 24*3600 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/problem+json" || mt == "application/json":
		var p gatewayProblem
		if err := json.Unmarshal(body, &p); err == nil {
			e.Type, e.Title, e.Detail = scrub(p.Type), scrub(p.Title), scrub(p.Detail)
		} else {
			e.Detail = "unparsable JSON error body"
		}
	case strings.HasPrefix(mt, "text/"):
		e.Detail = scrub(string(body))
	}
	if e.Title == "" && e.Detail == "" {
		e.Title = http.StatusText(status)
	}
	return e
}

// maxScrubbed is the length, in characters, gateway text is cut to.
const maxScrubbed = 200

// scrub makes text from outside safe for logs. Invalid UTF-8 and control
// characters become spaces; every number-like run (digits, possibly with a
// leading '+' and spaces, hyphens, dots or parentheses between them) that
// holds 5 or more digits becomes "#", so that neither a phone number, even
// written in groups, nor a code survives; the result is cut to maxScrubbed
// characters.
func scrub(s string) string {
	var b strings.Builder
	var run []rune
	runDigits := 0
	flush := func() {
		if runDigits >= 5 {
			b.WriteByte('#')
			// Keep the separators after the last digit: "# is invalid",
			// not "#is invalid".
			i := len(run)
			for i > 0 && !unicode.IsDigit(run[i-1]) {
				i--
			}
			b.WriteString(string(run[i:]))
		} else {
			b.WriteString(string(run))
		}
		run, runDigits = run[:0], 0
	}
	n := 0
	for _, r := range strings.ToValidUTF8(s, " ") {
		if n >= maxScrubbed {
			break
		}
		n++
		switch {
		case unicode.IsDigit(r):
			run = append(run, r)
			runDigits++
			continue
		case r == '+' && len(run) == 0, len(run) > 0 && isNumberSeparator(r):
			run = append(run, r)
			continue
		}
		flush()
		if unicode.IsControl(r) || r == utf8.RuneError {
			r = ' '
		}
		b.WriteRune(r)
	}
	flush()
	return strings.TrimSpace(b.String())
}

func isNumberSeparator(r rune) bool {
	return r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '+' || isSeparator(r)
}
