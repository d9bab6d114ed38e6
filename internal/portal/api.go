package portal

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
)

// The resident API routes whose JSON the portal offers as downloads.
const (
	apiHistoryPattern = "GET /v1/me/history"
	apiExportPattern  = "GET /v1/me/export"
)

// fromAPI answers with what the resident API's handler h answers the
// session's resident for query q, as a download named filename: the
// portal's JSON downloads are the API's answers, byte for byte, so that
// a wallet or a script reads either the same way. A problem from the API
// becomes the portal's error page.
func (p *Portal) fromAPI(w http.ResponseWriter, r *http.Request, s *session, h http.Handler, q url.Values, filename string) {
	req := r.Clone(r.Context())
	req.Method, req.Body, req.ContentLength = http.MethodGet, http.NoBody, 0
	req.URL = &url.URL{Path: req.URL.Path, RawQuery: q.Encode()}
	req.RequestURI = req.URL.RequestURI()
	req.Header = http.Header{"Authorization": {"Bearer " + s.token}, "Accept": {"application/json"}}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		var prob struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &prob)
		p.log.WarnContext(r.Context(), "portal: resident API refused a download", "status", rec.Code, "detail", prob.Detail)
		status, message := apiFailure(rec.Code)
		p.fail(w, r, status, s, message)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	hd.Set("Content-Length", strconv.Itoa(rec.Body.Len()))
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = bytes.NewReader(rec.Body.Bytes()).WriteTo(w)
}

// apiFailure maps a status of the resident API to the portal's error
// page.
func apiFailure(code int) (int, *msg) {
	switch code {
	case http.StatusBadRequest:
		return code, m("error.invalid")
	case http.StatusUnauthorized:
		return code, m("error.signed_out")
	case http.StatusNotFound:
		return code, m("error.no_such_item")
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return code, m("error.busy")
	}
	return http.StatusInternalServerError, m("error.internal")
}
