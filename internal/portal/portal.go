package portal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/resident"
)

// The portal's paths.
const (
	pathAccount      = "/account"
	pathLogin        = "/account/login"
	pathLogout       = "/account/logout"
	pathDisclosures  = "/account/disclosures"
	pathHistory      = "/account/history"
	pathHistoryJSON  = "/account/history.json"
	pathConsents     = "/account/consents"
	pathCertificates = "/account/certificates"
	pathRevoke       = "/account/certificates/revoke"
	pathLocks        = "/account/locks"
	pathExport       = "/account/export"
	pathDelete       = "/account/delete"
	pathMinors       = "/account/minors"
)

// Residents is what the portal needs of the resident service: signing in
// and out, and every right over an account, for the resident's own
// (resident.Self) or, for a guardian, a minor's (ForMinor).
// *resident.Service implements it.
type Residents interface {
	Login(ctx context.Context, username, password, addr string) (resident.Session, error)
	SessionFor(ctx context.Context, token string) (resident.Session, error)
	Logout(ctx context.Context, sess resident.Session) error
	ForMinor(ctx context.Context, sess resident.Session, minorID string) (resident.Actor, error)
	Minors(ctx context.Context, sess resident.Session) ([]enrol.MinorView, error)

	Data(ctx context.Context, a resident.Actor) (enrol.Held, error)
	Disclosures(ctx context.Context, a resident.Actor, f resident.DisclosureFilter) (resident.DisclosurePage, error)
	Consents(ctx context.Context, a resident.Actor) ([]resident.Consent, error)
	WithdrawConsent(ctx context.Context, a resident.Actor, clientID string) error
	Certificates(ctx context.Context, a resident.Actor) ([]resident.Certificate, error)
	RevokeCertificate(ctx context.Context, a resident.Actor, serial string, reason credential.RevocationReason) error
	Locks(ctx context.Context, a resident.Actor) (enrol.Locks, error)
	Lock(ctx context.Context, a resident.Actor, m enrol.Method) error
	Unlock(ctx context.Context, a resident.Actor, m enrol.Method) error
	History(ctx context.Context, sess resident.Session, q resident.HistoryQuery) (resident.History, error)
	Delete(ctx context.Context, sess resident.Session, req resident.DeleteRequest, addr string) (enrol.Erased, error)

	// Routes are the resident API's routes: the portal's JSON downloads
	// (history, export) are its answers.
	Routes() map[string]http.Handler
}

var _ Residents = (*resident.Service)(nil)

// Config configures the portal.
type Config struct {
	// Secure marks the cookies Secure and gives them the __Host- prefix:
	// set it when the service is reached over https (the issuer's scheme).
	Secure bool
	// Location is the time zone times are shown in (default UTC).
	Location *time.Location
}

// Deps are the portal's dependencies; all but Platforms are required.
type Deps struct {
	Residents Residents
	Keys      Keys
	// Log verifies the history's proofs.
	Log Log
	// Platforms names platforms in the history (optional).
	Platforms Platforms
}

// Option configures a Portal.
type Option func(*Portal)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(p *Portal) { p.log = l } }

// WithRand sets the source of browser ids (default crypto/rand).
func WithRand(r io.Reader) Option { return func(p *Portal) { p.rand = r } }

// WithClientAddr sets how the portal learns a request's client address,
// which sign-ins are throttled by. The default is the host of
// Request.RemoteAddr; behind netid's HTTP stack pass
// httpapi.ClientAddrFrom on the request's context.
func WithClientAddr(f func(*http.Request) string) Option { return func(p *Portal) { p.clientAddr = f } }

// Portal serves the resident's account pages under /account: HTML forms
// that need no JavaScript, in English and Simplified Chinese, over the
// resident service.
type Portal struct {
	cfg        Config
	d          Deps
	log        *slog.Logger
	rand       io.Reader
	clientAddr func(*http.Request) string
	pages      pages
	cookies    cookieJar
	// apiHistory and apiExport are the resident API's handlers of the
	// JSON downloads.
	apiHistory, apiExport http.Handler
}

