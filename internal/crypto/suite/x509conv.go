package suite

import (
	"crypto/x509"
	"fmt"

	"github.com/emmansun/gmsm/smx509"
)

// The sm suite works with gmsm's smx509 internally and with crypto/x509 at
// its API. smx509.Certificate mirrors x509.Certificate field for field; the
// two functions below copy between them. The enumerations (KeyUsage,
// ExtKeyUsage, and SignatureAlgorithm and PublicKeyAlgorithm up to the last
// value crypto/x509 knows) have the same numbering in both packages; the
// tests check that against both parsers.

// lastX509SigAlg and lastX509PubAlg are the highest values crypto/x509
// defines; smx509 appends its own (SM2WithSM3, ML-DSA, ...) after them.
const (
	lastX509SigAlg = x509.PureEd25519
	lastX509PubAlg = x509.Ed25519
)

// fromSMX509 copies a certificate parsed by smx509 into a crypto/x509 value.
// Signature algorithms unknown to crypto/x509 (SM2WithSM3 among them) become
// x509.UnknownSignatureAlgorithm; the signature is still checked by
// Suite.VerifyChain, which works on Raw.
func fromSMX509(c *smx509.Certificate) (*x509.Certificate, error) {
	out := &x509.Certificate{
		Raw:                         c.Raw,
		RawTBSCertificate:           c.RawTBSCertificate,
		RawSubjectPublicKeyInfo:     c.RawSubjectPublicKeyInfo,
		RawSubject:                  c.RawSubject,
		RawIssuer:                   c.RawIssuer,
		Signature:                   c.Signature,
		PublicKey:                   c.PublicKey,
		Version:                     c.Version,
		SerialNumber:                c.SerialNumber,
		Issuer:                      c.Issuer,
		Subject:                     c.Subject,
		NotBefore:                   c.NotBefore,
		NotAfter:                    c.NotAfter,
		KeyUsage:                    x509.KeyUsage(c.KeyUsage),
		Extensions:                  c.Extensions,
		ExtraExtensions:             c.ExtraExtensions,
		UnhandledCriticalExtensions: c.UnhandledCriticalExtensions,
		UnknownExtKeyUsage:          c.UnknownExtKeyUsage,
		BasicConstraintsValid:       c.BasicConstraintsValid,
		IsCA:                        c.IsCA,
		MaxPathLen:                  c.MaxPathLen,
		MaxPathLenZero:              c.MaxPathLenZero,
		SubjectKeyId:                c.SubjectKeyId,
		AuthorityKeyId:              c.AuthorityKeyId,
		OCSPServer:                  c.OCSPServer,
		IssuingCertificateURL:       c.IssuingCertificateURL,
		DNSNames:                    c.DNSNames,
		EmailAddresses:              c.EmailAddresses,
		IPAddresses:                 c.IPAddresses,
		URIs:                        c.URIs,
		PermittedDNSDomainsCritical: c.PermittedDNSDomainsCritical,
		PermittedDNSDomains:         c.PermittedDNSDomains,
		ExcludedDNSDomains:          c.ExcludedDNSDomains,
		PermittedIPRanges:           c.PermittedIPRanges,
		ExcludedIPRanges:            c.ExcludedIPRanges,
		PermittedEmailAddresses:     c.PermittedEmailAddresses,
		ExcludedEmailAddresses:      c.ExcludedEmailAddresses,
		PermittedURIDomains:         c.PermittedURIDomains,
		ExcludedURIDomains:          c.ExcludedURIDomains,
		CRLDistributionPoints:       c.CRLDistributionPoints,
		PolicyIdentifiers:           c.PolicyIdentifiers,
		InhibitAnyPolicy:            c.InhibitAnyPolicy,
		InhibitAnyPolicyZero:        c.InhibitAnyPolicyZero,
		InhibitPolicyMapping:        c.InhibitPolicyMapping,
		InhibitPolicyMappingZero:    c.InhibitPolicyMappingZero,
		RequireExplicitPolicy:       c.RequireExplicitPolicy,
		RequireExplicitPolicyZero:   c.RequireExplicitPolicyZero,
	}
	if c.SignatureAlgorithm <= smx509.SignatureAlgorithm(lastX509SigAlg) {
		out.SignatureAlgorithm = x509.SignatureAlgorithm(c.SignatureAlgorithm)
	}
	if c.PublicKeyAlgorithm <= smx509.PublicKeyAlgorithm(lastX509PubAlg) {
		out.PublicKeyAlgorithm = x509.PublicKeyAlgorithm(c.PublicKeyAlgorithm)
	}
	for _, u := range c.ExtKeyUsage {
		out.ExtKeyUsage = append(out.ExtKeyUsage, x509.ExtKeyUsage(u))
	}
	for _, p := range c.Policies {
		o, err := oidToX509(p)
		if err != nil {
			return nil, err
		}
		out.Policies = append(out.Policies, o)
	}
	for _, m := range c.PolicyMappings {
		issuer, err := oidToX509(m.IssuerDomainPolicy)
		if err != nil {
			return nil, err
		}
		subject, err := oidToX509(m.SubjectDomainPolicy)
		if err != nil {
			return nil, err
		}
		out.PolicyMappings = append(out.PolicyMappings, x509.PolicyMapping{IssuerDomainPolicy: issuer, SubjectDomainPolicy: subject})
	}
	return out, nil
}

