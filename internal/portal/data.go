package portal

import (
	"net/http"

	"github.com/netid/netid/internal/enrol"
)

// dataView is the view of the account page: what netid holds about the
// resident (or the minor), opened for them.
type dataView struct {
	Held     enrol.Held
	Guardian bool
}

// dataPage serves GET /account: the data netid holds, decrypted for the
// resident's eyes only (the resident service opens the sealed fields on
// this request and keeps nothing in the clear).
func (p *Portal) dataPage(w http.ResponseWriter, r *http.Request, s *session) {
	h, err := p.d.Residents.Data(r.Context(), s.actor)
	if err != nil {
		p.failWith(w, r, s, "data", err)
		return
	}
	p.render(w, r, frame{status: http.StatusOK, page: "data", title: m("data.title"), sess: s, current: pathAccount},
		dataView{Held: h, Guardian: s.actor.Guardian()})
}
