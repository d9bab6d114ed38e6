package httpapi

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"net/http"

	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol"
	"github.com/netid/netid/internal/enrol/enroltest"
)

// The resident's side of the enrolment tests: documents, selfies and a
// wallet that speaks the API over HTTP as a real one would, with bodies
// built from maps rather than the handlers' own types.

// chipBody is the start request of a chip document, with a guardian
// application when guardian is not nil.
func chipBody(doc *testdoc.Document, guardian map[string]any) map[string]any {
	b := map[string]any{"evidence": map[string]any{"chip": doc.Chip, "printed_mrz": doc.PrintedMRZ}}
	if guardian != nil {
		b["guardian"] = guardian
	}
	return b
}

// guardianBody is a guardian application by the resident of number.
func guardianBody(number string) map[string]any {
	return map[string]any{"internet_number": number, "password": enPassword, "relationship": "parent",
		"evidence_kind": "household-register", "evidence_reference": "HR-0001"}
}

// enWallet is the resident's side of one enrolment, over HTTP.
type enWallet struct {
	e       *enEnv
	started startedResponse
	device  crypto.Signer
}

// wallet reads a 201 start response.
func (e *enEnv) wallet(res enResponse) *enWallet {
	e.t.Helper()
	res.want(e.t, http.StatusCreated)
	w := &enWallet{e: e}
	res.into(e.t, &w.started)
	key, err := e.Suite.GenerateSigner(rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	w.device = key
	return w
}

func (w *enWallet) path(step string) string { return "/v1/enrolments/" + w.started.ID + step }

func (w *enWallet) post(step string, body any) enResponse {
	w.e.t.Helper()
	return w.e.call(http.MethodPost, w.path(step), w.started.Token, body)
}

func (w *enWallet) status() statusResponse {
	w.e.t.Helper()
	var st statusResponse
	w.e.call(http.MethodGet, w.path(""), w.started.Token, nil).want(w.e.t, http.StatusOK).into(w.e.t, &st)
	return st
}

// version is the stored version of the enrolment: a refused request must
// leave it as it was.
func (w *enWallet) version() int64 {
	w.e.t.Helper()
	rec, err := w.e.Store.Enrolment(context.Background(), w.started.ID)
	if err != nil {
		w.e.t.Fatal(err)
	}
	return rec.Version
}

// phone sends a code to number and verifies it.
func (w *enWallet) phone(number string) {
	w.e.t.Helper()
	var ch phoneChallengeResponse
	w.post("/phone", map[string]any{"number": number, "locale": "en"}).want(w.e.t, http.StatusAccepted).into(w.e.t, &ch)
	var st statusResponse
	w.post("/phone/verify", map[string]any{"number": number, "code": w.e.SMS.Code(w.started.ID)}).
		want(w.e.t, http.StatusOK).into(w.e.t, &st)
	if st.State != string(enrol.StatePhoneVerified) || st.Next != string(enrol.StepFace) {
		w.e.t.Fatalf("after the phone: state %q next %q, want phone-verified, face", st.State, st.Next)
	}
}

// face takes a challenge and submits a live capture of portrait seed.
func (w *enWallet) face(seed uint64, keep bool) enResponse {
	w.e.t.Helper()
	var ch faceChallengeResponse
	w.post("/face/challenge", nil).want(w.e.t, http.StatusOK).into(w.e.t, &ch)
	img := enroltest.LiveCapture(w.e.t, seed, 1)
	return w.post("/face", map[string]any{"image": base64.StdEncoding.EncodeToString(img), "format": "image/jpeg",
		"liveness": string(w.e.Attest(img, ch.Challenge, 0.99).Liveness), "keep_template": keep})
}

// csrPEM is the wallet's certification request for its device key.
func (w *enWallet) csrPEM() string {
	w.e.t.Helper()
	der, err := credential.CreateCSR(rand.Reader, w.device, w.started.CSRNonce)
	if err != nil {
		w.e.t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// run takes the enrolment through every step after the start: the phone
// (skipped when number is ""), the face, the password and the completion.
func (w *enWallet) run(number string, seed uint64) completedResponse {
	w.e.t.Helper()
	if number == "" {
		w.post("/phone/skip", nil).want(w.e.t, http.StatusOK)
	} else {
		w.phone(number)
	}
	var fr faceResultResponse
	w.face(seed, false).want(w.e.t, http.StatusOK).into(w.e.t, &fr)
	if fr.State != string(enrol.StateFaceVerified) || fr.Next != string(enrol.StepPassword) {
		w.e.t.Fatalf("after the face: %+v, want face-verified, next password", fr)
	}
	var st statusResponse
	w.post("/password", map[string]any{"password": enPassword}).want(w.e.t, http.StatusOK).into(w.e.t, &st)
	if st.State != string(enrol.StatePasswordSet) || st.Next != string(enrol.StepComplete) {
		w.e.t.Fatalf("after the password: %+v, want password-set, next complete", st)
	}
	var done completedResponse
	w.post("/complete", map[string]any{"csr": w.csrPEM()}).want(w.e.t, http.StatusCreated).into(w.e.t, &done)
	return done
}

// enrolAdult enrols an adult with a passport over HTTP.
func (e *enEnv) enrolAdult(number string, seed uint64, phoneNumber string) completedResponse {
	e.t.Helper()
	w := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.Passport(number, 35, seed), nil)))
	return w.run(phoneNumber, seed)
}

// enrolmentCount counts the enrolments in the store, whatever their state.
func (e *enEnv) enrolmentCount() int {
	e.t.Helper()
	recs, err := e.Store.EnrolmentsExpiredBefore(context.Background(), e.Clock.Now().AddDate(10, 0, 0), 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(recs)
}
