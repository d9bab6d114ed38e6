package httpapi

import (
	"net/http"
	"testing"
)

// enrolmentBodies are the request bodies of the enrolment API, in the
// order FuzzDecodeEnrolmentRequests picks them, each decoded and checked
// as its handler does. The function reports the problem, and whether the
// checked request holds together when there is none.
var enrolmentBodies = []struct {
	name  string
	check func(data []byte) (*Problem, bool)
}{
	{"start", func(data []byte) (*Problem, bool) {
		var r startRequest
		if p := decodeJSONBody(data, &r); p != nil {
			return p, true
		}
		ev, p := r.evidence()
		return p, p != nil || (ev.Chip == nil) != (ev.Authority == nil)
	}},
	{"assisted start", func(data []byte) (*Problem, bool) {
		var r assistedRequest
		if p := decodeJSONBody(data, &r); p != nil {
			return p, true
		}
		ev, p := r.evidence()
		return p, p != nil || (ev.Kind != "" && ev.Reference != "" && !ev.BirthDate.IsZero())
	}},
	{"phone", func(data []byte) (*Problem, bool) {
		var r phoneSendRequest
		if p := decodeJSONBody(data, &r); p != nil {
			return p, true
		}
		opts, p := r.options()
		return p, p != nil || r.Number != "" && (len(opts) == 1) == (r.Locale != "")
	}},
	{"phone verify", func(data []byte) (*Problem, bool) {
		var r phoneVerifyRequest
		if p := decodeJSONBody(data, &r); p != nil {
			return p, true
		}
		p := r.check()
		return p, p != nil || r.Number != "" && r.Code != ""
	}},
	{"face", func(data []byte) (*Problem, bool) {
		var r faceRequest
		if p := decodeJSONBody(data, &r); p != nil {
			return p, true
		}
		c, p := r.capture()
		return p, p != nil || len(c.Image) > 0 && c.Liveness != ""
	}},
	{"password", func(data []byte) (*Problem, bool) {
		var r passwordRequest
		if p := decodeJSONBody(data, &r); p != nil {
			return p, true
		}
		p := r.check()
		return p, p != nil || r.Password != ""
	}},
	{"complete", func(data []byte) (*Problem, bool) {
		var r completeRequest
		if p := decodeJSONBody(data, &r); p != nil {
			return p, true
		}
		p := r.check()
		return p, p != nil || r.CSR != ""
	}},
	{"guardian approval", func(data []byte) (*Problem, bool) {
		var r approvalRequest
		if p := decodeJSONBody(data, &r); p != nil {
			return p, true
		}
		a, p := r.approval()
		return p, p != nil || r.Guardian != nil && a.InternetNumber != "" && a.ApprovalCode != ""
	}},
	{"empty", func(data []byte) (*Problem, bool) {
		var r struct{}
		return decodeJSONBody(data, &r), true
	}},
	{"upgrade", func(data []byte) (*Problem, bool) {
		var r upgradeRequest
		if p := decodeJSONBody(data, &r); p != nil {
			return p, true
		}
		ev, face, p := r.check()
		return p, p != nil || r.Resident != nil && r.Resident.InternetNumber != "" && r.Resident.Password != "" &&
			(ev.Chip == nil) != (ev.Authority == nil) &&
			face != nil && face.Challenge != "" && len(face.Capture.Image) > 0 && face.Capture.Liveness != ""
	}},
	{"upgrade challenge", func(data []byte) (*Problem, bool) {
		var r upgradeChallengeRequest
		if p := decodeJSONBody(data, &r); p != nil {
			return p, true
		}
		var f fieldErrors
		r.Resident.check(&f, "resident")
		p := f.problem()
		return p, p != nil || r.Resident != nil && r.Resident.InternetNumber != "" && r.Resident.Password != ""
	}},
}

