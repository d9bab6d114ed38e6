package httpapi

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/pem"
	"image"
	"image/color"
	"image/jpeg"
	mrand "math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/credential"
	"github.com/netid/netid/internal/document"
	"github.com/netid/netid/internal/document/testdoc"
	"github.com/netid/netid/internal/enrol"
)

// The resident's side of the enrolment tests: documents, selfies and a
// wallet that speaks the API over HTTP as a real one would, with bodies
// built from maps rather than the handlers' own types.

// birthForAge returns a birth date that makes a person age years old on
// the env's day.
func (e *enEnv) birthForAge(age int) document.Date {
	d := document.NewDate(e.clock.Now())
	d.Year -= age
	if d.Month == time.February && d.Day == 29 {
		d.Day = 28
	}
	return d
}

// passport issues a passport of a synthetic person aged age with portrait
// seed; opts may break it (testdoc.TamperedGroup...).
func (e *enEnv) passport(number string, age int, seed uint64, opts ...testdoc.ChipOption) *testdoc.Document {
	e.t.Helper()
	portrait, err := testdoc.Portrait(seed)
	if err != nil {
		e.t.Fatal(err)
	}
	given := []byte(number)
	for i, c := range given {
		if c >= '0' && c <= '9' {
			given[i] = 'A' + c - '0'
		}
	}
	doc, err := e.issuer.Issue(testdoc.DocumentSpec{
		Person: testdoc.Person{PrimaryIdentifier: "CESHI", SecondaryIdentifier: "TEST " + string(given),
			BirthDate: e.birthForAge(age), Sex: "F"},
		DocumentNumber: number,
		Expiry:         document.NewDate(e.clock.Now().AddDate(5, 0, 0)),
	}, portrait, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return doc
}

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

// liveCapture is a selfie of the person of portrait seed: the portrait
// redrawn brighter, with sensor noise, re-encoded as a phone would.
func liveCapture(t *testing.T, seed, variant uint64) []byte {
	t.Helper()
	src := testdoc.PortraitImage(seed)
	b := src.Bounds()
	out := image.NewRGBA(b)
	rng := mrand.New(mrand.NewPCG(seed, variant))
	shift := int(variant%7) + 6
	clamp := func(v int) uint8 { return uint8(max(0, min(255, v))) }
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := src.RGBAAt(x, y)
			n := rng.IntN(9) - 4
			out.SetRGBA(x, y, color.RGBA{clamp(int(c.R) + shift + n), clamp(int(c.G) + shift + n), clamp(int(c.B) + shift + n), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// attest returns the development detector's attestation that img, for
// challenge, is live.
func (e *enEnv) attest(img []byte, challenge string) string {
	e.t.Helper()
	att, err := e.liveness.Attest(biometric.LivenessStatement{Challenge: challenge,
		Capture: biometric.Capture{Image: img, Format: biometric.FormatJPEG}, Score: 0.99, Threshold: 0.5, IssuedAt: e.clock.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	return string(att)
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
	key, err := e.suite.GenerateSigner(rand.Reader)
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
	rec, err := w.e.store.Enrolment(context.Background(), w.started.ID)
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
	w.post("/phone/verify", map[string]any{"number": number, "code": w.e.sms.code(w.started.ID)}).
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
	img := liveCapture(w.e.t, seed, 1)
	return w.post("/face", map[string]any{"image": base64.StdEncoding.EncodeToString(img), "format": "image/jpeg",
		"liveness": w.e.attest(img, ch.Challenge), "keep_template": keep})
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
	w := e.wallet(e.call(http.MethodPost, "/v1/enrolments", "", chipBody(e.passport(number, 35, seed), nil)))
	return w.run(phoneNumber, seed)
}

// enrolmentCount counts the enrolments in the store, whatever their state.
func (e *enEnv) enrolmentCount() int {
	e.t.Helper()
	recs, err := e.store.EnrolmentsExpiredBefore(context.Background(), e.clock.Now().AddDate(10, 0, 0), 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(recs)
}
