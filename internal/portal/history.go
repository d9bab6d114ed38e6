package portal

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/netid/netid/internal/resident"
	"github.com/netid/netid/internal/rp"
	"github.com/netid/netid/internal/translog"
)

// Log is what the history page needs of the transparency log: an Auditor
// trusting its verifier keys. *translog.Log implements it.
type Log interface {
	Auditor() (*translog.Auditor, error)
}

var _ Log = (*translog.Log)(nil)

// Platforms names platforms by client id; *rp.Service implements it. It
// is optional: without it the history shows client ids.
type Platforms interface {
	Get(ctx context.Context, clientID string) (rp.RP, error)
}

// historyPageSize is how many entries one history page lists.
const historyPageSize = 100

// historyRow is one entry of the history page with its verification.
type historyRow struct {
	resident.HistoryEntry
	Platform string
	// Verified says the entry's inclusion proof leads to the root of the
	// verified checkpoint; Problem says why not.
	Verified bool
	Problem  string
}

// historyView is the view of the history page.
type historyView struct {
	// Guardian: a guardian asked for a minor's history, which is the
	// minor's alone to read.
	Guardian bool
	Origin   string
	LogID    string
	// The checkpoint every proof was checked against.
	Size       uint64
	Root       string
	SignedAt   time.Time
	Checkpoint string
	// CheckpointOK: the checkpoint's signature verified with the log's
	// key; CheckpointProblem says why not.
	CheckpointOK      bool
	CheckpointProblem string
	// Chain: the page starts at the first entry and every entry follows
	// the one before (no entry hidden); ChainProblem says why not.
	ChainChecked bool
	ChainOK      bool
	ChainProblem string
	Rows         []historyRow
	AllVerified  bool
	// JSON is the link to this page's entries and proofs as JSON.
	JSON string
	// Next is the link to the following entries, "" on the last page.
	Next string
}

// historyPage serves GET /account/history: the resident's transparency
// log, each entry with its inclusion proof verified here, by the
// translog Auditor, against the latest signed checkpoint (whose
// signature is verified first). A wallet repeats the same checks on its
// own (netid wallet history --verify), trusting nothing this page says.
func (p *Portal) historyPage(w http.ResponseWriter, r *http.Request, s *session) {
	frm := frame{status: http.StatusOK, page: "history", title: m("history.title"), sess: s, current: pathHistory}
	if s.actor.Guardian() {
		p.render(w, r, frm, historyView{Guardian: true})
		return
	}
	after, err := afterParam(r.URL.Query())
	if err != nil {
		p.fail(w, r, http.StatusBadRequest, s, m("error.bad_parameter", "after_seq"))
		return
	}
	ctx := r.Context()
	h, err := p.d.Residents.History(ctx, s.Session, resident.HistoryQuery{AfterSeq: after, Limit: historyPageSize})
	if err != nil {
		p.failWith(w, r, s, "history", err)
		return
	}
	v := historyView{Origin: h.Origin, LogID: string(h.LogID), Checkpoint: string(h.Checkpoint.Note)}
	q := url.Values{"limit": {strconv.Itoa(historyPageSize)}}
	if after > 0 {
		q.Set("after_seq", strconv.FormatUint(after, 10))
	}
	v.JSON = pathHistoryJSON + "?" + q.Encode()
	if h.More && len(h.Entries) > 0 {
		v.Next = pathHistory + "?" + url.Values{"after_seq": {strconv.FormatUint(h.Entries[len(h.Entries)-1].Seq, 10)}}.Encode()
	}
	auditor, err := p.d.Log.Auditor()
	if err != nil {
		p.failInternal(w, r, s, "log auditor", err)
		return
	}
	cp, err := auditor.VerifyCheckpoint(h.Checkpoint.Note)
	if err != nil {
		v.CheckpointProblem = err.Error()
	} else {
		v.CheckpointOK = true
		v.Size, v.Root, v.SignedAt = cp.Size, base64.StdEncoding.EncodeToString(cp.Root), cp.Time
	}
	if after == 0 {
		recs := make([]translog.Record, len(h.Entries))
		for i, e := range h.Entries {
			recs[i] = e.Record
		}
		v.ChainChecked = true
		if _, err := auditor.VerifyResidentChain(recs, translog.Head{}); err != nil {
			v.ChainProblem = err.Error()
		} else {
			v.ChainOK = true
		}
	}
	names := map[string]string{}
	v.AllVerified = v.CheckpointOK && (!v.ChainChecked || v.ChainOK)
	for _, e := range h.Entries {
		row := historyRow{HistoryEntry: e}
		if e.Entry != nil && e.Entry.ClientID != "" {
			row.Platform = p.platformName(ctx, names, e.Entry.ClientID)
		}
		switch {
		case !v.CheckpointOK:
			row.Problem = "the checkpoint's signature does not verify"
		default:
			if err := auditor.VerifyEntryInclusion(e.Record, e.Proof, cp); err != nil {
				row.Problem = err.Error()
			} else {
				row.Verified = true
			}
		}
		v.AllVerified = v.AllVerified && row.Verified
		v.Rows = append(v.Rows, row)
	}
	p.render(w, r, frm, v)
}

// platformName is the name of a platform, or its client id when the
// registry does not know it (or there is no registry).
func (p *Portal) platformName(ctx context.Context, cache map[string]string, clientID string) string {
	if n, ok := cache[clientID]; ok {
		return n
	}
	n := clientID
	if p.d.Platforms != nil {
		if rec, err := p.d.Platforms.Get(ctx, clientID); err == nil && rec.Name != "" {
			n = rec.Name
		} else if err != nil && !errors.Is(err, rp.ErrNotFound) {
			p.log.WarnContext(ctx, "portal: platform name", "client_id", clientID, "err", err)
		}
	}
	cache[clientID] = n
	return n
}

// afterParam reads the after_seq parameter of the history pages.
func afterParam(q url.Values) (uint64, error) {
	v := q.Get("after_seq")
	if v == "" {
		return 0, nil
	}
	if len(v) > 19 || len(v) > 1 && v[0] == '0' {
		return 0, errors.New("bad after_seq")
	}
	return strconv.ParseUint(v, 10, 63)
}

// historyJSON serves GET /account/history.json: the entries of a history
// page with their proofs and the signed checkpoint, as a download, in the
// resident API's format (its GET /v1/me/history answer, byte for byte:
// the portal asks the API in process with the session's token).
func (p *Portal) historyJSON(w http.ResponseWriter, r *http.Request, s *session) {
	if s.actor.Guardian() {
		p.fail(w, r, http.StatusForbidden, s, m("history.guardian"))
		return
	}
	after, err := afterParam(r.URL.Query())
	if err != nil {
		p.fail(w, r, http.StatusBadRequest, s, m("error.bad_parameter", "after_seq"))
		return
	}
	q := url.Values{"limit": {strconv.Itoa(historyPageSize)}}
	if after > 0 {
		q.Set("after_seq", strconv.FormatUint(after, 10))
	}
	name := "netid-history-" + string(s.InternetNumber) + ".json"
	if after > 0 {
		name = "netid-history-" + string(s.InternetNumber) + "-after-" + strconv.FormatUint(after, 10) + ".json"
	}
	p.fromAPI(w, r, s, p.apiHistory, q, name)
}
