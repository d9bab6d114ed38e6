// Package credential issues what a resident holds: the internet number (a
// random account identifier with a check character) and, in later work, the
// internet certificate and its revocation (CRL, OCSP).
//
// Internet numbers follow the system they are modelled on: ten letters and
// digits. Nine are random Crockford base32 characters (45 bits: room for
// tens of billions of numbers with negligible collision rates, collisions
// being retried under a uniqueness constraint anyway) and the tenth is a Damm
// check character over GF(32), which catches every single typo and every
// swap of two neighbouring characters.
package credential
