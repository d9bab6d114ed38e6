package portal

import (
	"net/http"
	"net/url"
)

// exportView is the view of the export page.
type exportView struct {
	CSRF     string
	Guardian bool
}

// exportPage serves GET /account/export: what the export holds, and the
// button that downloads it.
func (p *Portal) exportPage(w http.ResponseWriter, r *http.Request, s *session) {
	v := exportView{Guardian: s.actor.Guardian()}
	var err error
	if v.CSRF, err = s.csrf(r.Context(), p.d.Keys, csrfExport); err != nil {
		p.failInternal(w, r, s, "csrf", err)
		return
	}
	p.render(w, r, frame{status: http.StatusOK, page: "export", title: m("export.title"), sess: s, current: pathExport}, v)
}

// export serves POST /account/export: everything netid holds about the
// resident as one JSON file (the resident API's export, which records a
// data-exported event in the log). It is a POST, with a CSRF token,
// because gathering it writes to the log and no other site may make a
// browser do that.
func (p *Portal) export(w http.ResponseWriter, r *http.Request, s *session) {
	if !p.checkForm(w, r, s, csrfExport) {
		return
	}
	if s.actor.Guardian() {
		p.fail(w, r, http.StatusForbidden, s, m("export.guardian"))
		return
	}
	p.fromAPI(w, r, s, p.apiExport, url.Values{}, "netid-export-"+string(s.InternetNumber)+".json")
}
