package credential

import (
	"context"
	"time"
)

// Events is told of every certificate the CA issues and every revocation,
// inside the transaction that stores it, so that a record of the event
// (the resident's transparency log) commits or rolls back with the
// certificate itself. An error aborts the issuance or revocation.
type Events interface {
	// CertificateIssued is called after rec is stored.
	CertificateIssued(ctx context.Context, rec CertificateRecord) error
	// CertificateRevoked is called after the certificate serial of
	// internetNumber is marked revoked with reason at at.
	CertificateRevoked(ctx context.Context, internetNumber, serial string, reason RevocationReason, at time.Time) error
}

// WithEvents makes the CA report issuance and revocation to ev.
func WithEvents(ev Events) Option { return func(ca *CA) { ca.events = ev } }

// issuedEvent reports an issuance, if anyone listens.
func (ca *CA) issuedEvent(ctx context.Context, rec CertificateRecord) error {
	if ca.events == nil {
		return nil
	}
	return ca.events.CertificateIssued(ctx, rec)
}

// revokedEvent reports a revocation, if anyone listens.
func (ca *CA) revokedEvent(ctx context.Context, number, serial string, reason RevocationReason, at time.Time) error {
	if ca.events == nil {
		return nil
	}
	return ca.events.CertificateRevoked(ctx, number, serial, reason, at)
}
