package portal

import (
	"net/http"

	"github.com/netid/netid/internal/resident"
)

// consentsView is the view of the consents page.
type consentsView struct {
	Consents []resident.Consent
	CSRF     string
	Minor    string
}

// consentsPage serves GET /account/consents: the platforms with a
// consent the resident asked netid to remember or with live access (a
// refresh token from a consent given for one login), each with its
// withdrawal button.
func (p *Portal) consentsPage(w http.ResponseWriter, r *http.Request, s *session) {
	cs, err := p.d.Residents.Consents(r.Context(), s.actor)
	if err != nil {
		p.failWith(w, r, s, "consents", err)
		return
	}
	v := consentsView{Consents: cs, Minor: minorOf(s)}
	if v.CSRF, err = s.csrf(r.Context(), p.d.Keys, csrfWithdraw); err != nil {
		p.failInternal(w, r, s, "csrf", err)
		return
	}
	p.render(w, r, frame{status: http.StatusOK, page: "consents", title: m("consents.title"), sess: s, current: pathConsents}, v)
}

// withdrawConsent serves POST /account/consents: one click withdraws the
// consent given to platform client_id, remembered or not. The resident
// service forgets it and revokes the platform's grants, and with them its access and refresh
// tokens, and logs the withdrawal, in one transaction.
func (p *Portal) withdrawConsent(w http.ResponseWriter, r *http.Request, s *session) {
	if !p.checkForm(w, r, s, csrfWithdraw) {
		return
	}
	if err := p.d.Residents.WithdrawConsent(r.Context(), s.actor, r.PostFormValue("client_id")); err != nil {
		p.failWith(w, r, s, "withdraw consent", err)
		return
	}
	p.done(w, r, s, pathConsents, m("flash.consent_withdrawn"))
}

// minorOf is the id of the minor s acts for, "" for the resident's own
// account: the forms carry it back.
func minorOf(s *session) string {
	if s.actor.Guardian() {
		return s.actor.SubjectID
	}
	return ""
}
