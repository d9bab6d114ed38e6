package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// The probes of TestPostgresRestartUnderLoad: requests that each need the
// database, sent over and over while it goes away and comes back, and the
// rules their answers are judged by.

// Phases of the outage, as the controller moves through them. A request
// is judged by the phases in which it started and ended.
const (
	phaseUp        int32 = iota // the database serves
	phaseStopping               // pg_ctl stop is running
	phaseDown                   // the database is stopped
	phaseStarting               // pg_ctl start is running, or netid is not ready yet
	phaseRecovered              // /readyz answered 200 again
)

var phaseNames = []string{"up", "stopping", "down", "starting", "recovered"}

// resProbe is one kind of request. do sends it with a client from a
// source address of its own; ok is the status of success.
type resProbe struct {
	name string
	ok   int
	do   func(ctx context.Context) (*http.Response, error)
	// cached: the answer may come from memory while the database is down
	// (the CRL is kept until it is due for renewal).
	cached bool
}

// resOutcome is one answer (or failure to get one).
type resOutcome struct {
	probe        string
	start, end   int32
	status       int
	contentType  string
	body         string
	err          error
	oauthJSONErr string // the OAuth "error" member, for the provider's JSON errors
}

// resOutage runs the probes and collects their outcomes.
type resOutage struct {
	phase  atomic.Int32
	probes []resProbe

	mu       sync.Mutex
	outcomes []resOutcome
	// seen counts successes per probe and phase, and 503s per probe in
	// phaseDown, for the controller to know when it has seen enough.
	seen map[string]int
	wake chan struct{}
}

func newResOutage(probes []resProbe) *resOutage {
	return &resOutage{probes: probes, seen: map[string]int{}, wake: make(chan struct{}, 1)}
}

func (o *resOutage) key(probe string, phase int32, ok bool) string {
	return fmt.Sprintf("%s/%s/%v", probe, phaseNames[phase], ok)
}

// run sends the probes in turn, starting at offset, until ctx ends.
func (o *resOutage) run(ctx context.Context, offset int) {
	for i := offset; ctx.Err() == nil; i++ {
		p := o.probes[i%len(o.probes)]
		start := o.phase.Load()
		res, err := p.do(ctx)
		if ctx.Err() != nil {
			if res != nil {
				res.Body.Close()
			}
			return
		}
		out := resOutcome{probe: p.name, start: start, err: err}
		if res != nil {
			b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
			res.Body.Close()
			out.status, out.body = res.StatusCode, string(b)
			out.contentType, _, _ = mime.ParseMediaType(res.Header.Get("Content-Type"))
			if out.contentType == "application/json" {
				var e struct {
					Error string `json:"error"`
				}
				if json.Unmarshal(b, &e) == nil {
					out.oauthJSONErr = e.Error
				}
			}
		}
		out.end = o.phase.Load()
		o.mu.Lock()
		o.outcomes = append(o.outcomes, out)
		if out.start == out.end {
			o.seen[o.key(p.name, out.start, out.status == p.ok)]++
		}
		o.mu.Unlock()
		select {
		case o.wake <- struct{}{}:
		default:
		}
		// A pause, so that an outage of a second is not a flood of
		// thousands of requests (and log lines).
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// waitFor blocks until every probe has n outcomes of phase with success
// ok (or the bound passes: then it reports which probes lack them).
func (o *resOutage) waitFor(ctx context.Context, phase int32, ok bool, n int) error {
	for {
		o.mu.Lock()
		var missing []string
		for _, p := range o.probes {
			if p.cached && !ok {
				continue
			}
			if o.seen[o.key(p.name, phase, ok)] < n {
				missing = append(missing, p.name)
			}
		}
		o.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-o.wake:
		case <-ctx.Done():
			return fmt.Errorf("no %d %s outcomes (success %v) of %v", n, phaseNames[phase], ok, missing)
		}
	}
}

// judge checks every outcome against the rules of an outage: never a
// transport error (a hang ends in the client's timeout, a dropped
// connection in an error), never a 5xx other than 503, every 503 a
// problem (or, at the provider's OAuth endpoints, an OAuth error) and
// only while the database is not fully up; every answer while it is down
// a 503 (unless the probe may be answered from memory); and every answer
// before the stop and after the recovery a success.
func (o *resOutage) judge(t *testing.T) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	okOf, cached := map[string]int{}, map[string]bool{}
	for _, p := range o.probes {
		okOf[p.name], cached[p.name] = p.ok, p.cached
	}
	counts := map[string]int{}
	for _, out := range o.outcomes {
		where := fmt.Sprintf("%s started %s, ended %s", out.probe, phaseNames[out.start], phaseNames[out.end])
		counts[fmt.Sprintf("%s %d", phaseNames[out.end], out.status)]++
		healthy := (out.start == phaseUp || out.start == phaseRecovered) && out.start == out.end
		switch {
		case out.err != nil:
			t.Errorf("%s: no answer: %v", where, out.err)
		case out.status == okOf[out.probe]:
			if out.start == phaseDown && out.end == phaseDown && !cached[out.probe] {
				t.Errorf("%s: %d while the database was down; want 503", where, out.status)
			}
		case out.status == http.StatusServiceUnavailable:
			if healthy {
				t.Errorf("%s: 503 while the database served: %.300s", where, out.body)
			}
			if out.contentType != "application/problem+json" && out.oauthJSONErr == "" {
				t.Errorf("%s: 503 as %q, want a problem+json (or an OAuth error): %.300s", where, out.contentType, out.body)
			}
		default:
			t.Errorf("%s: status %d (%s), want %d or 503: %.300s", where, out.status, out.contentType, okOf[out.probe], out.body)
		}
	}
	t.Logf("outcomes by phase and status: %v", counts)
}

