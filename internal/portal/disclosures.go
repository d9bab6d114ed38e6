package portal

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/netid/netid/internal/resident"
	"github.com/netid/netid/internal/rp"
)

// disclosuresPageSize is how many disclosures one page lists.
const disclosuresPageSize = 50

// option is one choice of a <select>.
type option struct {
	Value, Label string
	Selected     bool
}

// disclosuresView is the view of the disclosures page.
type disclosuresView struct {
	// The filters as the form shows them.
	Platform, Claim, From, To string
	Platforms                 []option
	Claims                    []option
	Minor                     string
	Error                     *msg
	Rows                      []resident.Disclosure
	// Older is the link to the next (older) page, "" on the last.
	Older string
}

// dateLayout is how <input type="date"> sends a date.
const dateLayout = "2006-01-02"

// parseFilter reads the filters of the disclosures page from the query:
// platform (a client id), claim (a claim name), from and to (dates,
// both inclusive, in the portal's time zone) and before (the cursor of
// the next page, Unix microseconds). It returns the message for the
// resident when a filter does not parse.
func (p *Portal) parseFilter(q url.Values) (resident.DisclosureFilter, *msg) {
	f := resident.DisclosureFilter{Platform: q.Get("platform"), Claim: q.Get("claim"), Limit: disclosuresPageSize}
	if len(f.Platform) > 128 {
		return f, m("disclosures.bad_platform")
	}
	if f.Claim != "" && !slices.Contains(rp.Claims(), rp.Claim(f.Claim)) {
		return f, m("disclosures.bad_claim")
	}
	day := func(name string) (time.Time, bool) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, true
		}
		t, err := time.ParseInLocation(dateLayout, v, p.cfg.Location)
		return t, err == nil && t.Year() >= 2000 && t.Year() < 10000
	}
	var ok bool
	if f.From, ok = day("from"); !ok {
		return f, m("disclosures.bad_date")
	}
	to, ok := day("to")
	if !ok {
		return f, m("disclosures.bad_date")
	}
	if !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the whole of the last day
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, m("disclosures.bad_range")
	}
	if b := q.Get("before"); b != "" {
		us, err := strconv.ParseInt(b, 10, 64)
		if err != nil || us <= 0 {
			return f, m("disclosures.bad_cursor")
		}
		f.Before = time.UnixMicro(us).UTC()
	}
	return f, nil
}

// disclosuresPage serves GET /account/disclosures: every release of
// claims to a platform, newest first, filtered by platform, date and
// claim.
func (p *Portal) disclosuresPage(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	v := disclosuresView{Platform: q.Get("platform"), Claim: q.Get("claim"), From: q.Get("from"), To: q.Get("to")}
	if s.actor.Guardian() {
		v.Minor = s.actor.SubjectID
	}
	f, bad := p.parseFilter(q)
	status := http.StatusOK
	if bad != nil {
		v.Error, status = bad, http.StatusBadRequest
	} else {
		page, err := p.d.Residents.Disclosures(r.Context(), s.actor, f)
		if err != nil {
			p.failWith(w, r, s, "disclosures", err)
			return
		}
		v.Rows = page.Disclosures
		if !page.NextBefore.IsZero() {
			next := url.Values{}
			for k, vs := range q {
				next[k] = vs
			}
			next.Del("lang")
			next.Set("before", strconv.FormatInt(page.NextBefore.UnixMicro(), 10))
			v.Older = pathDisclosures + "?" + next.Encode()
		}
	}
	tr := newTranslator(p.lang(r))
	v.Claims = []option{{Value: "", Label: tr.text("disclosures.any_claim"), Selected: v.Claim == ""}}
	for _, c := range rp.Claims() {
		v.Claims = append(v.Claims, option{Value: string(c), Label: claimLabel(tr, string(c)), Selected: v.Claim == string(c)})
	}
	// The platforms to choose from: those on this page and the one
	// chosen. Each platform's name in the table is also a link that
	// filters by it.
	v.Platforms = []option{{Value: "", Label: tr.text("disclosures.any_platform"), Selected: v.Platform == ""}}
	seen := map[string]bool{"": true}
	add := func(id, name string) {
		if seen[id] {
			return
		}
		seen[id] = true
		if name == "" {
			name = id
		}
		v.Platforms = append(v.Platforms, option{Value: id, Label: name, Selected: id == v.Platform})
	}
	for _, d := range v.Rows {
		add(d.ClientID, d.Platform)
	}
	add(v.Platform, "")
	p.render(w, r, frame{status: status, page: "disclosures", title: m("disclosures.title"), sess: s, current: pathDisclosures}, v)
}

// claimLabel is the short name of a claim in tr's language, or the claim
// itself.
func claimLabel(tr translator, claim string) string {
	if _, ok := tr.cat["claim."+claim]; ok {
		return tr.text("claim." + claim)
	}
	return claim
}
