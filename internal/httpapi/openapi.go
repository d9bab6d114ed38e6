package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDocument is the OpenAPI 3.1 description of the enrolment API,
// written by hand next to the handlers it describes. A test checks that it
// is valid JSON, that its routes are exactly the enrolment and presentation route tables and
// that every $ref resolves; the HTTP tests check that every status the
// handlers answered is listed for its route.
//
//go:embed openapi.json
var openAPIDocument []byte

// serveOpenAPI serves GET /v1/openapi.json.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDocument)
}