// toSMX509 copies a crypto/x509 certificate (a template, or a parent that was
// never parsed) into an smx509 value. SignatureAlgorithm is left zero so that
// smx509 picks the algorithm from the signing key.
func toSMX509(c *x509.Certificate) (*smx509.Certificate, error) {
	out := &smx509.Certificate{
		Raw:                         c.Raw,
		RawTBSCertificate:           c.RawTBSCertificate,
		RawSubjectPublicKeyInfo:     c.RawSubjectPublicKeyInfo,
		RawSubject:                  c.RawSubject,
		RawIssuer:                   c.RawIssuer,
		Signature:                   c.Signature,
		PublicKeyAlgorithm:          smx509.PublicKeyAlgorithm(c.PublicKeyAlgorithm),
		PublicKey:                   c.PublicKey,
		Version:                     c.Version,
		SerialNumber:                c.SerialNumber,
		Issuer:                      c.Issuer,
		Subject:                     c.Subject,
		NotBefore:                   c.NotBefore,
		NotAfter:                    c.NotAfter,
		KeyUsage:                    smx509.KeyUsage(c.KeyUsage),
		Extensions:                  c.Extensions,
		ExtraExtensions:             c.ExtraExtensions,
		UnhandledCriticalExtensions: c.UnhandledCriticalExtensions,
		UnknownExtKeyUsage:          c.UnknownExtKeyUsage,
		BasicConstraintsValid:       c.BasicConstraintsValid,
		IsCA:                        c.IsCA,
		MaxPathLen:                  c.MaxPathLen,
		MaxPathLenZero:              c.MaxPathLenZero,
		SubjectKeyId:                c.SubjectKeyId,
		AuthorityKeyId:              c.AuthorityKeyId,
		OCSPServer:                  c.OCSPServer,
		IssuingCertificateURL:       c.IssuingCertificateURL,
		DNSNames:                    c.DNSNames,
		EmailAddresses:              c.EmailAddresses,
		IPAddresses:                 c.IPAddresses,
		URIs:                        c.URIs,
		PermittedDNSDomainsCritical: c.PermittedDNSDomainsCritical,
		PermittedDNSDomains:         c.PermittedDNSDomains,
		ExcludedDNSDomains:          c.ExcludedDNSDomains,
		PermittedIPRanges:           c.PermittedIPRanges,
		ExcludedIPRanges:            c.ExcludedIPRanges,
		PermittedEmailAddresses:     c.PermittedEmailAddresses,
		ExcludedEmailAddresses:      c.ExcludedEmailAddresses,
		PermittedURIDomains:         c.PermittedURIDomains,
		ExcludedURIDomains:          c.ExcludedURIDomains,
		CRLDistributionPoints:       c.CRLDistributionPoints,
		PolicyIdentifiers:           c.PolicyIdentifiers,
		InhibitAnyPolicy:            c.InhibitAnyPolicy,
		InhibitAnyPolicyZero:        c.InhibitAnyPolicyZero,
		InhibitPolicyMapping:        c.InhibitPolicyMapping,
		InhibitPolicyMappingZero:    c.InhibitPolicyMappingZero,
		RequireExplicitPolicy:       c.RequireExplicitPolicy,
		RequireExplicitPolicyZero:   c.RequireExplicitPolicyZero,
	}
	for _, u := range c.ExtKeyUsage {
		out.ExtKeyUsage = append(out.ExtKeyUsage, smx509.ExtKeyUsage(u))
	}
	for _, p := range c.Policies {
		o, err := oidToSMX509(p)
		if err != nil {
			return nil, err
		}
		out.Policies = append(out.Policies, o)
	}
	for _, m := range c.PolicyMappings {
		issuer, err := oidToSMX509(m.IssuerDomainPolicy)
		if err != nil {
			return nil, err
		}
		subject, err := oidToSMX509(m.SubjectDomainPolicy)
		if err != nil {
			return nil, err
		}
		out.PolicyMappings = append(out.PolicyMappings, smx509.PolicyMapping{IssuerDomainPolicy: issuer, SubjectDomainPolicy: subject})
	}
	return out, nil
}

// The two OID types share their binary form: the DER contents octets.

func oidToX509(o smx509.OID) (x509.OID, error) {
	var out x509.OID
	b, err := o.MarshalBinary()
	if err == nil {
		err = out.UnmarshalBinary(b)
	}
	if err != nil {
		return x509.OID{}, fmt.Errorf("suite sm: convert policy OID: %w", err)
	}
	return out, nil
}

func oidToSMX509(o x509.OID) (smx509.OID, error) {
	var out smx509.OID
	b, err := o.MarshalBinary()
	if err == nil {
		err = out.UnmarshalBinary(b)
	}
	if err != nil {
		return smx509.OID{}, fmt.Errorf("suite sm: convert policy OID: %w", err)
	}
	return out, nil
}
