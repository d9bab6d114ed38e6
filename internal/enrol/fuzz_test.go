package enrol_test

import (
	"context"
	"errors"
	"testing"

	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/enrol"
)

// FuzzStartAuthority feeds Start the resident-typed fields of the
// authority pathway: whatever they hold, Start either starts an enrolment
// or refuses with one of the errors the HTTP layer maps, never anything
// else (a 500) and never a panic.
func FuzzStartAuthority(f *testing.F) {
	e := newEnv(f)
	valid := e.idCard("测试丁", e.BirthForAge(33), "M", 11)
	child := e.idCard("测试戊", e.BirthForAge(8), "F", 12)
	f.Add(string(valid.DocType), valid.Number, valid.Name, valid.BirthDate.String())
	f.Add(string(child.DocType), child.Number, child.Name, child.BirthDate.String())
	f.Add(string(valid.DocType), valid.Number, valid.Name, "1900-01-01")
	f.Add("passport", "E12345678", "X", "2000-01-01")
	f.Add("resident-id-card", "11010519491231002x", "张三", "1949-12-31")
	f.Add("hk-macao-travel-permit", "H1234567801", "", "")
	f.Add("", "", "", "")
	f.Add("RESIDENT-ID-CARD", "\x00\xff", "\u202e", "2024-02-30")
	allowed := []error{enrol.ErrEvidenceRefused, enrol.ErrInvalidRequest, enrol.ErrGuardianRequired,
		enrol.ErrDuplicateIdentity, enrol.ErrThrottled, enrol.ErrEvidenceUnavailable}
	f.Fuzz(func(t *testing.T, docType, number, name, birth string) {
		d, _ := document.ParseDate(birth)
		st, err := e.Service.Start(context.Background(), enrol.StartRequest{ClientAddr: "192.0.2.200",
			Evidence: enrol.Evidence{Authority: &enrol.AuthorityEvidence{DocType: document.DocType(docType), Number: number, Name: name, BirthDate: d}}})
		if err == nil {
			if st.ID == "" || st.Token == "" {
				t.Fatalf("Start() = %+v, nil; want an id and a token", st)
			}
			return
		}
		for _, a := range allowed {
			if errors.Is(err, a) {
				return
			}
		}
		t.Fatalf("Start() error = %v, want one of the enrol refusals", err)
	})
}
