package enroltest

import (
	"context"
	"time"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol"
)

// BirthForAge returns a birth date that makes a person age years old on
// the Env's day (a 29 February becomes the 28th, which every year has).
func (e *Env) BirthForAge(age int) document.Date {
	d := document.NewDate(e.Clock.Now())
	d.Year -= age
	if d.Month == time.February && d.Day == 29 {
		d.Day = 28
	}
	return d
}

// Passport issues a passport, valid five more years, of a synthetic woman
// aged age whose portrait is seed's; opts may break its chip
// (testdoc.TamperedGroup...). Her given name spells number in letters, so
// that two passport numbers are two people to the Service.
func (e *Env) Passport(number string, age int, seed uint64, opts ...testdoc.ChipOption) *testdoc.Document {
	e.T.Helper()
	portrait, err := testdoc.Portrait(seed)
	must(e.T, err)
	doc, err := e.Issuer.Issue(testdoc.DocumentSpec{
		Person: testdoc.Person{PrimaryIdentifier: "CESHI", SecondaryIdentifier: "TEST " + Letters(number),
			BirthDate: e.BirthForAge(age), Sex: "F"},
		DocumentNumber: number,
		Expiry:         document.NewDate(e.Clock.Now().AddDate(5, 0, 0)),
	}, portrait, opts...)
	must(e.T, err)
	return doc
}

// ChipEvidence is what a wallet submits of doc's chip.
func ChipEvidence(doc *testdoc.Document) *enrol.ChipEvidence {
	return &enrol.ChipEvidence{Dump: doc.Chip, PrintedMRZ: doc.PrintedMRZ}
}

// Letters spells the digits of s in letters (0 is A, 1 is B...), for a
// distinct Latin given name per synthetic person.
func Letters(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = 'A' + c - '0'
		}
	}
	return string(b)
}

// IDCard is a resident identity card the simulated authority knows.
type IDCard struct {
	Name   string
	Number string
	Birth  document.Date
	Sex    string
}

// Evidence is what a resident types of the card.
func (c IDCard) Evidence() *enrol.AuthorityEvidence {
	return &enrol.AuthorityEvidence{DocType: document.ResidentIDCard, Number: c.Number, Name: c.Name, BirthDate: c.Birth}
}

// RegisterIDCard makes the simulated authority know a valid resident ID
// card of name, birth and sex ("M" or "F"), with the number that seq
// (1, 2...) gives among the people of that birth date and sex.
func (e *Env) RegisterIDCard(name string, birth document.Date, sex string, seq int) IDCard {
	e.T.Helper()
	num, err := testdoc.ResidentIDNumber("110105", birth, sex, seq)
	must(e.T, err)
	e.AddAuthorityRecords(document.AuthorityRecord{DocType: document.ResidentIDCard, Number: num, Name: name,
		BirthDate: birth, Sex: sex, Status: document.StatusValid})
	return IDCard{Name: name, Number: num, Birth: birth, Sex: sex}
}

// AuthorityRecords returns a copy of the simulated authority's records.
func (e *Env) AuthorityRecords() []document.AuthorityRecord {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]document.AuthorityRecord(nil), e.records...)
}

// AddAuthorityRecords adds recs to the simulated authority. It rebuilds
// the authority, which indexes its records once, from all of them; the
// Service reaches it through a wrapper, so it sees the new records.
func (e *Env) AddAuthorityRecords(recs ...document.AuthorityRecord) {
	e.T.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	all := append(append([]document.AuthorityRecord(nil), e.records...), recs...)
	a, err := document.NewSimulatedAuthority(&document.AuthorityRecords{Authority: "sim-mps", Records: all},
		document.WithSimulatedClock(e.Clock.Now))
	must(e.T, err)
	e.records, e.authority = all, a
}

// authority is the Env's simulated authority as the Service sees it.
type authority struct{ e *Env }

func (a authority) Verify(ctx context.Context, q document.AuthorityQuery) (document.AuthorityResult, error) {
	a.e.mu.Lock()
	sim := a.e.authority
	a.e.mu.Unlock()
	return sim.Verify(ctx, q)
}
