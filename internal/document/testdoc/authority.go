package testdoc

import (
	"fmt"
	"strings"
	"time"

	"github.com/netid/netid/internal/document"
)

// AuthorityID is the identifier the simulated authority of a test set
// answers with.
const AuthorityID = "netid-test-authority"

// AuthorityCase is one query to the simulated authority and the status it
// must answer.
type AuthorityCase struct {
	Label  string                  `json:"label"`
	Query  document.AuthorityQuery `json:"query"`
	Expect document.Status         `json:"expect"`
}

// AuthoritySet returns the simulated authority's records for people, and
// the queries that exercise every answer:
//
//   - each person with a Region and sex M or F has a valid resident ID card
//     record (sequence 0), queried with their card name and birth date;
//   - the first such person also has two more cards (sequences 1 and 2): one
//     reported lost (revoked), one whose expiry date has passed (expired);
//   - a number of that person that no record holds (sequence 3) is not
//     found, and their valid number queried with the wrong birth date is a
//     mismatch.
//
// now is the reference for the past expiry date and for the records check.
func AuthoritySet(people []SetPerson, now time.Time) (*document.AuthorityRecords, []AuthorityCase, error) {
	recs := &document.AuthorityRecords{Authority: AuthorityID}
	var cases []AuthorityCase
	var first *SetPerson
	for i := range people {
		p := &people[i]
		if p.Region == "" || (p.Spec.Sex != "M" && p.Spec.Sex != "F") {
			continue
		}
		n, err := ResidentIDNumber(p.Region, p.Spec.BirthDate, p.Spec.Sex, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("testdoc: person %s: %w", p.Name, err)
		}
		name := p.cardName()
		recs.Records = append(recs.Records, document.AuthorityRecord{
			DocType: document.ResidentIDCard, Number: n, Name: name, BirthDate: p.Spec.BirthDate,
			Sex: p.Spec.Sex, Status: document.StatusValid, Expiry: p.Spec.Expiry,
		})
		cases = append(cases, AuthorityCase{Label: p.Name, Expect: document.StatusValid,
			Query: document.AuthorityQuery{DocType: document.ResidentIDCard, Number: n, Name: name, BirthDate: p.Spec.BirthDate}})
		if first == nil {
			first = p
		}
	}
	if first == nil {
		return recs, cases, nil
	}
	number := func(seq int) (string, error) {
		return ResidentIDNumber(first.Region, first.Spec.BirthDate, first.Spec.Sex, seq)
	}
	extra := []struct {
		label  string
		seq    int
		name   string
		status document.Status
		expiry document.Date
		expect document.Status
	}{
		{"revoked", 1, "测试挂失", document.StatusRevoked, first.Spec.Expiry, document.StatusRevoked},
		{"expired", 2, "测试过期", document.StatusValid, document.NewDate(now.AddDate(0, -1, 0)), document.StatusExpired},
	}
	for _, e := range extra {
		n, err := number(e.seq)
		if err != nil {
			return nil, nil, err
		}
		recs.Records = append(recs.Records, document.AuthorityRecord{
			DocType: document.ResidentIDCard, Number: n, Name: e.name, BirthDate: first.Spec.BirthDate,
			Sex: first.Spec.Sex, Status: e.status, Expiry: e.expiry,
		})
		cases = append(cases, AuthorityCase{Label: e.label, Expect: e.expect,
			Query: document.AuthorityQuery{DocType: document.ResidentIDCard, Number: n, Name: e.name, BirthDate: first.Spec.BirthDate}})
	}
	unknown, err := number(3)
	if err != nil {
		return nil, nil, err
	}
	cases = append(cases,
		AuthorityCase{Label: "not-found", Expect: document.StatusNotFound,
			Query: document.AuthorityQuery{DocType: document.ResidentIDCard, Number: unknown, Name: first.cardName(), BirthDate: first.Spec.BirthDate}},
		AuthorityCase{Label: "mismatch", Expect: document.StatusMismatch,
			Query: document.AuthorityQuery{DocType: document.ResidentIDCard, Number: cases[0].Query.Number, Name: first.cardName(),
				BirthDate: document.NewDate(time.Date(first.Spec.BirthDate.Year, first.Spec.BirthDate.Month, first.Spec.BirthDate.Day+1, 0, 0, 0, 0, time.UTC))}},
	)
	return recs, cases, nil
}

// cardName is the name as printed on the person's resident ID card: NameOnCard,
// or else the Latin name.
func (p SetPerson) cardName() string {
	if p.NameOnCard != "" {
		return p.NameOnCard
	}
	return strings.TrimSpace(p.Spec.PrimaryIdentifier + " " + p.Spec.SecondaryIdentifier)
}
