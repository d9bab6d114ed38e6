package biometric

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
	"strings"
	"time"
)

// Remote defaults.
const (
	DefaultRemoteTimeout          = 10 * time.Second
	DefaultMaxRemoteResponseBytes = 64 << 10 // the largest template (8192 values) is 44 KiB in base64
)

// Remote is a Matcher and an Extractor backed by an external biometric
// engine speaking the protocol in doc.go. It is safe for concurrent use.
//
// Remote logs nothing and never puts image or template bytes in its errors.
type Remote struct {
	match, extract string // endpoint URLs
	token          string
	client         *http.Client
	timeout        time.Duration
	maxResponse    int64
	threshold      *float64
	allowPlainHTTP bool
}

// RemoteOption configures a Remote.
type RemoteOption func(*Remote)

// WithBearerToken sends token as "Authorization: Bearer" (RFC 6750) on
// every request.
func WithBearerToken(token string) RemoteOption { return func(r *Remote) { r.token = token } }

// WithHTTPClient uses c (for its transport: TLS roots, client certificates,
// proxies). The per-request timeout still applies, and redirects are never
// followed.
func WithHTTPClient(c *http.Client) RemoteOption { return func(r *Remote) { r.client = c } }

// WithRemoteTimeout bounds each request, connection included.
func WithRemoteTimeout(d time.Duration) RemoteOption { return func(r *Remote) { r.timeout = d } }

// WithMaxResponseBytes bounds the response bodies read from the engine.
func WithMaxResponseBytes(n int64) RemoteOption { return func(r *Remote) { r.maxResponse = n } }

// WithRemoteThreshold decides Match with netid's own threshold, on the
// engine's score scale, instead of the threshold the engine returns.
func WithRemoteThreshold(t float64) RemoteOption { return func(r *Remote) { r.threshold = &t } }

// WithPlainHTTP allows an http:// base URL to a host other than loopback.
// Faces would then cross the network in clear: only for an engine reached
// over an otherwise protected link (a sidecar, a service mesh with mTLS).
func WithPlainHTTP() RemoteOption { return func(r *Remote) { r.allowPlainHTTP = true } }

// NewRemote returns a client of the engine at baseURL (e.g.
// "https://engine.example/face"), whose endpoints are baseURL + "/v1/match"
// and baseURL + "/v1/extract". The URL must be https, or http to a loopback
// address, or http with WithPlainHTTP.
func NewRemote(baseURL string, opts ...RemoteOption) (*Remote, error) {
	r := &Remote{client: http.DefaultClient, timeout: DefaultRemoteTimeout, maxResponse: DefaultMaxRemoteResponseBytes}
	for _, o := range opts {
		o(r)
	}
	u, err := url.Parse(baseURL)
	var errs []error
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("base URL: %w", err))
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		errs = append(errs, errors.New("base URL must be an absolute URL without credentials, query or fragment"))
	case u.Scheme == "https":
	case u.Scheme == "http" && (r.allowPlainHTTP || isLoopback(u.Hostname())):
	default:
		errs = append(errs, fmt.Errorf("base URL scheme %q: want https (faces must not cross the network in clear)", u.Scheme))
	}
	if r.client == nil {
		errs = append(errs, errors.New("nil HTTP client"))
	}
	if r.timeout <= 0 {
		errs = append(errs, errors.New("timeout must be positive"))
	}
	if r.maxResponse <= 0 {
		errs = append(errs, errors.New("response size limit must be positive"))
	}
	if strings.ContainsAny(r.token, "\r\n") {
		errs = append(errs, errors.New("bearer token contains a line break"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("biometric: remote engine: %w", errors.Join(errs...))
	}
	// A copy, so that the caller's client keeps its own redirect policy:
	// this one follows none, because a redirect would send faces to a
	// host nobody configured. A 3xx is reported as a RemoteError.
	c := *r.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r.client = &c
	base := strings.TrimSuffix(u.String(), "/")
	r.match, r.extract = base+"/v1/match", base+"/v1/extract"
	return r, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Match implements Matcher with POST {base}/v1/match.
func (r *Remote) Match(ctx context.Context, live Capture, ref Reference) (Result, error) {
	if err := live.Validate(); err != nil {
		return Result{}, err
	}
	if err := ref.Validate(); err != nil {
		return Result{}, err
	}
	probe, err := wireSample(live.Image, live.Format, live.Embedding)
	if err != nil {
		return Result{}, err
	}
	reference, err := wireSample(ref.Image, ref.Format, ref.Template)
	if err != nil {
		return Result{}, err
	}
	body, err := r.post(ctx, r.match, MatchRequest{Probe: probe, Reference: reference})
	if err != nil {
		return Result{}, err
	}
	res, err := parseMatchResponse(body)
	if err != nil {
		return Result{}, err
	}
	if r.threshold != nil {
		res.Threshold = *r.threshold
		res.Match = res.Score >= res.Threshold
	}
	return res, nil
}

// Extract implements Extractor with POST {base}/v1/extract: the template is
// the engine's, for storage and later Match calls to the same engine.
func (r *Remote) Extract(ctx context.Context, image []byte, format Format) (Template, error) {
	if len(image) == 0 {
		return Template{}, fmt.Errorf("%w: empty image", ErrBadSample)
	}
	s, err := wireSample(image, format, nil)
	if err != nil {
		return Template{}, err
	}
	body, err := r.post(ctx, r.extract, ExtractRequest{Sample: s})
	if err != nil {
		return Template{}, err
	}
	return parseExtractResponse(body)
}

func wireSample(image []byte, f Format, t *Template) (WireSample, error) {
	if t != nil {
		b, err := t.MarshalBinary()
		if err != nil {
			return WireSample{}, err
		}
		return WireSample{Template: b}, nil
	}
	f, err := resolveFormat(image, f)
	if err != nil {
		return WireSample{}, err
	}
	return WireSample{Image: image, Format: f}, nil
}

// post sends req as JSON and returns the body of a 200 answer. Errors say
// what went wrong without quoting the request.
func (r *Remote) post(ctx context.Context, endpoint string, req any) ([]byte, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("biometric: remote engine: encode request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRemote, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json, application/problem+json")
	if r.token != "" {
		hreq.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := r.client.Do(hreq)
	if err != nil {
		// err quotes the URL, never the body.
		return nil, fmt.Errorf("%w: %w", ErrRemote, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.maxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("%w: reading response: %w", ErrRemote, err)
	}
	if int64(len(body)) > r.maxResponse {
		return nil, fmt.Errorf("%w: response larger than %d bytes", ErrRemote, r.maxResponse)
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK {
		rerr := &RemoteError{StatusCode: resp.StatusCode}
		if mediaType == "application/problem+json" {
			if p, err := parseProblem(body); err == nil {
				rerr.Problem = p
			}
		}
		return nil, rerr
	}
	if mediaType != "application/json" {
		return nil, fmt.Errorf("%w: response of type %q, want application/json", ErrRemote, clip(mediaType, 64))
	}
	return body, nil
}
