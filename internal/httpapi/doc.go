// Package httpapi is netid's HTTP surface: the router, the middleware every
// request passes through, RFC 9457 problem responses, and the operational
// endpoints.
//
// Every request passes, outermost first, through:
//
//	requestID   accept a sane X-Request-Id or make one; put it in the context
//	            so every log line of the request carries it; echo it back
//	metrics     count and time the request by route pattern and status
//	access log  one structured line per request
//	recover     a panic becomes a 500 problem, its stack is logged
//	headers     security headers on every response
//	body limit  request bodies above Config.MaxBodyBytes are cut off (413)
//	mux         net/http.ServeMux with method patterns; anything it cannot
//	            route (unknown path, wrong method) is a problem response too
//
// Route map:
//
//	GET /healthz   the process is alive (no dependencies checked)
//	GET /readyz    the store answers and the keys are loaded; 503 with the
//	               reason otherwise, so a load balancer drains the node
//	GET /metrics   Prometheus text format
//
// The enrolment API (enrolment.go, MountEnrolment) serves /v1/enrolments,
// /v1/enrolments/{id}/{phone,phone/verify,phone/skip,face/challenge,face,
// password,complete}, /v1/assisted-enrolments, /v1/guardian/approvals and
// GET /v1/openapi.json. Bodies are strict JSON; errors are problems mapped by
// enrolmentProblem. Certificate material (credential.go, MountCertificates):
// /ca.pem, /crl, /ocsp.
package httpapi
