package portal

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/resident"
)

// certificatesView is the view of the certificates page.
type certificatesView struct {
	Certificates []resident.Certificate
	Minor        string
}

// certificatesPage serves GET /account/certificates: every internet
// certificate issued to the account, with a link to revoke each valid
// one.
func (p *Portal) certificatesPage(w http.ResponseWriter, r *http.Request, s *session) {
	cs, err := p.d.Residents.Certificates(r.Context(), s.actor)
	if err != nil {
		p.failWith(w, r, s, "certificates", err)
		return
	}
	// Newest first: the one in use is what the resident looks for.
	slices.Reverse(cs)
	p.render(w, r, frame{status: http.StatusOK, page: "certificates", title: m("certificates.title"), sess: s,
		current: pathCertificates}, certificatesView{Certificates: cs, Minor: minorOf(s)})
}

// revokeView is the view of the revocation's confirmation page.
type revokeView struct {
	Certificate resident.Certificate
	Reasons     []option
	CSRF, Minor string
}

// revokePage serves GET /account/certificates/revoke?serial=: the
// confirmation, with the reason to give. Revocation cannot be undone, so
// it is never one click.
func (p *Portal) revokePage(w http.ResponseWriter, r *http.Request, s *session) {
	serial := r.URL.Query().Get("serial")
	cs, err := p.d.Residents.Certificates(r.Context(), s.actor)
	if err != nil {
		p.failWith(w, r, s, "certificates", err)
		return
	}
	i := slices.IndexFunc(cs, func(c resident.Certificate) bool { return c.Serial == serial })
	if i < 0 {
		p.fail(w, r, http.StatusNotFound, s, m("error.no_such_item"))
		return
	}
	if cs[i].Status == "revoked" {
		p.fail(w, r, http.StatusConflict, s, m("certificates.already_revoked"))
		return
	}
	v := revokeView{Certificate: cs[i], Minor: minorOf(s)}
	if v.CSRF, err = s.csrf(r.Context(), p.d.Keys, csrfRevoke); err != nil {
		p.failInternal(w, r, s, "csrf", err)
		return
	}
	tr := newTranslator(p.lang(r))
	for i, reason := range resident.ResidentReasons {
		v.Reasons = append(v.Reasons, option{Value: strconv.Itoa(int(reason)),
			Label: tr.text("reason." + reason.String()), Selected: i == 0})
	}
	p.render(w, r, frame{status: http.StatusOK, page: "revoke", title: m("revoke.title"), sess: s, current: pathCertificates}, v)
}

// revoke serves POST /account/certificates/revoke: the confirmed
// revocation. The CA records it, and the transparency log with it.
func (p *Portal) revoke(w http.ResponseWriter, r *http.Request, s *session) {
	if !p.checkForm(w, r, s, csrfRevoke) {
		return
	}
	n, err := strconv.Atoi(r.PostFormValue("reason"))
	reason := credential.RevocationReason(n)
	if err != nil || !slices.Contains(resident.ResidentReasons, reason) {
		p.fail(w, r, http.StatusBadRequest, s, m("revoke.bad_reason"))
		return
	}
	err = p.d.Residents.RevokeCertificate(r.Context(), s.actor, r.PostFormValue("serial"), reason)
	if errors.Is(err, resident.ErrAlreadyRevoked) {
		p.fail(w, r, http.StatusConflict, s, m("certificates.already_revoked"))
		return
	}
	if err != nil {
		p.failWith(w, r, s, "revoke certificate", err)
		return
	}
	p.done(w, r, s, pathCertificates, m("flash.certificate_revoked"))
}
