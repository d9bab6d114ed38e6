package oidc

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/netid/netid/internal/store"
)

// OAuth error codes the protocol library has no constructor for. Each use
// builds a fresh *oidc.Error, so no shared value can be mutated.
const (
	// errUnmet is returned to an RP whose minimum or requested assurance
	// level cannot be reached ("OpenID Connect Core Unmet Authentication
	// Requirements 1.0"): never a weaker login instead.
	errUnmet = "unmet_authentication_requirements"
	// errConsentRequired: prompt=none, but the resident must consent
	// (OpenID Connect Core section 3.1.2.6).
	errConsentRequired = "consent_required"
	// errInvalidToken: userinfo with an access token that is not active
	// (RFC 6750 section 3.1).
	errInvalidToken = "invalid_token"
)

// The library's error type is unexported, so an error code outside its
// list can only be set from an untyped constant: one constructor each.

func errUnmetRequirements(description string) *oidc.Error {
	return &oidc.Error{ErrorType: errUnmet, Description: description}
}

func errConsentNeeded() *oidc.Error {
	return &oidc.Error{ErrorType: errConsentRequired, Description: "the resident must consent first"}
}

func errTokenInvalid() *oidc.Error {
	return &oidc.Error{ErrorType: errInvalidToken, Description: "the access token is not active"}
}

// internalError logs err, the cause of a failure the client cannot fix,
// and returns the protocol error the client sees: server_error with a
// description that says nothing of the cause (driver messages and key ids
// stay in the log), as HTTP 503 when the store is unavailable so that
// clients retry, 500 otherwise.
func (p *Provider) internalError(ctx context.Context, op string, err error) error {
	status := http.StatusInternalServerError
	desc := "internal error; quote the request id to the operator"
	switch {
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		// The client went away: nobody reads the answer, and it is not
		// the service's failure, so it must not page anyone.
		p.log.DebugContext(ctx, "oidc: "+op+" abandoned by the client", slog.Any("err", err))
		return opStatus(oidc.ErrServerError().WithDescription("the request was cancelled"), statusClientClosed)
	case errors.Is(err, store.ErrUnavailable):
		status, desc = http.StatusServiceUnavailable, "the service is temporarily unavailable; retry later"
	}
	p.log.ErrorContext(ctx, "oidc: "+op+" failed", slog.Any("err", err))
	return opStatus(oidc.ErrServerError().WithDescription("%s", desc), status)
}

// statusClientClosed is the status logged and counted for a request the
// client abandoned (nginx's 499): not a server error.
const statusClientClosed = 499

// opStatus wraps a protocol error with the HTTP status the library must
// answer with.
func opStatus(e *oidc.Error, status int) error { return op.NewStatusError(e, status) }
