package wallet

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// problemTypeBase prefixes netid's problem types (httpapi.ProblemTypeBase).
const problemTypeBase = "urn:netid:problem:"

// The problem slugs of the enrolment API (the part of the type after
// "urn:netid:problem:"; see the API contract), for IsProblem.
const (
	ProblemNotFound          = "not-found"
	ProblemExpired           = "enrolment-expired"
	ProblemWrongStep         = "wrong-step"
	ProblemDuplicateIdentity = "duplicate-identity"
	ProblemGuardianRequired  = "guardian-required"
	ProblemEvidenceRefused   = "evidence-refused"
	ProblemWrongCode         = "wrong-code"
	ProblemPhoneInUse        = "phone-in-use"
	ProblemPhoneRequired     = "phone-required"
	ProblemNotLive           = "not-live"
	ProblemFaceMismatch      = "face-mismatch"
	ProblemTooManyAttempts   = "too-many-attempts"
	ProblemWeakPassword      = "weak-password"
	ProblemBadCredentials    = "bad-credentials"
	ProblemAccountPending    = "account-pending"
	ProblemUpgradeMismatch   = "upgrade-mismatch"
	// ProblemUpgradeNeedsPortrait: the upgrade's chip was read without its
	// portrait, so the face could not be matched.
	ProblemUpgradeNeedsPortrait = "upgrade-needs-portrait"
	ProblemBadCSR               = "bad-csr"
	ProblemThrottled            = "throttled"
	ProblemBusy                 = "busy"
)

// Problem is an error the server answered, decoded from its RFC 9457
// application/problem+json body. Its message (Error) is the detail the
// server wrote for the resident, or the title when there is none.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// RequestID is what the resident quotes to support staff.
	RequestID string `json:"request_id,omitempty"`
	// RetryAfter is the Retry-After header of a 429 or 503, zero if absent.
	RetryAfter time.Duration `json:"-"`
}

// Error returns what the resident should read: the detail, else the
// title; for a server error, with the request id to quote.
func (p *Problem) Error() string {
	msg := p.Detail
	if msg == "" {
		msg = p.Title
	}
	if msg == "" {
		msg = fmt.Sprintf("the server answered %d %s", p.Status, http.StatusText(p.Status))
	}
	if p.Status >= 500 && p.RequestID != "" {
		msg += " (request id " + p.RequestID + ")"
	}
	return msg
}

// Slug returns the netid problem slug ("wrong-step"), or "" for a problem
// type that is not netid's (about:blank, a proxy's error).
func (p *Problem) Slug() string {
	if s, ok := strings.CutPrefix(p.Type, problemTypeBase); ok {
		return s
	}
	return ""
}

// IsProblem reports whether err is, or wraps, a *Problem with slug.
func IsProblem(err error, slug string) bool {
	var p *Problem
	return errors.As(err, &p) && p.Slug() == slug
}

// maxProblemText bounds each text member of a problem, so that a hostile
// or broken server cannot flood the resident's terminal.
const maxProblemText = 1000

// decodeProblem builds the Problem of an error response: from its body
// when that is a problem object, else from the status alone, so that a
// proxy's HTML error page still gives a readable error. Server text is
// cleaned of control characters before it can reach a terminal.
func decodeProblem(status int, header http.Header, body []byte) *Problem {
	p := &Problem{}
	ct, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if ct == "application/problem+json" || ct == "application/json" {
		if err := json.Unmarshal(body, p); err != nil {
			p = &Problem{}
		}
	}
	if p.Type == "" {
		p.Type = "about:blank" // RFC 9457 section 4.2.1
	}
	// The HTTP status is authoritative (RFC 9457 section 3.1.3).
	p.Status = status
	if p.Title == "" {
		p.Title = http.StatusText(status)
	}
	p.Type = cleanText(p.Type)
	p.Title = cleanText(p.Title)
	p.Detail = cleanText(p.Detail)
	p.Instance = cleanText(p.Instance)
	p.RequestID = cleanText(p.RequestID)
	p.RetryAfter = parseRetryAfter(header.Get("Retry-After"))
	return p
}

// cleanText drops control characters (terminal escapes among them) and
// cuts s to maxProblemText bytes on a rune boundary.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		if unicode.IsControl(r) || r == unicode.ReplacementChar || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, s)
	if len(s) <= maxProblemText {
		return s
	}
	cut := maxProblemText
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// parseRetryAfter reads a Retry-After header given in seconds (RFC 9110
// section 10.2.3), which is the form netid sends; an HTTP date, a
// negative or a huge value gives 0 (unknown) or is capped at a day.
func parseRetryAfter(v string) time.Duration {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(min(n, 86400)) * time.Second
}
