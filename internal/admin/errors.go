package admin

import "errors"

var (
	// ErrInvalid: the request breaks a rule of the admin API (a missing
	// or malformed field); the message says which.
	ErrInvalid = errors.New("admin: invalid request")
	// ErrUnauthorized: the admin token is missing, malformed, unknown,
	// revoked or wrong. The four cases are not told apart.
	ErrUnauthorized = errors.New("admin: not authorized")
	// ErrNotFound: the token, resident or certificate does not exist.
	ErrNotFound = errors.New("admin: not found")
	// ErrErased: the resident's data was erased (crypto-shredded); there
	// is no identity left to disclose.
	ErrErased = errors.New("admin: the resident's data was erased")
)
