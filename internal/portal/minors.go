package portal

import (
	"net/http"

	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/resident"
)

// minorsView is the view of the minors page.
type minorsView struct {
	Minors []enrol.MinorView
}

// minorsPage serves GET /account/minors: the minors under the resident's
// guardianship, each with links to the pages of their account (the same
// pages, with the minor parameter). The minor sees every action and view
// of a guardian in their own history.
func (p *Portal) minorsPage(w http.ResponseWriter, r *http.Request, s *session) {
	ms, err := p.d.Residents.Minors(r.Context(), s.Session)
	if err != nil {
		p.failWith(w, r, s, "minors", err)
		return
	}
	// The page lists the guardian's own minors: it never acts for one.
	s.actor = selfOf(s)
	p.render(w, r, frame{status: http.StatusOK, page: "minors", title: m("minors.title"), sess: s, current: pathMinors},
		minorsView{Minors: ms})
}

// selfOf is the resident of s acting on their own account.
func selfOf(s *session) resident.Actor { return resident.Self(s.Session) }
