package admin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/keystore"
	"github.com/netid/netid/internal/httpapi/problem"
	"github.com/netid/netid/internal/throttle"
)

// AddrKeys computes the keyed hash of a client address that failed
// authentication is counted under, so that the throttle table holds no
// addresses; *keystore.Store implements it.
type AddrKeys interface {
	ActiveMAC(ctx context.Context, p keystore.Purpose, msg []byte) (id string, mac []byte, err error)
}

var _ AddrKeys = (*keystore.Store)(nil)

// DefaultFailureLimit is how many failed authentications an address may
// make before the admin API answers it 429: 10 in 15 minutes, counted in
// the store across every node. Admin tokens are 256-bit random values, so
// the limit does not protect them from guessing; it keeps a scanner or a
// misconfigured client from filling logs and loading the store, and makes
// an attack visible.
var DefaultFailureLimit = throttle.Limit{Scope: "admin-auth", Max: 10, Window: 15 * time.Minute}

// addrDomain separates the throttle keys from other uses of the MAC key.
const addrDomain = "netid/admin/auth-failures/v1\x00"

// API is the admin API: relying parties, certificate revocation, lawful
// access, statistics and the audit trail, behind admin tokens. Serve it on
// its own listener (serve --admin-addr), never on the public one.
type API struct {
	svc      *Service
	failures *throttle.Limiter
	keys     AddrKeys
	log      *slog.Logger
}

// APIOption configures an API.
type APIOption func(*apiOptions)

type apiOptions struct {
	limit throttle.Limit
	now   func() time.Time
	log   *slog.Logger
}

// WithFailureLimit replaces DefaultFailureLimit.
func WithFailureLimit(l throttle.Limit) APIOption { return func(o *apiOptions) { o.limit = l } }

// WithAPIClock makes the failure throttle read the time from now.
func WithAPIClock(now func() time.Time) APIOption { return func(o *apiOptions) { o.now = now } }

// WithAPILogger sets the logger of authentication failures.
func WithAPILogger(l *slog.Logger) APIOption { return func(o *apiOptions) { o.log = l } }

