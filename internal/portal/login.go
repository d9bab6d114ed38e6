package portal

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/password"
)

// loginView is the login page's view.
type loginView struct {
	CSRF, Next, Username string
	Error                *msg
}

// browserID returns the request's browser id (the cookie that binds the
// login form's CSRF token), setting a new one when there is none.
func (p *Portal) browserID(w http.ResponseWriter, r *http.Request) (string, error) {
	ctx := r.Context()
	id, err := readSigned(ctx, p.d.Keys, r, p.cookies.browser, browserDomain)
	if err != nil || id != "" {
		return id, err
	}
	if id, err = randomID(p.rand); err != nil {
		return "", err
	}
	v, err := signValue(ctx, p.d.Keys, browserDomain, id)
	if err != nil {
		return "", err
	}
	http.SetCookie(w, p.cookies.cookie(p.cookies.browser, v, time.Time{}, 0))
	return id, nil
}

// loginPage serves GET /account/login: the form, or the account for a
// resident signed in already.
func (p *Portal) loginPage(w http.ResponseWriter, r *http.Request) {
	s, err := p.sessionFrom(r)
	if err != nil {
		p.failInternal(w, r, nil, "session lookup", err)
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	if s != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	p.renderLogin(w, r, http.StatusOK, loginView{Next: next})
}

func (p *Portal) renderLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	browser, err := p.browserID(w, r)
	if err != nil {
		p.failInternal(w, r, nil, "browser cookie", err)
		return
	}
	if v.CSRF, err = csrfToken(r.Context(), p.d.Keys, csrfLogin, browser); err != nil {
		p.failInternal(w, r, nil, "csrf", err)
		return
	}
	p.render(w, r, frame{status: status, page: "login", title: m("login.title")}, v)
}

// login serves POST /account/login: it checks the password through the
// resident service (which throttles and honours locks), starts a session
// and sets its cookie. Any session the browser had is ended first: a
// login always gets a fresh session (no session fixation).
func (p *Portal) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, http.StatusBadRequest, nil, m("error.form"))
		return
	}
	ctx := r.Context()
	browser, err := readSigned(ctx, p.d.Keys, r, p.cookies.browser, browserDomain)
	if err != nil {
		p.failInternal(w, r, nil, "browser cookie", err)
		return
	}
	good, err := checkCSRF(ctx, p.d.Keys, r.PostFormValue("csrf"), csrfLogin, browser)
	if err != nil {
		p.failInternal(w, r, nil, "csrf", err)
		return
	}
	v := loginView{Next: safeNext(r.PostFormValue("next")), Username: strings.TrimSpace(r.PostFormValue("username"))}
	if len(v.Username) > 64 {
		v.Username = v.Username[:64]
	}
	if !good {
		v.Error = m("error.form_expired")
		p.renderLogin(w, r, http.StatusForbidden, v)
		return
	}
	if old, err := p.sessionFrom(r); err == nil && old != nil {
		if err := p.d.Residents.Logout(ctx, old.Session); err != nil {
			p.log.WarnContext(ctx, "portal: ending the previous session failed", "err", err)
		}
	}
	sess, err := p.d.Residents.Login(ctx, v.Username, r.PostFormValue("password"), p.clientAddr(r))
	var throttled *enrol.ThrottledError
	var locked *enrol.LockedError
	switch {
	case err == nil:
	case errors.Is(err, enrol.ErrBadCredentials):
		v.Error = m("login.bad_credentials")
		p.renderLogin(w, r, http.StatusBadRequest, v)
		return
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.FormatInt(throttled.RetryAfterSeconds(), 10))
		v.Error = m("login.throttled", throttled.RetryAfterSeconds())
		p.renderLogin(w, r, http.StatusTooManyRequests, v)
		return
	case errors.As(err, &locked):
		v.Error = m("login.method_locked")
		if locked.Method == enrol.MethodAccount {
			v.Error = m("login.locked")
		}
		p.renderLogin(w, r, http.StatusForbidden, v)
		return
	case errors.Is(err, enrol.ErrAccountPending):
		v.Error = m("login.pending")
		p.renderLogin(w, r, http.StatusForbidden, v)
		return
	case errors.Is(err, password.ErrBusy):
		w.Header().Set("Retry-After", "5")
		v.Error = m("login.busy")
		p.renderLogin(w, r, http.StatusServiceUnavailable, v)
		return
	default:
		p.failInternal(w, r, nil, "login", err)
		return
	}
	signed, err := signValue(ctx, p.d.Keys, sessionDomain, sess.Token)
	if err != nil {
		p.failInternal(w, r, nil, "session cookie", err)
		return
	}
	http.SetCookie(w, p.cookies.cookie(p.cookies.session, signed, sess.ExpiresAt, 0))
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

// logoutView is the logout page's view.
type logoutView struct {
	CSRF string
	Done bool
}

// logoutPage serves GET /account/logout: a button for a signed-in
// resident (a GET must not end a session: a link on any site could), or
// the notice that nobody is signed in.
func (p *Portal) logoutPage(w http.ResponseWriter, r *http.Request) {
	s, err := p.sessionFrom(r)
	if err != nil {
		p.failInternal(w, r, nil, "session lookup", err)
		return
	}
	if s == nil {
		p.render(w, r, frame{status: http.StatusOK, page: "logout", title: m("logout.title")}, logoutView{Done: true})
		return
	}
	token, err := s.csrf(r.Context(), p.d.Keys, csrfLogout)
	if err != nil {
		p.failInternal(w, r, s, "csrf", err)
		return
	}
	p.render(w, r, frame{status: http.StatusOK, page: "logout", title: m("logout.title"), sess: s}, logoutView{CSRF: token})
}

// logout serves POST /account/logout: it ends the session and clears the
// cookie.
func (p *Portal) logout(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, http.StatusBadRequest, nil, m("error.form"))
		return
	}
	s, err := p.sessionFrom(r)
	if err != nil {
		p.failInternal(w, r, nil, "session lookup", err)
		return
	}
	if s != nil {
		if !p.checkForm(w, r, s, csrfLogout) {
			return
		}
		if err := p.d.Residents.Logout(r.Context(), s.Session); err != nil {
			p.failInternal(w, r, s, "logout", err)
			return
		}
	}
	http.SetCookie(w, p.cookies.clear(p.cookies.session))
	p.render(w, r, frame{status: http.StatusOK, page: "logout", title: m("logout.title")}, logoutView{Done: true})
}
