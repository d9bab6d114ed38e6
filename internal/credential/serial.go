package credential

import (
	"fmt"
	"math/big"
	"strings"
)

// RevocationReason is an RFC 5280 CRLReason (section 5.3.1), as CRLs and
// OCSP responses carry it.
type RevocationReason int

// The reasons netid uses. cACompromise and aACompromise concern CAs, not
// internet certificates; certificateHold is not offered because revocation
// is final; removeFromCRL belongs to delta CRLs.
const (
	ReasonUnspecified          RevocationReason = 0
	ReasonKeyCompromise        RevocationReason = 1
	ReasonAffiliationChanged   RevocationReason = 3
	ReasonSuperseded           RevocationReason = 4
	ReasonCessationOfOperation RevocationReason = 5
	ReasonPrivilegeWithdrawn   RevocationReason = 9
)

var reasonNames = map[RevocationReason]string{
	ReasonUnspecified:          "unspecified",
	ReasonKeyCompromise:        "keyCompromise",
	ReasonAffiliationChanged:   "affiliationChanged",
	ReasonSuperseded:           "superseded",
	ReasonCessationOfOperation: "cessationOfOperation",
	ReasonPrivilegeWithdrawn:   "privilegeWithdrawn",
}

// String returns the RFC 5280 name of r.
func (r RevocationReason) String() string {
	if n, ok := reasonNames[r]; ok {
		return n
	}
	return fmt.Sprintf("RevocationReason(%d)", int(r))
}

// Valid reports whether r is one of the reasons netid uses.
func (r RevocationReason) Valid() bool {
	_, ok := reasonNames[r]
	return ok
}

// ParseRevocationReason accepts the RFC 5280 name of a reason netid uses
// ("keyCompromise", ...), for operator commands.
func ParseRevocationReason(s string) (RevocationReason, error) {
	for r, n := range reasonNames {
		if n == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("%w %q", ErrReason, s)
}

// FormatSerial returns the form of a serial number that the store and
// operators use: lower-case hexadecimal, no prefix, no leading zeros.
func FormatSerial(n *big.Int) string { return n.Text(16) }

// ParseSerial parses a serial number in hexadecimal (either case, optional
// "0x" prefix and ":" separators, as tools print them). It must be positive
// and at most 20 octets (RFC 5280 section 4.1.2.2).
func ParseSerial(s string) (*big.Int, error) {
	h := strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"), ":", "")
	n, ok := new(big.Int).SetString(h, 16)
	if !ok || h == "" || strings.ContainsAny(h, "+-_") {
		return nil, fmt.Errorf("credential: serial %q is not hexadecimal", s)
	}
	if n.Sign() <= 0 || n.BitLen() > 159 {
		return nil, fmt.Errorf("credential: serial %q must be positive and at most 20 octets", s)
	}
	return n, nil
}
