package enrol

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/crypto/envelope"
)

// Bulk loading. A bulk loader (netid seed, internal/loadtest) writes
// residents straight to the store, without enrolments, and the Service must
// then read them as its own. The sealed formats of a ResidentRecord and the
// blind-index input of an identity anchor are enrolment's private business,
// so enrol hands them out here rather than have the loader copy them: the
// functions below are the ones enrolment itself seals and indexes with, so
// what they produce is exactly what an enrolment writes.

// DynamicSecretSize is the length in bytes of the dynamic-code secret an
// enrolment draws and SealDynamicSecret accepts.
const DynamicSecretSize = secretBytes

// SealIdentity seals id as the Identity of a ResidentRecord owned by key's
// owner, in the format enrolment writes and Service.Identity reads.
// verification is the audit note enrolment keeps of who vouched for the
// identity (the authority's verification id, the document signer); a bulk
// loader names itself there.
//
// It exists for bulk loading. It refuses an identity enrolment would never
// seal: one without a name, birth date or anchor, an anchor part holding a
// NUL (the separator of AnchorIndexInput), or an AssistedKind (assisted
// evidence carries a registrar's record that Identity does not hold).
func SealIdentity(key *envelope.OwnerKey, id Identity, verification string) ([]byte, error) {
	var errs []error
	if id.Name == "" {
		errs = append(errs, errors.New("no name"))
	}
	if id.BirthDate.IsZero() {
		errs = append(errs, errors.New("no birth date"))
	}
	if id.AnchorAuthority == "" || id.AnchorPerson == "" {
		errs = append(errs, errors.New("no identity anchor"))
	}
	if strings.Contains(id.AnchorAuthority, "\x00") || strings.Contains(id.AnchorPerson, "\x00") {
		errs = append(errs, errors.New("identity anchor holds a NUL"))
	}
	if id.AssistedKind != "" {
		errs = append(errs, errors.New("assisted identities are made by registrars, not bulk loaded"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("enrol: seal %s: %w", fieldIdentity, err)
	}
	return sealIdentity(key.Seal, identityRecord{
		Name: id.Name, BirthDate: id.BirthDate, Sex: id.Sex, Nationality: id.Nationality, DocType: id.DocType,
		DocumentNumber: id.DocumentNumber, IssuingState: id.IssuingState, Expiry: id.Expiry,
		AnchorAuthority: id.AnchorAuthority, AnchorPerson: id.AnchorPerson, Verification: verification,
	})
}

// SealDynamicSecret seals secret, DynamicSecretSize bytes, as the
// DynamicSecret of a ResidentRecord owned by key's owner, in the format
// enrolment writes and Service.VerifyDynamicCode reads. It exists for bulk
// loading.
func SealDynamicSecret(key *envelope.OwnerKey, secret []byte) ([]byte, error) {
	return sealDynamicSecret(key.Seal, secret)
}

// AnchorIndexInput returns the blind-index input of the identity anchor
// (authority, person): the message whose MAC under the keystore.BlindIndex
// key is IdentityAnchor.Index. It exists for bulk loading, and is the one
// enrolment uses: a loaded anchor made from it collides with an enrolment
// of the same normalised (authority, person), as two enrolments would.
func AnchorIndexInput(authority, person string) []byte {
	return []byte(anchorDomain + authority + "\x00" + person)
}

// CertificateAttributes returns the identity attributes an internet
// certificate commits to at enrolment, in canonical form, absent values
// left out. It exists for bulk loading: a loaded resident's certificate
// commits to what an enrolled one's would.
func CertificateAttributes(id Identity) []credential.Attribute {
	return attributesOf(identityRecord{
		Name: id.Name, BirthDate: id.BirthDate, Sex: id.Sex, Nationality: id.Nationality, DocumentNumber: id.DocumentNumber,
	})
}

// sealFunc seals plaintext as field of one owner: an OwnerKey's Seal for
// a bulk loader, the Service's envelope (Service.sealer) for enrolment, so
// that both write through the functions below.
type sealFunc func(field string, plaintext []byte) ([]byte, error)

// sealer seals fields of owner through the Service's envelope.
func (s *Service) sealer(ctx context.Context, owner string) sealFunc {
	return func(field string, plaintext []byte) ([]byte, error) {
		return s.d.Envelope.Seal(ctx, owner, field, plaintext)
	}
}

// sealIdentity seals r, as JSON, as the identity field.
func sealIdentity(seal sealFunc, r identityRecord) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("enrol: seal %s: %w", fieldIdentity, err)
	}
	return sealField(seal, fieldIdentity, b)
}

// sealDynamicSecret seals a dynamic-code secret as the dynamic-code field.
func sealDynamicSecret(seal sealFunc, secret []byte) ([]byte, error) {
	if len(secret) != DynamicSecretSize {
		return nil, fmt.Errorf("enrol: seal %s: %d bytes, want %d", fieldDynamic, len(secret), DynamicSecretSize)
	}
	return sealField(seal, fieldDynamic, secret)
}

// sealField seals b as field, naming the field in an error.
func sealField(seal sealFunc, field string, b []byte) ([]byte, error) {
	ct, err := seal(field, b)
	if err != nil {
		return nil, fmt.Errorf("enrol: seal %s: %w", field, err)
	}
	return ct, nil
}
