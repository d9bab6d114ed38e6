package document

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// VerifyPath is the path, below an authority's base URL, of the
// verification endpoint of the netid authority protocol.
const VerifyPath = "/v1/verify"

// Defaults of the HTTP adapter.
const (
	DefaultAuthorityTimeout = 10 * time.Second
	// DefaultMaxResponseBytes bounds an authority's answer; the JSON
	// result is a few hundred bytes.
	DefaultMaxResponseBytes = 64 << 10
)

// HTTPAuthority is an Authority reached over HTTP with the netid authority
// protocol:
//
//	POST {base}/v1/verify
//	Authorization: Bearer <token>
//	Content-Type: application/json
//
//	{"doc_type": "resident-id-card", "number": "11010519491231002X",
//	 "name": "张三", "birth_date": "1949-12-31"}
//
// answered, for any verdict, by 200 and an AuthorityResult as JSON:
//
//	{"status": "valid", "authority": "cn-mps", "verification_id": "...",
//	 "birth_date": "1949-12-31", "sex": "F", "expiry_date": "2030-01-01"}
//
// and by 4xx or 5xx, preferably with an RFC 9457 application/problem+json
// body, when the request cannot be answered.
type HTTPAuthority struct {
	endpoint string
	client   *http.Client
	token    string
	timeout  time.Duration
	maxBody  int64
	logger   *slog.Logger
	now      func() time.Time
}

var _ Authority = (*HTTPAuthority)(nil)

// HTTPOption configures an HTTPAuthority.
type HTTPOption func(*HTTPAuthority)

// WithHTTPClient sets the client, and with it the TLS configuration
// (trusted roots, client certificates) and transport. The default is a
// client with no timeout of its own (WithTimeout bounds each call).
func WithHTTPClient(c *http.Client) HTTPOption { return func(a *HTTPAuthority) { a.client = c } }

// WithBearerToken sets the token sent in the Authorization header.
func WithBearerToken(token string) HTTPOption { return func(a *HTTPAuthority) { a.token = token } }

// WithTimeout bounds each verification, connection and answer included.
func WithTimeout(d time.Duration) HTTPOption { return func(a *HTTPAuthority) { a.timeout = d } }

// WithMaxResponseBytes bounds the size of an answer read.
func WithMaxResponseBytes(n int64) HTTPOption { return func(a *HTTPAuthority) { a.maxBody = n } }

// WithLogger sets the logger for outcomes (never the query's personal data).
func WithLogger(l *slog.Logger) HTTPOption { return func(a *HTTPAuthority) { a.logger = l } }

// WithClock sets the clock used to validate queries.
func WithClock(now func() time.Time) HTTPOption { return func(a *HTTPAuthority) { a.now = now } }

