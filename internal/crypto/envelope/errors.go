package envelope

import "errors"

var (
	// ErrShredded is returned by Seal, Open and Unlock when the owner has no
	// data key: it was destroyed by Shred (crypto-shredding), or never
	// created. Whatever was sealed for the owner can no longer be opened.
	ErrShredded = errors.New("envelope: owner's data key is destroyed")
	// ErrInvalidCiphertext is returned by Open when the ciphertext is
	// malformed, of another format or suite, altered, or sealed for another
	// owner or field.
	ErrInvalidCiphertext = errors.New("envelope: invalid ciphertext")
	// ErrKEKActive is returned by Rewrap when the KEK to move away from is
	// still the active one: rotate the key-encryption purpose first.
	ErrKEKActive = errors.New("envelope: the KEK to re-wrap from is still active")
)
