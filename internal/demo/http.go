package demo

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/netid/netid/internal/biometric"
	"github.com/netid/netid/internal/document/testdoc"
)

// Problem writes an RFC 9457 problem; the demo is given the server's writer
// so that its errors look like every other netid error.
type Problem func(w http.ResponseWriter, r *http.Request, status int, slug, detail string)

// Routes returns the demo's routes, keyed by ServeMux pattern.
func (d *Demo) Routes(problem Problem) map[string]http.Handler {
	return map[string]http.Handler{
		"GET /demo":                       http.HandlerFunc(d.index),
		"GET /demo/documents/{name}/chip": d.withDoc(problem, d.chip(problem)),
		"GET /demo/documents/{name}/face": d.withDoc(problem, d.face(problem)),
		"POST /demo/liveness":             d.attest(problem),
		"GET /demo/sms":                   d.sms(problem),
	}
}

type docInfo struct {
	Name       string `json:"name"`
	ChipURL    string `json:"chip_url"`
	FaceURL    string `json:"face_url"`
	PrintedMRZ string `json:"printed_mrz"`
	AgeYears   int    `json:"age_years"`
	Expect     string `json:"expect"`
	Reason     string `json:"reason,omitempty"`
}

func docName(c testdoc.ManifestChip) string {
	return strings.TrimSuffix(path.Base(c.File), ".json")
}

func (d *Demo) index(w http.ResponseWriter, r *http.Request) {
	var docs []docInfo
	for _, c := range d.manifest.Chips {
		n := docName(c)
		docs = append(docs, docInfo{
			Name: n, ChipURL: "/demo/documents/" + n + "/chip", FaceURL: "/demo/documents/" + n + "/face",
			PrintedMRZ: c.PrintedMRZ, AgeYears: c.AgeYears, Expect: c.Expect, Reason: c.Refusal.Reason,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"notice":       "demo mode: synthetic documents and a development liveness detector; nothing here is a real identity",
		"suite":        d.manifest.Suite,
		"documents":    docs,
		"sms_url":      "/demo/sms?enrolment={id}",
		"liveness_url": "/demo/liveness",
	})
}

func (d *Demo) withDoc(problem Problem, h func(http.ResponseWriter, *http.Request, testdoc.ManifestChip)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		for _, c := range d.manifest.Chips {
			if docName(c) == name {
				h(w, r, c)
				return
			}
		}
		problem(w, r, http.StatusNotFound, "not-found", fmt.Sprintf("no demo document %q; GET /demo lists them", name))
	})
}

func (d *Demo) chip(problem Problem) func(http.ResponseWriter, *http.Request, testdoc.ManifestChip) {
	return func(w http.ResponseWriter, r *http.Request, c testdoc.ManifestChip) {
		b, err := os.ReadFile(path.Join(d.dir, setDir, c.File))
		if err != nil {
			problem(w, r, http.StatusInternalServerError, "internal", "the demo document is unreadable on the server")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}
}

// face serves a capture of the document holder, or with ?seed=N of another
// synthetic person (to try a face mismatch).
func (d *Demo) face(problem Problem) func(http.ResponseWriter, *http.Request, testdoc.ManifestChip) {
	return func(w http.ResponseWriter, r *http.Request, c testdoc.ManifestChip) {
		seed := c.PortraitSeed
		if s := r.URL.Query().Get("seed"); s != "" {
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				problem(w, r, http.StatusBadRequest, "bad-request", "seed must be a non-negative integer")
				return
			}
			seed = n
		}
		img, err := FaceCapture(seed, mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), seed)))
		if err != nil {
			problem(w, r, http.StatusInternalServerError, "internal", "drawing the face failed")
			return
		}
		w.Header().Set("Content-Type", "image/jpeg")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(img)
	}
}

type attestRequest struct {
	Challenge string `json:"challenge"`
	Image     string `json:"image"`
}

// attest signs a liveness attestation for an image, as a phone's liveness
// detector would after watching the resident blink and turn.
func (d *Demo) attest(problem Problem) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req attestRequest
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			var mb *http.MaxBytesError
			if errors.As(err, &mb) {
				problem(w, r, http.StatusRequestEntityTooLarge, "body-too-large", err.Error())
				return
			}
			problem(w, r, http.StatusBadRequest, "bad-request", "want {\"challenge\": \"...\", \"image\": base64}: "+err.Error())
			return
		}
		img, err := base64.StdEncoding.DecodeString(req.Image)
		if err != nil || len(img) == 0 || req.Challenge == "" {
			problem(w, r, http.StatusBadRequest, "bad-request", "challenge and a base64 image are required")
			return
		}
		format := biometric.DetectFormat(img)
		att, err := d.liveness.Attest(biometric.LivenessStatement{
			Challenge: req.Challenge,
			Capture:   biometric.Capture{Image: img, Format: format},
			Score:     0.99, Threshold: 0.9,
			IssuedAt: d.now(),
		})
		if err != nil {
			problem(w, r, http.StatusBadRequest, "bad-request", "cannot attest this capture: "+err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"attestation": string(att)})
	})
}

func (d *Demo) sms(problem Problem) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		enrolment, to := r.URL.Query().Get("enrolment"), r.URL.Query().Get("to")
		if enrolment == "" && to == "" {
			problem(w, r, http.StatusBadRequest, "bad-request", "give ?enrolment=ID or ?to=+8613800138000")
			return
		}
		f, err := os.Open(d.smsSink)
		if errors.Is(err, os.ErrNotExist) {
			problem(w, r, http.StatusNotFound, "not-found", "no code has been sent yet")
			return
		}
		if err != nil {
			problem(w, r, http.StatusInternalServerError, "internal", "the SMS sink is unreadable on the server")
			return
		}
		defer f.Close()
		code, ok, err := LatestCode(f, enrolment, to)
		if err != nil {
			problem(w, r, http.StatusInternalServerError, "internal", "the SMS sink is unreadable on the server")
			return
		}
		if !ok {
			problem(w, r, http.StatusNotFound, "not-found", "no code has been sent to that enrolment or number")
			return
		}
		writeJSON(w, http.StatusOK, code)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