// New returns a Portal. It reports every missing dependency at once.
func New(cfg Config, d Deps, opts ...Option) (*Portal, error) {
	var errs []error
	if d.Residents == nil {
		errs = append(errs, errors.New("portal: missing dependency Residents"))
	}
	if d.Keys == nil {
		errs = append(errs, errors.New("portal: missing dependency Keys"))
	}
	if d.Log == nil {
		errs = append(errs, errors.New("portal: missing dependency Log"))
	}
	var api map[string]http.Handler
	if d.Residents != nil {
		api = d.Residents.Routes()
		for _, pattern := range []string{apiHistoryPattern, apiExportPattern} {
			if api[pattern] == nil {
				errs = append(errs, fmt.Errorf("portal: the resident API has no route %q", pattern))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	ps, err := newPages()
	if err != nil {
		return nil, err
	}
	p := &Portal{cfg: cfg, d: d, log: slog.Default(), rand: rand.Reader, clientAddr: remoteHost, pages: ps,
		cookies: newCookieJar(cfg.Secure), apiHistory: api[apiHistoryPattern], apiExport: api[apiExportPattern]}
	for _, o := range opts {
		o(p)
	}
	return p, nil
}

// remoteHost is the default client address: the host of RemoteAddr.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Routes returns the portal's routes, as net/http.ServeMux patterns.
func (p *Portal) Routes() map[string]http.Handler {
	h := func(f http.HandlerFunc) http.Handler { return f }
	return map[string]http.Handler{
		"GET " + pathLogin:        h(p.loginPage),
		"POST " + pathLogin:       h(p.login),
		"GET " + pathLogout:       h(p.logoutPage),
		"POST " + pathLogout:      h(p.logout),
		"GET " + pathAccount:      p.authed(p.dataPage),
		"GET " + pathDisclosures:  p.authed(p.disclosuresPage),
		"GET " + pathConsents:     p.authed(p.consentsPage),
		"POST " + pathConsents:    p.authed(p.withdrawConsent),
		"GET " + pathCertificates: p.authed(p.certificatesPage),
		"GET " + pathRevoke:       p.authed(p.revokePage),
		"POST " + pathRevoke:      p.authed(p.revoke),
		"GET " + pathLocks:        p.authed(p.locksPage),
		"POST " + pathLocks:       p.authed(p.setLock),
		"GET " + pathMinors:       p.authed(p.minorsPage),
		"GET " + pathHistory:      p.authed(p.historyPage),
		"GET " + pathHistoryJSON:  p.authed(p.historyJSON),
		"GET " + pathExport:       p.authed(p.exportPage),
		"POST " + pathExport:      p.authed(p.export),
		"GET " + pathDelete:       p.authed(p.deletePage),
		"POST " + pathDelete:      p.authed(p.deleteAccount),
		"GET " + pathAccount + "/{$}": h(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, pathAccount, http.StatusMovedPermanently)
		}),
	}
}

// session is a signed-in resident, as a page handler sees them.
type session struct {
	resident.Session
	// token is the session's bearer value, from the cookie: the CSRF
	// tokens of the session's forms are bound to it.
	token string
	// actor is who the page acts for: the resident, or a minor of theirs
	// (the minor parameter).
	actor resident.Actor
}

// csrf returns the session's CSRF token for a form of purpose.
func (s *session) csrf(ctx context.Context, keys Keys, purpose string) (string, error) {
	return csrfToken(ctx, keys, purpose, s.token)
}

// The purposes of the CSRF tokens: a token of one form is no good for
// another.
const (
	csrfLogin    = "login"
	csrfLogout   = "logout"
	csrfWithdraw = "withdraw"
	csrfRevoke   = "revoke"
	csrfLock     = "lock"
	csrfExport   = "export"
	csrfDelete   = "delete"
)

// sessionFrom returns the session of the request's cookie, nil when there
// is none (no cookie, a cookie that does not verify, an ended session).
func (p *Portal) sessionFrom(r *http.Request) (*session, error) {
	ctx := r.Context()
	token, err := readSigned(ctx, p.d.Keys, r, p.cookies.session, sessionDomain)
	if err != nil || token == "" {
		return nil, err
	}
	s, err := p.d.Residents.SessionFor(ctx, token)
	if errors.Is(err, resident.ErrUnauthenticated) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &session{Session: s, token: token, actor: resident.Self(s)}, nil
}

// authedHandler is a page handler for a signed-in resident.
type authedHandler func(w http.ResponseWriter, r *http.Request, s *session)

// authed wraps a page for signed-in residents: without a session, a GET
// goes to the login page (and comes back after it), a POST gets the
// login page's error. For a guardian, the minor parameter (query or form)
// makes the page act on that minor's account; the resident service checks
// the guardianship at every call.
func (p *Portal) authed(h authedHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				p.fail(w, r, http.StatusBadRequest, nil, m("error.form"))
				return
			}
		}
		s, err := p.sessionFrom(r)
		if err != nil {
			p.failInternal(w, r, nil, "session lookup", err)
			return
		}
		if s == nil {
			http.SetCookie(w, p.cookies.clear(p.cookies.session))
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				p.fail(w, r, http.StatusUnauthorized, nil, m("error.signed_out"))
				return
			}
			http.Redirect(w, r, pathLogin+"?"+url.Values{"next": {r.URL.RequestURI()}}.Encode(), http.StatusSeeOther)
			return
		}
		if minor := r.FormValue("minor"); minor != "" {
			a, err := p.d.Residents.ForMinor(r.Context(), s.Session, minor)
			if errors.Is(err, resident.ErrNotFound) {
				p.fail(w, r, http.StatusNotFound, s, m("error.not_guardian"))
				return
			}
			if err != nil {
				p.failInternal(w, r, s, "guardianship", err)
				return
			}
			s.actor = a
		}
		h(w, r, s)
	})
}