// FuzzDecodeEnrolmentRequests feeds arbitrary bytes to the decoding and
// checking of every request body: no panic, every refusal a 4xx problem,
// and every accepted request complete.
func FuzzDecodeEnrolmentRequests(f *testing.F) {
	seeds := []struct {
		body int
		data string
	}{
		{0, `{"evidence":{"chip":{"format":"netid-chip/1","files":{"DG1":"YQ==","SOD":"dw=="}},"printed_mrz":"P<CHN\nE123"}}`},
		{0, `{"evidence":{"authority":{"doc_type":"resident-id-card","number":"11010519491231002X","name":"张三","birth_date":"1949-12-31"}},` +
			`"guardian":{"internet_number":"ABCDE12345","password":"pw","relationship":"parent","evidence_kind":"household-register","evidence_reference":"R1","consent":true}}`},
		{0, `{"evidence":{"chip":{"format":"netid-chip/1","files":{"DG99":"YQ=="}}}}`},
		{0, `{"evidence":{"chip":null,"authority":null}}`},
		{0, `{"evidence":{"chip":{"format":"netid-chip/1","files":{"DG1":"%%"}},"authority":{}}}`},
		{0, `{"evidence":{"authority":{"doc_type":"passport","number":"1","name":"x","birth_date":"2000-02-30"}}}`},
		{1, `{"evidence":{"kind":"refugee-registration","reference":"U-1","issuer":"UNHCR","name":"A","birth_date":"1990-01-01","sex":"F","notes":"n"}}`},
		{1, `{"evidence":{"kind":"","birth_date":"1990"}}`},
		{2, `{"number":"+8613800138000","locale":"zh-CN"}`},
		{2, `{"number":"13800138000","locale":"de"}`},
		{3, `{"number":"13800138000","code":"123456"}`},
		{3, `{"number":"13800138000","number":"13900139000","code":"1"}`},
		{4, `{"image":"/9j/4AAQ","format":"image/jpeg","liveness":"a.b.c","keep_template":true}`},
		{4, `{"image":"!!","liveness":""}`},
		{5, `{"password":"correct horse battery staple"}`},
		{5, `{"password":null}`},
		{6, `{"csr":"-----BEGIN CERTIFICATE REQUEST-----\nMA==\n-----END CERTIFICATE REQUEST-----\n"}`},
		{7, `{"guardian":{"internet_number":"ABCDE12345","password":"pw"},"minor_internet_number":"FGHJK12345","approval_code":"A-B",` +
			`"relationship":"parent","evidence_kind":"birth-certificate","evidence_reference":"B1","evidence_notes":"n"}`},
		{7, `{"guardian":{},"minor_internet_number":1}`},
		{8, `{}`},
		{8, `{"x":[1,{"y":2}]} trailing`},
		{8, "{\"\xff\":1}"},
		{8, `{"a":{"b":{"c":[[[[[[[[[[]]]]]]]]]]}}}`},
		{9, `{"resident":{"internet_number":"ABCDE-12345","password":"pw"},"evidence":{"chip":{"format":"netid-chip/1","files":{"DG1":"YQ==","SOD":"dw=="}},"printed_mrz":"P<CHN"},` +
			`"face":{"challenge":"AQ","image":"/9j/4AAQ","format":"image/jpeg","liveness":"a.b.c"}}`},
		{9, `{"resident":{"internet_number":"ABCDE12345","password":"pw"},"evidence":{"authority":{}},"face":{"challenge":"","image":"!!","liveness":""}}`},
		{10, `{"resident":{"internet_number":"ABCDE12345","password":"pw"}}`},
		{10, `{"resident":{"internet_number":"","password":""},"face":{}}`},
		{9, `{"resident":{"internet_number":"ABCDE12345","password":"pw"},"evidence":{"authority":{"doc_type":"resident-id-card","number":"1","name":"x","birth_date":"2000-01-01"}}}`},
		{9, `{"resident":{"internet_number":" ","password":""},"evidence":{"chip":null}}`},
		{9, `{"resident":null,"evidence":{"chip":{"format":"netid-chip/1","files":{}},"authority":{}}}`},
		{9, `{"resident":{"internet_number":"A","password":"p","password":"q"}}`},
	}
	for _, s := range seeds {
		f.Add(uint8(s.body), []byte(s.data))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		b := enrolmentBodies[int(which)%len(enrolmentBodies)]
		p, whole := b.check(data)
		if p != nil && (p.Status < http.StatusBadRequest || p.Status >= http.StatusInternalServerError || p.Detail == "") {
			t.Fatalf("%s body %q: problem %+v, want a 4xx with a detail", b.name, data, p)
		}
		if !whole {
			t.Fatalf("%s body %q: accepted, but the checked request is incomplete", b.name, data)
		}
	})
}
