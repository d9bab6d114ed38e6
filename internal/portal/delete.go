package portal

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/password"
	"github.com/netid/netid/internal/resident"
)

// deleteView is the view of the deletion page.
type deleteView struct {
	CSRF     string
	Number   string
	Guardian bool
	Error    *msg
	// Erased is set once the account is deleted.
	Erased *enrol.Erased
}

// deletePage serves GET /account/delete: what deletion does, and the
// form that confirms it with the internet number and the password.
func (p *Portal) deletePage(w http.ResponseWriter, r *http.Request, s *session) {
	p.renderDelete(w, r, s, http.StatusOK, nil)
}

func (p *Portal) renderDelete(w http.ResponseWriter, r *http.Request, s *session, status int, e *msg) {
	v := deleteView{Number: string(s.InternetNumber), Guardian: s.actor.Guardian(), Error: e}
	var err error
	if v.CSRF, err = s.csrf(r.Context(), p.d.Keys, csrfDelete); err != nil {
		p.failInternal(w, r, s, "csrf", err)
		return
	}
	p.render(w, r, frame{status: status, page: "delete", title: m("delete.title"), sess: s, current: pathDelete}, v)
}

// deleteAccount serves POST /account/delete: with the internet number
// typed again and the password, the resident service deletes the
// account (certificates and tokens revoked, data key destroyed, number
// retired) and every session with it; the page then says what happened,
// signed out.
func (p *Portal) deleteAccount(w http.ResponseWriter, r *http.Request, s *session) {
	if !p.checkForm(w, r, s, csrfDelete) {
		return
	}
	if s.actor.Guardian() {
		p.fail(w, r, http.StatusForbidden, s, m("delete.guardian"))
		return
	}
	req := resident.DeleteRequest{Confirm: strings.ToUpper(strings.TrimSpace(r.PostFormValue("confirm"))),
		Password: r.PostFormValue("password")}
	if req.Password == "" {
		p.renderDelete(w, r, s, http.StatusBadRequest, m("delete.need_password"))
		return
	}
	erased, err := p.d.Residents.Delete(r.Context(), s.Session, req, p.clientAddr(r))
	var throttled *enrol.ThrottledError
	switch {
	case err == nil:
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.FormatInt(throttled.RetryAfterSeconds(), 10))
		p.renderDelete(w, r, s, http.StatusTooManyRequests, m("login.throttled", throttled.RetryAfterSeconds()))
		return
	case errors.Is(err, resident.ErrConfirmation):
		p.renderDelete(w, r, s, http.StatusBadRequest, m("delete.not_confirmed"))
		return
	case errors.Is(err, password.ErrBusy):
		w.Header().Set("Retry-After", "5")
		p.renderDelete(w, r, s, http.StatusServiceUnavailable, m("login.busy"))
		return
	default:
		p.failWith(w, r, s, "delete", err)
		return
	}
	http.SetCookie(w, p.cookies.clear(p.cookies.session))
	p.render(w, r, frame{status: http.StatusOK, page: "delete", title: m("delete.done_title")}, deleteView{Erased: &erased})
}
