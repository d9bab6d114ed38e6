package wallet

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
	"slices"
	"strings"
	"time"
)

// Defaults of a Client.
const (
	// DefaultTimeout bounds one request, answer included. Enrolment steps
	// are quick but the password step hashes with argon2id, which may
	// queue behind others on a busy server.
	DefaultTimeout = 60 * time.Second
	// DefaultMaxJSON bounds a JSON answer. The largest, the completion,
	// is a few kilobytes.
	DefaultMaxJSON = 1 << 20
	// DefaultMaxBinary bounds a binary answer of the demo endpoints: a
	// chip dump (emrtd.MaxChipDumpSize is 4 MiB) or a face image.
	DefaultMaxBinary = 8 << 20
	// busyRetries is how many times a request answered "busy" (503 with
	// Retry-After: the server did nothing) is retried.
	busyRetries = 3
	// maxBusyWait caps the wait before such a retry.
	maxBusyWait = 10 * time.Second
)

// Client is a typed client of netid's HTTP API (the enrolment routes, the
// guardian approval, the demo routes). It is safe for concurrent use.
// Errors the server answers are *Problem; answers that do not follow the
// API wrap ErrResponse.
type Client struct {
	base      *url.URL
	hc        *http.Client
	maxJSON   int64
	maxBinary int64
	userAgent string
	sleep     func(context.Context, time.Duration) error
}

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient makes the Client send through hc (an httptest server's
// client, a client with a custom transport). Its redirect policy is kept;
// the default one refuses redirects.
func WithHTTPClient(hc *http.Client) ClientOption { return func(c *Client) { c.hc = hc } }

// WithTimeout sets the time limit of one request (DefaultTimeout).
func WithTimeout(d time.Duration) ClientOption {
	return func(c *Client) {
		cp := *c.hc
		cp.Timeout = d
		c.hc = &cp
	}
}

// WithResponseLimits sets the largest JSON and binary answers accepted.
func WithResponseLimits(maxJSON, maxBinary int64) ClientOption {
	return func(c *Client) { c.maxJSON, c.maxBinary = maxJSON, maxBinary }
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) ClientOption { return func(c *Client) { c.userAgent = ua } }

// NewClient returns a client of the server at base URL server (http or
// https, no query or fragment; a path prefix is kept).
func NewClient(server string, opts ...ClientOption) (*Client, error) {
	norm, err := normaliseServer(server)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(norm)
	c := &Client{
		base: u,
		hc: &http.Client{
			Timeout: DefaultTimeout,
			// A redirect would carry the enrolment token, the password or
			// the guardian's password somewhere the resident did not name.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		maxJSON:   DefaultMaxJSON,
		maxBinary: DefaultMaxBinary,
		userAgent: "netid-wallet",
		sleep:     sleepCtx,
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// normaliseServer checks a server URL and returns it without a trailing
// slash, so that two spellings of one server compare equal.
func normaliseServer(server string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(server))
	switch {
	case err != nil:
		return "", fmt.Errorf("server URL %q: %w", server, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("server URL %q: want http:// or https://", server)
	case u.Host == "":
		return "", fmt.Errorf("server URL %q: no host", server)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("server URL %q: no user, query or fragment allowed", server)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// Server returns the server's base URL, normalised.
func (c *Client) Server() string { return c.base.String() }

// Insecure reports whether requests travel unencrypted to another machine:
// plain http to a host that is not a loopback address. Passwords would be
// readable on the network.
func (c *Client) Insecure() bool {
	if c.base.Scheme == "https" {
		return false
	}
	host := c.base.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// endpoint returns the URL of path under the base. path starts with "/"
// and is escaped already (ids in it went through url.PathEscape).
func (c *Client) endpoint(path string, query url.Values) string {
	u := *c.base
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		unescaped = path
	}
	u.Path = c.base.Path + unescaped
	u.RawPath = c.base.EscapedPath() + path
	u.RawQuery = query.Encode()
	return u.String()
}

// call is one API request: method and path, the bearer token if not
// empty, in as the JSON body if not nil, and the statuses that mean
// success; the answer's JSON goes into out when not nil.
type call struct {
	method, path string
	query        url.Values
	token        string
	in, out      any
	want         []int
}

// do runs a JSON call. A 503 "busy" problem with Retry-After means the
// server did nothing; it is retried after the wait a few times.
func (c *Client) do(ctx context.Context, k call) error {
	var body []byte
	if k.in != nil {
		var err error
		if body, err = json.Marshal(k.in); err != nil {
			return fmt.Errorf("wallet: encoding %s %s: %w", k.method, k.path, err)
		}
	}
	for attempt := 0; ; attempt++ {
		status, header, b, err := c.roundTrip(ctx, k.method, c.endpoint(k.path, k.query), k.token, body, "application/json", c.maxJSON)
		if err != nil {
			return err
		}
		if !slices.Contains(k.want, status) {
			p := decodeProblem(status, header, b)
			if p.Slug() == ProblemBusy && p.RetryAfter > 0 && attempt < busyRetries {
				if err := c.sleep(ctx, min(p.RetryAfter, maxBusyWait)); err != nil {
					return err
				}
				continue
			}
			return p
		}
		if k.out == nil {
			return nil
		}
		if err := checkJSON(header); err != nil {
			return fmt.Errorf("%w: %s %s: %w", ErrResponse, k.method, k.path, err)
		}
		// Unknown members are tolerated: a newer server may add some.
		if err := json.Unmarshal(b, k.out); err != nil {
			return fmt.Errorf("%w: %s %s: %w", ErrResponse, k.method, k.path, err)
		}
		return nil
	}
}

// getBinary fetches a binary resource (demo chip dumps and faces) and
// returns it with its media type.
func (c *Client) getBinary(ctx context.Context, path string, query url.Values) ([]byte, string, error) {
	status, header, b, err := c.roundTrip(ctx, http.MethodGet, c.endpoint(path, query), "", nil, "*/*", c.maxBinary)
	if err != nil {
		return nil, "", err
	}
	if status != http.StatusOK {
		return nil, "", decodeProblem(status, header, b)
	}
	ct, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	return b, ct, nil
}

// roundTrip sends one request and reads at most limit bytes of answer.
func (c *Client) roundTrip(ctx context.Context, method, u, token string, body []byte, accept string, limit int64) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("wallet: %s %s: %w", method, u, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", accept+", application/problem+json")
	req.Header.Set("User-Agent", c.userAgent)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("cannot reach the netid server at %s: %w", c.Server(), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("%w: reading the answer to %s %s: %w", ErrResponse, method, req.URL.Path, err)
	}
	if int64(len(b)) > limit {
		return 0, nil, nil, fmt.Errorf("%w: the answer to %s %s exceeds %d bytes", ErrResponse, method, req.URL.Path, limit)
	}
	return resp.StatusCode, resp.Header, b, nil
}

// checkJSON refuses an answer that does not say it is JSON: an HTML page
// from a proxy or a wrong server URL would otherwise give a confusing
// decoding error.
func checkJSON(h http.Header) error {
	ct, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || (ct != "application/json" && !strings.HasSuffix(ct, "+json")) {
		return fmt.Errorf("content type %q is not JSON (is the server URL right?)", h.Get("Content-Type"))
	}
	return nil
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errorsAsProblem returns the *Problem in err's chain, or nil.
func errorsAsProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return nil
}
