package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/netid/netid/internal/store"
	"github.com/netid/netid/internal/translog"
)

// ProofResponse is the body of the consistency and inclusion proof
// routes: the proof's hashes, standard base64, in RFC 9162 order.
type ProofResponse struct {
	Proof [][]byte `json:"proof"`
}

// MountTranslog publishes what residents' wallets and witnesses need to
// audit the transparency log, without authentication:
//
//	GET /translog/checkpoint                  the latest signed checkpoint (C2SP signed note)
//	GET /translog/keys                        the log's verifier keys, one per line (C2SP vkey)
//	GET /translog/consistency?old=N&new=M     consistency proof between tree sizes N and M
//	GET /translog/inclusion?index=I&size=N    inclusion proof of leaf I in the tree of size N
//
// None of them reveals an entry: a checkpoint shows the number of entries
// and the root, a proof only interior hashes. The resident's own listing
// needs resident authentication and is not here. Bad parameters and sizes
// beyond the tree are 400 problems, a log without checkpoint yet a 404.
func (s *Server) MountTranslog(l *translog.Log) {
	s.Handle("GET /translog/checkpoint", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cp, err := l.LatestCheckpoint(r.Context())
		if errors.Is(err, store.ErrNotFound) {
			WriteProblem(w, r, NewProblem(http.StatusNotFound, "no-checkpoint",
				"the transparency log has not published a checkpoint yet"))
			return
		}
		if err != nil {
			WriteError(w, r, s.log, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		// Short: a new checkpoint may be published at any moment, and
		// witnesses poll.
		w.Header().Set("Cache-Control", "public, max-age=10")
		_, _ = w.Write(cp.Note)
	}))
	s.Handle("GET /translog/keys", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys, err := l.VerifierKeys()
		if err != nil {
			WriteError(w, r, s.log, err)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write([]byte(strings.Join(keys, "\n") + "\n"))
	}))
	s.Handle("GET /translog/consistency", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		oldSize, err1 := treeParam(q, "old")
		newSize, err2 := treeParam(q, "new")
		if err := errors.Join(err1, err2); err != nil {
			WriteProblem(w, r, NewProblem(http.StatusBadRequest, "bad-parameter", err.Error()))
			return
		}
		p, err := l.ConsistencyProof(r.Context(), oldSize, newSize)
		s.writeProof(w, r, p, err)
	}))
	s.Handle("GET /translog/inclusion", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		index, err1 := treeParam(q, "index")
		size, err2 := treeParam(q, "size")
		if err := errors.Join(err1, err2); err != nil {
			WriteProblem(w, r, NewProblem(http.StatusBadRequest, "bad-parameter", err.Error()))
			return
		}
		p, err := l.InclusionProof(r.Context(), index, size)
		s.writeProof(w, r, p, err)
	}))
}

// writeProof answers a proof request: the proof, a 400 problem for sizes
// or indexes outside the tree, or the error.
func (s *Server) writeProof(w http.ResponseWriter, r *http.Request, p [][]byte, err error) {
	if errors.Is(err, translog.ErrRange) {
		WriteProblem(w, r, NewProblem(http.StatusBadRequest, "out-of-range",
			"the sizes or index are outside the log's tree; /translog/checkpoint gives its size"))
		return
	}
	if err != nil {
		WriteError(w, r, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, ProofResponse{Proof: p})
}

// maxTreeParam bounds tree sizes and indexes as checkpoints do (below
// 2^63), so that a parameter never overflows what the log accepts.
const maxTreeParam = 1<<63 - 1

// treeParam parses query parameter name as a tree size or leaf index: one
// non-negative decimal, no sign, no leading zeros, below 2^63.
func treeParam(q url.Values, name string) (uint64, error) {
	vs, ok := q[name]
	switch {
	case !ok || len(vs) == 0 || vs[0] == "":
		return 0, fmt.Errorf("parameter %s is required", name)
	case len(vs) > 1:
		return 0, fmt.Errorf("parameter %s is given %d times, want once", name, len(vs))
	}
	v := vs[0]
	if len(v) > 1 && v[0] == '0' || strings.TrimLeft(v, "0123456789") != "" {
		return 0, fmt.Errorf("parameter %s: want a decimal number without sign or leading zeros", name)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > maxTreeParam {
		return 0, fmt.Errorf("parameter %s: want a number below 2^63", name)
	}
	return n, nil
}