// NewAPI returns the admin API over svc, counting failed authentications
// in th under keyed hashes of the client address.
func NewAPI(svc *Service, th throttle.Store, keys AddrKeys, opts ...APIOption) (*API, error) {
	o := apiOptions{limit: DefaultFailureLimit, now: time.Now, log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if svc == nil || th == nil || keys == nil {
		return nil, errors.New("admin: NewAPI needs a Service, a throttle store and keys")
	}
	lim, err := throttle.NewLimiter(th, o.limit, throttle.WithClock(o.now))
	if err != nil {
		return nil, err
	}
	return &API{svc: svc, failures: lim, keys: keys, log: o.log}, nil
}

// Routes returns the API's routes as net/http.ServeMux patterns, for
// httpapi.Server.Handle:
//
//	GET  /admin/v1/whoami                                  the token's name and id
//	GET  /admin/v1/rps                                     relying parties (?after=&limit=)
//	POST /admin/v1/rps                                     register one
//	GET  /admin/v1/rps/{id}                                one relying party
//	PUT  /admin/v1/rps/{id}                                replace its registration
//	POST /admin/v1/rps/{id}/suspend                        suspend it
//	POST /admin/v1/rps/{id}/activate                       activate it
//	POST /admin/v1/rps/{id}/rotate-secret                  new client secret
//	POST /admin/v1/certificates/{serial}/revoke            revoke a certificate
//	POST /admin/v1/residents/{number}/certificates/revoke  revoke every certificate of an internet number
//	POST /admin/v1/lawful-access                           record a lawful access, disclose the identity
//	GET  /admin/v1/stats                                   statistics (?from=&to=, days)
//	GET  /admin/v1/audit                                   the audit trail (?since=&limit=)
func (a *API) Routes() map[string]http.Handler {
	h := func(fn func(http.ResponseWriter, *http.Request, Actor) error) http.Handler {
		return a.authenticated(fn)
	}
	return map[string]http.Handler{
		"GET /admin/v1/whoami":                                  h(a.whoami),
		"GET /admin/v1/rps":                                     h(a.listRPs),
		"POST /admin/v1/rps":                                    h(a.createRP),
		"GET /admin/v1/rps/{id}":                                h(a.getRP),
		"PUT /admin/v1/rps/{id}":                                h(a.updateRP),
		"POST /admin/v1/rps/{id}/suspend":                       h(a.suspendRP),
		"POST /admin/v1/rps/{id}/activate":                      h(a.activateRP),
		"POST /admin/v1/rps/{id}/rotate-secret":                 h(a.rotateSecret),
		"POST /admin/v1/certificates/{serial}/revoke":           h(a.revokeCertificate),
		"POST /admin/v1/residents/{number}/certificates/revoke": h(a.revokeAll),
		"POST /admin/v1/lawful-access":                          h(a.lawfulAccess),
		"GET /admin/v1/stats":                                   h(a.stats),
		"GET /admin/v1/audit":                                   h(a.audit),
	}
}

// authenticated wraps an admin handler: it authenticates the bearer token,
// throttles the failures of each client address, and renders the
// handler's error as a problem.
func (a *API) authenticated(fn func(http.ResponseWriter, *http.Request, Actor) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, err := a.authenticate(r)
		if err != nil {
			a.refuse(w, r, err)
			return
		}
		// Actions take their input from the path and the body only.
		if r.Method != http.MethodGet && r.URL.RawQuery != "" {
			a.writeError(w, r, badRequest("%s %s takes no query parameters", r.Method, r.URL.Path))
			return
		}
		if err := fn(w, r, actor); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// authenticate returns the actor of r's bearer token.
func (a *API) authenticate(r *http.Request) (Actor, error) {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return Actor{}, fmt.Errorf("%w: want one Authorization header, got %d", ErrUnauthorized, len(vals))
	}
	scheme, token, _ := strings.Cut(vals[0], " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Actor{}, fmt.Errorf("%w: not a bearer token", ErrUnauthorized)
	}
	return a.svc.Authenticate(r.Context(), token)
}

// refuse answers a failed authentication: 401, or 429 once the client
// address has failed too often (the failure counts either way). A store
// error is a 503 or 500 as usual.
func (a *API) refuse(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	if !errors.Is(err, ErrUnauthorized) {
		problem.WriteError(w, r, a.log, err)
		return
	}
	addr := problem.ClientAddrFrom(ctx)
	a.log.WarnContext(ctx, "admin API authentication failed", "client", addr, "reason", err)
	key, kerr := a.addrKey(ctx, addr)
	if kerr != nil {
		problem.WriteError(w, r, a.log, kerr)
		return
	}
	ok, retry, terr := a.failures.Allow(ctx, key)
	if terr != nil {
		problem.WriteError(w, r, a.log, terr)
		return
	}
	if !ok {
		secs := int((retry + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		problem.Write(w, r, problem.New(http.StatusTooManyRequests, "throttled",
			fmt.Sprintf("too many failed authentications from this address; retry in %d s", secs)))
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="netid-admin", error="invalid_token"`)
	problem.Write(w, r, problem.New(http.StatusUnauthorized, "unauthorized",
		"this request needs a valid admin token: send it as Authorization: Bearer <token> (netid admin token create)"))
}

// addrKey is the throttle key of a client address: a MAC under the active
// blind-index key, so that the store holds no addresses.
func (a *API) addrKey(ctx context.Context, addr string) (string, error) {
	if addr == "" {
		addr = "unknown"
	}
	_, mac, err := a.keys.ActiveMAC(ctx, keystore.BlindIndex, []byte(addrDomain+addr))
	if err != nil {
		return "", fmt.Errorf("admin: throttle key: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(mac), nil
}

// writeError renders an action's error with the status of its class.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var p *problem.Problem
	if errors.As(err, &p) {
		problem.WriteError(w, r, a.log, err)
		return
	}
	detail := err.Error()
	switch OutcomeOf(err) {
	case OutcomeInvalid:
		problem.WriteError(w, r, a.log, problem.New(http.StatusBadRequest, "invalid-request", cleanDetail(detail)))
	case OutcomeNotFound:
		problem.WriteError(w, r, a.log, problem.New(http.StatusNotFound, "not-found", cleanDetail(detail)))
	case OutcomeConflict:
		problem.WriteError(w, r, a.log, problem.New(http.StatusConflict, "conflict", cleanDetail(detail)))
	case OutcomeGone:
		problem.WriteError(w, r, a.log, problem.New(http.StatusGone, "resident-erased",
			"the resident's data was erased: there is no identity to disclose"))
	default:
		// Unavailable (503) or internal (500): httpapi logs the cause and
		// answers without it.
		problem.WriteError(w, r, a.log, err)
	}
}

// cleanDetail turns a refusal's error chain into a client's detail: the
// rules broken, one per line joined by "; ", without the package prefixes
// of the sentinels.
func cleanDetail(s string) string {
	var parts []string
	for _, line := range strings.Split(s, "\n") {
		for _, prefix := range []string{ErrInvalid.Error() + ": ", ErrNotFound.Error() + ": ", "rp: invalid registration: "} {
			line = strings.ReplaceAll(line, prefix, "")
		}
		if line = strings.TrimSpace(line); line != "" {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, "; ")
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// The status is sent: an encoding failure (a client gone) cannot be
	// answered any more, and the action it reports has happened.
	_ = json.NewEncoder(w).Encode(v)
	return nil
}

// query returns r's query parameters, refusing any not in allowed and any
// given twice: a misspelt parameter silently ignored would answer another
// question than the one asked.
func query(r *http.Request, allowed ...string) (map[string]string, error) {
	vals, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("the query string is malformed")
	}
	out := map[string]string{}
	for k, v := range vals {
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		switch {
		case !known:
			return nil, badRequest("unknown query parameter %q (allowed: %s)", k, strings.Join(allowed, ", "))
		case len(v) > 1:
			return nil, badRequest("query parameter %q is given %d times", k, len(v))
		}
		out[k] = v[0]
	}
	return out, nil
}

func (a *API) whoami(w http.ResponseWriter, r *http.Request, actor Actor) error {
	if _, err := query(r); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]string{"name": actor.Name, "token_id": actor.TokenID})
}

// reasonOf parses a revocation request's reason.
func reasonOf(r *http.Request) (credential.RevocationReason, error) {
	var req revokeRequest
	if err := decodeRequest(r, &req); err != nil {
		return 0, err
	}
	if req.Reason == "" {
		return 0, badRequest("reason is required: one of unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn")
	}
	reason, err := credential.ParseRevocationReason(req.Reason)
	if err != nil {
		return 0, badRequest("reason %q is not one of unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn", req.Reason)
	}
	return reason, nil
}

func (a *API) revokeCertificate(w http.ResponseWriter, r *http.Request, actor Actor) error {
	reason, err := reasonOf(r)
	if err != nil {
		return err
	}
	rec, err := a.svc.RevokeCertificate(r.Context(), actor, r.PathValue("serial"), reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ViewCertificate(rec))
}

func (a *API) revokeAll(w http.ResponseWriter, r *http.Request, actor Actor) error {
	reason, err := reasonOf(r)
	if err != nil {
		return err
	}
	n, err := a.svc.RevokeCertificatesOf(r.Context(), actor, r.PathValue("number"), reason)
	if err != nil {
		return err
	}
	num, _ := credential.ParseInternetNumber(r.PathValue("number"))
	return writeJSON(w, http.StatusOK, RevokedAll{InternetNumber: string(num), Revoked: n})
}

func (a *API) lawfulAccess(w http.ResponseWriter, r *http.Request, actor Actor) error {
	var req lawfulAccessRequest
	if err := decodeRequest(r, &req); err != nil {
		return err
	}
	if req.NoticeDelay == "" {
		return badRequest("notice_delay is required: a duration such as \"720h\", or \"0s\" for none")
	}
	delay, err := time.ParseDuration(req.NoticeDelay)
	if err != nil {
		return badRequest("notice_delay %q is not a duration such as \"720h\"", req.NoticeDelay)
	}
	res, err := a.svc.LawfulAccess(r.Context(), actor, LawfulAccessRequest{InternetNumber: req.InternetNumber,
		Authority: req.Authority, LegalBasis: req.LegalBasis, Ref: req.Ref, NoticeDelay: delay})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ViewLawfulAccess(res))
}

func (a *API) stats(w http.ResponseWriter, r *http.Request, _ Actor) error {
	q, err := query(r, "from", "to")
	if err != nil {
		return err
	}
	first, last, err := DayRange(q["from"], q["to"], a.svc.now())
	if err != nil {
		return err
	}
	st, err := a.svc.Stats(r.Context(), first, last)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

func (a *API) audit(w http.ResponseWriter, r *http.Request, _ Actor) error {
	q, err := query(r, "since", "limit")
	if err != nil {
		return err
	}
	since := time.Time{}
	if s := q["since"]; s != "" {
		if since, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return badRequest("since %q is not an RFC 3339 time such as 2025-07-15T00:00:00Z", s)
		}
	}
	limit := 1000
	if s := q["limit"]; s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 10000 {
			return badRequest("limit %q is not a number from 1 to 10000", s)
		}
	}
	recs, err := a.svc.Audit(r.Context(), since, limit)
	if err != nil {
		return err
	}
	views := make([]AuditView, len(recs))
	for i, rec := range recs {
		views[i] = ViewAudit(rec)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"records": views})
}
