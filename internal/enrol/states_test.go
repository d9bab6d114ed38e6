package enrol_test

import (
	"errors"
	"testing"
	"time"

	"github.com/netid/netid/internal/enrol"
)

func TestStateNext(t *testing.T) {
	tests := []struct {
		state enrol.State
		want  enrol.Step
	}{
		{enrol.StateCreated, enrol.StepPhone},
		{enrol.StatePhoneVerified, enrol.StepFace},
		{enrol.StateFaceVerified, enrol.StepPassword},
		{enrol.StatePasswordSet, enrol.StepComplete},
		{enrol.StateCompleted, enrol.StepNone},
		{"bogus", enrol.StepNone},
	}
	for _, tt := range tests {
		if got := tt.state.Next(); got != tt.want {
			t.Errorf("%q.Next() = %q, want %q", tt.state, got, tt.want)
		}
	}
}

func TestErrorTypes(t *testing.T) {
	ws := &enrol.WrongStepError{State: enrol.StateCreated, Expected: enrol.StepPhone, Got: enrol.StepFace}
	if !errors.Is(ws, enrol.ErrWrongStep) || errors.Is(ws, enrol.ErrNotFound) {
		t.Errorf("WrongStepError matches ErrWrongStep only: got %v", ws)
	}
	if got, want := ws.Error(), `this step is not the next one of your enrolment: the next step is "phone", not "face"`; got != want {
		t.Errorf("WrongStepError.Error() = %q, want %q", got, want)
	}
	te := &enrol.ThrottledError{RetryAfter: 1500 * time.Millisecond}
	if !errors.Is(te, enrol.ErrThrottled) || te.RetryAfterSeconds() != 2 {
		t.Errorf("ThrottledError: Is(ErrThrottled) %t, RetryAfterSeconds() %d; want true, 2", errors.Is(te, enrol.ErrThrottled), te.RetryAfterSeconds())
	}
	if s := (&enrol.ThrottledError{}).RetryAfterSeconds(); s != 1 {
		t.Errorf("zero ThrottledError.RetryAfterSeconds() = %d, want 1", s)
	}
}
