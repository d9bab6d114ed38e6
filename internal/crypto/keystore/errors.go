package keystore

import "errors"

var (
	// ErrNotFound is returned for a key id the store does not hold.
	ErrNotFound = errors.New("keystore: key not found")
	// ErrRetired is returned when a retired key is asked to sign, verify,
	// MAC or unwrap.
	ErrRetired = errors.New("keystore: key is retired")
	// ErrWrongPurpose is returned when a key is used for a capability its
	// purpose does not have (a CA key asked to unwrap, ...).
	ErrWrongPurpose = errors.New("keystore: key has another purpose")
	// ErrNoActiveKey is returned when a purpose has no active key: the store
	// was not bootstrapped.
	ErrNoActiveKey = errors.New("keystore: no active key")
	// ErrState is returned for a state change the life cycle does not allow
	// (retiring an active key: rotate first).
	ErrState = errors.New("keystore: invalid state change")
	// ErrPending is returned when a pending key is asked to sign before its
	// activation time: other nodes may not publish it yet.
	ErrPending = errors.New("keystore: key is pending")
	// ErrNotReady is wrapped by Check when some purpose has not exactly one
	// usable active key.
	ErrNotReady = errors.New("keystore: not ready")
	// ErrInsecurePermissions is returned by OpenDir and Reload when the key
	// directory or a key file is accessible by group or others.
	ErrInsecurePermissions = errors.New("keystore: insecure permissions")
	// ErrMACMismatch is returned by VerifyMAC when no active or retiring key
	// of the purpose produced the MAC.
	ErrMACMismatch = errors.New("keystore: MAC does not match")
	// ErrUnwrap is returned by Unwrap when the ciphertext does not
	// authenticate under the key and associated data given.
	ErrUnwrap = errors.New("keystore: unwrap failed")
)