// statusProbe is a GET of path that must answer ok.
func statusProbe(name, base, path string, ok int, hc *http.Client) resProbe {
	return resProbe{name: name, ok: ok, do: func(ctx context.Context) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		if err != nil {
			return nil, err
		}
		return hc.Do(req)
	}}
}

// noRedirects returns a copy of hc that does not follow redirects.
func noRedirects(hc *http.Client) *http.Client {
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// enrolStartProbe starts a new enrolment with a fresh passport each time,
// each from its own source address (the start limit is per address).
func enrolStartProbe(t *testing.T, base string, people *resPassports, first int) resProbe {
	var n atomic.Int64
	n.Store(int64(first))
	return resProbe{name: "enrolment start", ok: http.StatusCreated, do: func(ctx context.Context) (*http.Response, error) {
		i := n.Add(1)
		p, err := people.person(int(i))
		if err != nil {
			t.Errorf("issuing a passport: %v", err)
			return nil, err
		}
		body, err := json.Marshal(map[string]any{"evidence": map[string]any{"chip": p.doc.Chip, "printed_mrz": p.doc.PrintedMRZ}})
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/enrolments", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		return resHTTP(fmt.Sprintf("127.1.%d.%d", i/200, i%200+1), nil, nil).Do(req)
	}}
}

// enrolStatusProbe reads an enrolment's state with its token.
func enrolStatusProbe(base, id, token string, hc *http.Client) resProbe {
	return resProbe{name: "enrolment status", ok: http.StatusOK, do: func(ctx context.Context) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/enrolments/"+url.PathEscape(id), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		return hc.Do(req)
	}}
}

// authorizeProbe sends a platform's authorization request, which stores
// an interaction and redirects to the login page.
func authorizeProbe(r *resRP, hc *http.Client) resProbe {
	return resProbe{name: "authorize", ok: http.StatusFound, do: func(ctx context.Context) (*http.Response, error) {
		u := r.config().AuthCodeURL(randomHex(), oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		return noRedirects(hc).Do(req)
	}}
}

// userinfoProbe asks userinfo with an access token.
func userinfoProbe(issuer, accessToken string, hc *http.Client) resProbe {
	return resProbe{name: "userinfo", ok: http.StatusOK, do: func(ctx context.Context) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, issuer+"/oidc/userinfo", nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+accessToken)
		return hc.Do(req)
	}}
}

// refreshProbe uses the platform's refresh token at the token endpoint,
// keeping the new one: one at a time, since a refresh token used twice
// revokes its family. A refused refresh (the database was down) leaves
// the token as it was, so it is used again.
func refreshProbe(r *resRP, refreshToken string, hc *http.Client) resProbe {
	var mu sync.Mutex
	current := refreshToken
	return resProbe{name: "token refresh", ok: http.StatusOK, do: func(ctx context.Context) (*http.Response, error) {
		mu.Lock()
		defer mu.Unlock()
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {current}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.issuer+"/oidc/token", strings.NewReader(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(r.clientID), url.QueryEscape(r.secret))
		res, err := hc.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			return res, err
		}
		b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		var tok struct {
			RefreshToken string `json:"refresh_token"`
		}
		if err := json.Unmarshal(b, &tok); err != nil || tok.RefreshToken == "" {
			return nil, fmt.Errorf("token response without a refresh token: %.200s", b)
		}
		current = tok.RefreshToken
		res.Body = io.NopCloser(bytes.NewReader(b))
		return res, nil
	}}
}

// cachedProbe marks p as one whose answer may come from memory.
func cachedProbe(p resProbe) resProbe {
	p.cached = true
	return p
}
