package portal

import (
	"net/http"
	"time"

	"github.com/netid/netid/internal/enrol"
)

// lockRow is one method on the locks page.
type lockRow struct {
	Method enrol.Method
	Locked bool
	Since  time.Time
	// SignsOut says that locking it ends this password session: the
	// portal's password sign-in is what it locks.
	SignsOut bool
}

// locksView is the view of the locks page.
type locksView struct {
	Rows        []lockRow
	CSRF, Minor string
	// Password says the session was opened with a password, which a
	// password or account lock ends at once.
	Password bool
}

// locksPage serves GET /account/locks: each sign-in method and the
// whole account, locked or not, with a button to change it.
func (p *Portal) locksPage(w http.ResponseWriter, r *http.Request, s *session) {
	locks, err := p.d.Residents.Locks(r.Context(), s.actor)
	if err != nil {
		p.failWith(w, r, s, "locks", err)
		return
	}
	v := locksView{Minor: minorOf(s), Password: s.Method == "password" && !s.actor.Guardian()}
	for _, meth := range enrol.Methods() {
		since, locked := locks.Since(meth)
		v.Rows = append(v.Rows, lockRow{Method: meth, Locked: locked, Since: since,
			SignsOut: v.Password && (meth == enrol.MethodPassword || meth == enrol.MethodAccount)})
	}
	if v.CSRF, err = s.csrf(r.Context(), p.d.Keys, csrfLock); err != nil {
		p.failInternal(w, r, s, "csrf", err)
		return
	}
	p.render(w, r, frame{status: http.StatusOK, page: "locks", title: m("locks.title"), sess: s, current: pathLocks}, v)
}

// setLock serves POST /account/locks: method and action (lock or
// unlock). A lock that ends this session (the password or the account,
// for a password session) lands on the login page, which says why the
// password no longer works.
func (p *Portal) setLock(w http.ResponseWriter, r *http.Request, s *session) {
	if !p.checkForm(w, r, s, csrfLock) {
		return
	}
	meth, err := enrol.ParseMethod(r.PostFormValue("method"))
	if err != nil {
		p.fail(w, r, http.StatusBadRequest, s, m("locks.bad_method"))
		return
	}
	var flash *msg
	switch r.PostFormValue("action") {
	case "lock":
		err, flash = p.d.Residents.Lock(r.Context(), s.actor, meth), m("flash.locked")
	case "unlock":
		err, flash = p.d.Residents.Unlock(r.Context(), s.actor, meth), m("flash.unlocked")
	default:
		p.fail(w, r, http.StatusBadRequest, s, m("locks.bad_action"))
		return
	}
	if err != nil {
		p.failWith(w, r, s, "lock", err)
		return
	}
	p.done(w, r, s, pathLocks, flash)
}