// checkForm checks the CSRF token of a POSTed form (parsed by authed)
// for purpose; on failure it renders the error page and returns false.
func (p *Portal) checkForm(w http.ResponseWriter, r *http.Request, s *session, purpose string) bool {
	ok, err := checkCSRF(r.Context(), p.d.Keys, r.PostFormValue("csrf"), purpose, s.token)
	if err != nil {
		p.failInternal(w, r, s, "csrf", err)
		return false
	}
	if !ok {
		p.fail(w, r, http.StatusForbidden, s, m("error.form_expired"))
		return false
	}
	return true
}

// withMinor adds the minor parameter of s's actor to a path, so that links
// and redirects stay on the minor's account.
func withMinor(path string, s *session) string {
	if s == nil || !s.actor.Guardian() {
		return path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + url.Values{"minor": {s.actor.SubjectID}}.Encode()
}

// done redirects after a successful POST to path (on the same account),
// with a flash message for the page it lands on.
func (p *Portal) done(w http.ResponseWriter, r *http.Request, s *session, path string, flash *msg) {
	if flash != nil {
		if err := p.setFlash(w, r, flash.Key); err != nil {
			p.log.WarnContext(r.Context(), "portal: flash message not set", "err", err)
		}
	}
	http.Redirect(w, r, withMinor(path, s), http.StatusSeeOther)
}

// flashes are the messages a redirect may carry: the flash cookie names a
// key, and only these keys are shown.
var flashes = map[string]bool{
	"flash.consent_withdrawn": true, "flash.certificate_revoked": true, "flash.locked": true,
	"flash.unlocked": true,
}

// setFlash sets the flash cookie to key, signed, for one minute.
func (p *Portal) setFlash(w http.ResponseWriter, r *http.Request, key string) error {
	v, err := signValue(r.Context(), p.d.Keys, flashDomain, key)
	if err != nil {
		return err
	}
	http.SetCookie(w, p.cookies.cookie(p.cookies.flash, v, time.Time{}, 60))
	return nil
}

// takeFlash returns the flash message of the request and clears it.
func (p *Portal) takeFlash(w http.ResponseWriter, r *http.Request) *msg {
	if _, err := r.Cookie(p.cookies.flash); err != nil {
		return nil
	}
	http.SetCookie(w, p.cookies.clear(p.cookies.flash))
	key, err := readSigned(r.Context(), p.d.Keys, r, p.cookies.flash, flashDomain)
	if err != nil || !flashes[key] {
		return nil
	}
	return m(key)
}

// safeNext returns next if it is a path of the portal to come back to
// after login, else the account page: never another site (an open
// redirect would lend netid's name to phishing).
func safeNext(next string) string {
	if next == "" || len(next) > 512 || !strings.HasPrefix(next, pathAccount) ||
		strings.ContainsAny(next, "\\\r\n\t") || strings.HasPrefix(next, pathLogin) || strings.HasPrefix(next, pathLogout) {
		return pathAccount
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		(u.Path != pathAccount && !strings.HasPrefix(u.Path, pathAccount+"/")) ||
		// No dot segments, plain or encoded: the browser would resolve
		// them out of the portal.
		path.Clean(u.Path) != u.Path || strings.Contains(u.Path, "..") {
		return pathAccount
	}
	return u.RequestURI()
}

// errorStatus maps the errors of the resident service a page may meet to
// a status and message; ok is false for an internal error.
func errorStatus(err error) (status int, message *msg, ok bool) {
	var throttled *enrol.ThrottledError
	switch {
	case errors.Is(err, resident.ErrNotFound):
		return http.StatusNotFound, m("error.no_such_item"), true
	case errors.Is(err, resident.ErrInvalidRequest):
		return http.StatusBadRequest, m("error.invalid"), true
	case errors.Is(err, resident.ErrUnauthenticated):
		return http.StatusUnauthorized, m("error.signed_out"), true
	case errors.As(err, &throttled):
		return http.StatusTooManyRequests, m("login.throttled", throttled.RetryAfterSeconds()), true
	}
	return 0, nil, false
}

// failWith renders the error page for an error of the resident service.
func (p *Portal) failWith(w http.ResponseWriter, r *http.Request, s *session, op string, err error) {
	if status, message, ok := errorStatus(err); ok {
		p.fail(w, r, status, s, message)
		return
	}
	p.failInternal(w, r, s, op, err)
}

// formatSerial is a certificate serial for reading aloud: hexadecimal in
// groups of four.
func formatSerial(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}
