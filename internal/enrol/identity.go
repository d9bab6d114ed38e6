package enrol

import (
	"context"
	"errors"
	"fmt"

	"github.com/netid/netid/internal/crypto/envelope"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/store"
)

// Identity is what netid holds of a resident's identity, for the resident's
// own "data held" page (DESIGN.md flow 4). It is opened from the sealed
// record on demand; the database holds it only encrypted, and the identity
// anchor only as a blind index otherwise.
type Identity struct {
	Name           string
	BirthDate      document.Date
	Sex            string
	Nationality    string
	DocType        string // a document.DocType, or "mrz:" and the MRZ document code for chips
	DocumentNumber string
	IssuingState   string
	Expiry         document.Date
	// AnchorAuthority and AnchorPerson are the identity anchor in the
	// clear: the normalised (authority, person number).
	AnchorAuthority string
	AnchorPerson    string
	// AssistedKind is set when the identity was first established by a
	// registrar.
	AssistedKind AssistedKind
}

// Identity returns the identity of resident id, or ErrNotFound.
// envelope.ErrShredded in the chain means the resident's data was erased.
func (s *Service) Identity(ctx context.Context, id string) (Identity, error) {
	// Only the sealed column, not the whole row: this runs at every token
	// and userinfo request. It is read afresh each time (no cache), so a
	// deletion or an update shows at once.
	sealed, err := s.d.Store.ResidentIdentity(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Identity{}, ErrNotFound
	}
	if err != nil {
		return Identity{}, err
	}
	if len(sealed) == 0 {
		// A deleted resident keeps a tombstone row with the sealed column
		// wiped, and its data key is gone: the data was erased.
		return Identity{}, fmt.Errorf("enrol: identity of %s: %w", id, envelope.ErrShredded)
	}
	rec, err := s.openIdentity(ctx, id, sealed)
	if err != nil {
		return Identity{}, err
	}
	out := Identity{
		Name: rec.Name, BirthDate: rec.BirthDate, Sex: rec.Sex, Nationality: rec.Nationality,
		DocType: rec.DocType, DocumentNumber: rec.DocumentNumber, IssuingState: rec.IssuingState,
		Expiry: rec.Expiry, AnchorAuthority: rec.AnchorAuthority, AnchorPerson: rec.AnchorPerson,
	}
	if rec.Assisted != nil {
		out.AssistedKind = rec.Assisted.Kind
	}
	return out, nil
}
