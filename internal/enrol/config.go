package enrol

import (
	"errors"
	"fmt"
	"time"

	"github.com/netid/netid/internal/throttle"
)

// Defaults of Config.
const (
	DefaultEnrolmentTTL     = 24 * time.Hour
	DefaultFaceChallengeTTL = 5 * time.Minute
	DefaultMaxFaceAttempts  = 5
	DefaultPhoneRegion      = "CN"
	DefaultServiceName      = "netid"
)

// Config holds the enrolment limits. The zero value of a field means its
// default; Validate reports every problem at once.
type Config struct {
	// EnrolmentTTL is how long an enrolment may take from Start to
	// Complete; afterwards it is refused with ErrExpired and its data is
	// shredded. Default 24 hours.
	EnrolmentTTL time.Duration
	// FaceChallengeTTL is how long a liveness nonce from FaceChallenge is
	// accepted. Default 5 minutes.
	FaceChallengeTTL time.Duration
	// MaxFaceAttempts is how many failed face matches an enrolment allows
	// before it closes (ErrTooManyAttempts). Default 5.
	MaxFaceAttempts int
	// CertificateValidity shortens the CA's configured validity for
	// certificates issued at enrolment; zero means the CA's.
	CertificateValidity time.Duration

	// The assurance ceiling of each evidence pathway: the highest level a
	// login of such an account may reach. Defaults: chip high, authority
	// substantial, assisted substantial. Evidence without a portrait to
	// match the face against is capped at substantial whatever its
	// pathway says.
	ChipCeiling      Assurance
	AuthorityCeiling Assurance
	AssistedCeiling  Assurance

	// ChildMaxAge is the oldest age that enrols only through a guardian
	// application (default 14); AdultAge the age from which no guardian is
	// involved (default 18). Ages between are supervised minors.
	ChildMaxAge int
	AdultAge    int

	// PhoneRegion is the default region for phone numbers typed without a
	// country code (phone.ParseNumber). Default "CN".
	PhoneRegion string
	// ServiceName is passed to the password policy as context, so that a
	// password built on it is refused. Default "netid".
	ServiceName string

	// LoginPerAccount and LoginPerAddress limit AuthenticateResident's
	// attempts per internet number and per client address. Defaults: 10
	// per 15 minutes per account, 100 per 15 minutes per address.
	LoginPerAccount throttle.Limit
	LoginPerAddress throttle.Limit
	// StartPerAddress limits Start per client address, since each start
	// may query a document authority. Default 20 per hour.
	StartPerAddress throttle.Limit
}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.EnrolmentTTL == 0 {
		c.EnrolmentTTL = DefaultEnrolmentTTL
	}
	if c.FaceChallengeTTL == 0 {
		c.FaceChallengeTTL = DefaultFaceChallengeTTL
	}
	if c.MaxFaceAttempts == 0 {
		c.MaxFaceAttempts = DefaultMaxFaceAttempts
	}
	if c.ChipCeiling == "" {
		c.ChipCeiling = AssuranceHigh
	}
	if c.AuthorityCeiling == "" {
		c.AuthorityCeiling = AssuranceSubstantial
	}
	if c.AssistedCeiling == "" {
		c.AssistedCeiling = AssuranceSubstantial
	}
	if c.ChildMaxAge == 0 {
		c.ChildMaxAge = 14
	}
	if c.AdultAge == 0 {
		c.AdultAge = 18
	}
	if c.PhoneRegion == "" {
		c.PhoneRegion = DefaultPhoneRegion
	}
	if c.ServiceName == "" {
		c.ServiceName = DefaultServiceName
	}
	if c.LoginPerAccount == (throttle.Limit{}) {
		c.LoginPerAccount = throttle.Limit{Scope: "login-account", Max: 10, Window: 15 * time.Minute}
	}
	if c.LoginPerAddress == (throttle.Limit{}) {
		c.LoginPerAddress = throttle.Limit{Scope: "login-address", Max: 100, Window: 15 * time.Minute}
	}
	if c.StartPerAddress == (throttle.Limit{}) {
		c.StartPerAddress = throttle.Limit{Scope: "enrol-start", Max: 20, Window: time.Hour}
	}
	return c
}

// Validate reports every problem with c (after defaults) at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("enrol: "+format, args...)) }
	if c.EnrolmentTTL < time.Minute {
		bad("enrolment TTL %v: want at least 1m", c.EnrolmentTTL)
	}
	if c.FaceChallengeTTL < 10*time.Second || c.FaceChallengeTTL > c.EnrolmentTTL {
		bad("face challenge TTL %v: want 10s to the enrolment TTL", c.FaceChallengeTTL)
	}
	if c.MaxFaceAttempts < 1 {
		bad("max face attempts %d: want at least 1", c.MaxFaceAttempts)
	}
	if c.CertificateValidity < 0 || c.CertificateValidity > 0 && c.CertificateValidity < time.Minute {
		bad("certificate validity %v: want 0 (the CA's) or at least 1m", c.CertificateValidity)
	}
	for name, a := range map[string]Assurance{"chip": c.ChipCeiling, "authority": c.AuthorityCeiling, "assisted": c.AssistedCeiling} {
		if a.Rank() == 0 {
			bad("%s ceiling %q: want low, substantial or high", name, a)
		}
	}
	if c.AssistedCeiling == AssuranceHigh {
		bad("assisted ceiling high: assisted evidence has no document portrait, so at most substantial")
	}
	if c.ChildMaxAge < 0 || c.AdultAge <= c.ChildMaxAge+1 || c.AdultAge > 21 {
		bad("ages: child max %d, adult %d: want 0 <= child max < adult - 1 and adult <= 21", c.ChildMaxAge, c.AdultAge)
	}
	if len(c.PhoneRegion) != 2 {
		bad("phone region %q: want a two-letter region", c.PhoneRegion)
	}
	for _, l := range []throttle.Limit{c.LoginPerAccount, c.LoginPerAddress, c.StartPerAddress} {
		if err := l.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("enrol: limit %q: %w", l.Scope, err))
		}
	}
	if c.LoginPerAccount.Scope == c.LoginPerAddress.Scope {
		bad("login limits share the scope %q: they would share counters", c.LoginPerAccount.Scope)
	}
	return errors.Join(errs...)
}