// NewHTTPAuthority returns an adapter for the authority at baseURL. The URL
// must be https, or http to a loopback address (tests, a local simulated
// authority): the query carries personal data and the bearer token.
func NewHTTPAuthority(baseURL string, opts ...HTTPOption) (*HTTPAuthority, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("document authority: base URL: %w", err)
	}
	switch {
	case u.Host == "":
		return nil, fmt.Errorf("document authority: base URL %q has no host", baseURL)
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return nil, fmt.Errorf("document authority: base URL %q must use https (http only to a loopback address)", baseURL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("document authority: base URL must not carry credentials, a query or a fragment")
	}
	a := &HTTPAuthority{
		endpoint: strings.TrimSuffix(u.String(), "/") + VerifyPath,
		client:   &http.Client{},
		timeout:  DefaultAuthorityTimeout,
		maxBody:  DefaultMaxResponseBytes,
		logger:   slog.New(slog.DiscardHandler),
		now:      time.Now,
	}
	for _, o := range opts {
		o(a)
	}
	if a.timeout <= 0 || a.maxBody <= 0 || a.client == nil || a.logger == nil || a.now == nil {
		return nil, errors.New("document authority: timeout and response limit must be positive, client, logger and clock non-nil")
	}
	// Never follow a redirect: it would resend the personal data and the
	// token to wherever the answer points. The caller's client is copied,
	// not changed.
	c := *a.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	a.client = &c
	return a, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Verify implements Authority.
func (a *HTTPAuthority) Verify(ctx context.Context, q AuthorityQuery) (AuthorityResult, error) {
	q, err := q.Normalize(a.now())
	if err != nil {
		return AuthorityResult{}, err
	}
	body, err := json.Marshal(q)
	if err != nil {
		return AuthorityResult{}, fmt.Errorf("document authority: encode query: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.endpoint, bytes.NewReader(body))
	if err != nil {
		return AuthorityResult{}, fmt.Errorf("document authority: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, application/problem+json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	start := time.Now()
	resp, err := a.client.Do(req)
	if err != nil {
		// The error names the endpoint and the cause; the body, which holds
		// the personal data, is not in it.
		a.logger.WarnContext(ctx, "document authority unreachable", "doc_type", q.DocType, "error", err)
		return AuthorityResult{}, fmt.Errorf("%w: %w", ErrAuthorityUnavailable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, a.maxBody+1))
	if err != nil {
		return AuthorityResult{}, fmt.Errorf("%w: reading the answer: %w", ErrAuthorityUnavailable, err)
	}
	if int64(len(raw)) > a.maxBody {
		return AuthorityResult{}, &AuthorityError{StatusCode: resp.StatusCode, Title: fmt.Sprintf("answer larger than %d bytes", a.maxBody), Err: ErrAuthorityProtocol}
	}
	res, err := decodeAuthorityResponse(resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	if err == nil && res.Status == StatusValid && res.BirthDate != q.BirthDate {
		// "Valid" means the claimed birth date matched; an authority that
		// confirms another one contradicts itself.
		err = &AuthorityError{StatusCode: resp.StatusCode, Title: "a valid result confirms another birth date than the one asked", Err: ErrAuthorityProtocol}
	}
	if err != nil {
		a.logger.WarnContext(ctx, "document authority refused", "doc_type", q.DocType, "error", err)
		return AuthorityResult{}, err
	}
	a.logger.InfoContext(ctx, "document authority answered", "doc_type", q.DocType, "status", res.Status,
		"authority", res.Authority, "verification_id", res.VerificationID, "elapsed", time.Since(start))
	return res, nil
}

// AuthorityError is an authority's refusal to answer, or an answer that
// could not be understood. Its message holds the HTTP status and the
// problem type and title; Detail, which an authority may fill with the
// query's personal data, is kept out of Error and LogValue.
type AuthorityError struct {
	StatusCode int
	Type       string // RFC 9457 problem type, if any
	Title      string
	Detail     string
	Err        error // ErrAuthorityUnavailable, ErrAuthorityRejected or ErrAuthorityProtocol
}

// Error implements error.
func (e *AuthorityError) Error() string {
	var b strings.Builder
	b.WriteString(e.sentinel().Error())
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	}
	if e.Type != "" && e.Type != "about:blank" {
		fmt.Fprintf(&b, " (%s)", e.Type)
	}
	if e.Title != "" {
		b.WriteString(": ")
		b.WriteString(e.Title)
	}
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *AuthorityError) Unwrap() error { return e.Err }

// sentinel returns Err, or ErrAuthorityProtocol for an AuthorityError built
// without one.
func (e *AuthorityError) sentinel() error {
	if e.Err == nil {
		return ErrAuthorityProtocol
	}
	return e.Err
}

// LogValue omits Detail.
func (e *AuthorityError) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("status", e.StatusCode), slog.String("type", e.Type), slog.String("title", e.Title), slog.String("error", e.sentinel().Error()))
}

// problem is an RFC 9457 problem details object.
type problem struct {
	Type   string `json:"type,omitempty"`
	Title  string `json:"title,omitempty"`
	Status int    `json:"status,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// decodeAuthorityResponse turns an HTTP answer into a result or an error.
func decodeAuthorityResponse(status int, contentType string, body []byte) (AuthorityResult, error) {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	if status != http.StatusOK {
		e := &AuthorityError{StatusCode: status}
		switch {
		case status == http.StatusTooManyRequests || status >= 500:
			e.Err = ErrAuthorityUnavailable
		case status >= 400:
			e.Err = ErrAuthorityRejected
		default: // other 2xx, and 3xx: redirects are not followed
			e.Err = ErrAuthorityProtocol
		}
		var p problem
		if (mediaType == "application/problem+json" || mediaType == "application/json") && json.Unmarshal(body, &p) == nil {
			e.Type, e.Title, e.Detail = truncate(p.Type), truncate(p.Title), truncate(p.Detail)
		}
		if e.Title == "" {
			e.Title = http.StatusText(status)
		}
		return AuthorityResult{}, e
	}
	if mediaType != "application/json" {
		return AuthorityResult{}, &AuthorityError{StatusCode: status, Title: fmt.Sprintf("answer is %q, want application/json", truncate(mediaType)), Err: ErrAuthorityProtocol}
	}
	var r AuthorityResult
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&r); err != nil {
		return AuthorityResult{}, &AuthorityError{StatusCode: status, Title: "answer is not a JSON result: " + truncate(err.Error()), Err: ErrAuthorityProtocol}
	}
	if dec.More() {
		return AuthorityResult{}, &AuthorityError{StatusCode: status, Title: "answer has data after the JSON result", Err: ErrAuthorityProtocol}
	}
	if err := r.validate(); err != nil {
		return AuthorityResult{}, &AuthorityError{StatusCode: status, Title: err.Error(), Err: ErrAuthorityProtocol}
	}
	return r, nil
}
