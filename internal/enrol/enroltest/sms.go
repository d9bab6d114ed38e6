package enroltest

import (
	"context"
	"sync"

	"github.com/netid/netid/internal/phone"
)

// SMS is the phone verifier's capturing sender: it delivers nothing and
// records the last code sent for each enrolment (binding) and for each
// number, and how many messages were sent. It is safe for concurrent use,
// as the verifier sends from request goroutines.
type SMS struct {
	mu        sync.Mutex
	byBinding map[string]string
	byNumber  map[string]string
	sends     int
}

func newSMS() *SMS {
	return &SMS{byBinding: map[string]string{}, byNumber: map[string]string{}}
}

func (s *SMS) send(_ context.Context, m phone.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byBinding[m.BindingID] = m.Code
	s.byNumber[m.To.E164()] = m.Code
	s.sends++
	return nil
}

// Code is the last code sent for the enrolment (or other binding) id, or
// "" when none was.
func (s *SMS) Code(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byBinding[id]
}

// CodeTo is the last code sent to number, in E.164 form (+8613800138000),
// or "" when none was.
func (s *SMS) CodeTo(number string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byNumber[number]
}

// Count is how many messages were sent.
func (s *SMS) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sends
}
