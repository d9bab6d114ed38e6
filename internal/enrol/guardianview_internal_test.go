package enrol

import (
	"testing"
	"time"

	"github.com/netid/netid/internal/document"
)

// comingOfAge is the first day AgeOn says age: the birthday, 1 March for
// 29 February in a common year, 1 January for an unknown month.
func TestComingOfAge(t *testing.T) {
	tests := []struct {
		birth document.Date
		want  document.Date
	}{
		{document.Date{Year: 2007, Month: time.September, Day: 1}, document.Date{Year: 2025, Month: time.September, Day: 1}},
		{document.Date{Year: 2008, Month: time.February, Day: 29}, document.Date{Year: 2026, Month: time.March, Day: 1}},
		{document.Date{Year: 2012, Month: time.February, Day: 29}, document.Date{Year: 2030, Month: time.March, Day: 1}},
		{document.Date{Year: 2007}, document.Date{Year: 2025, Month: time.January, Day: 1}},
		{document.Date{Year: 2007, Month: time.June}, document.Date{Year: 2025, Month: time.June, Day: 1}},
	}
	for _, tt := range tests {
		got := comingOfAge(tt.birth, 18)
		if got != tt.want {
			t.Errorf("comingOfAge(%v) = %v, want %v", tt.birth, got, tt.want)
		}
		day := time.Date(got.Year, got.Month, got.Day, 0, 0, 0, 0, time.UTC)
		if tt.birth.AgeOn(day) != 18 || tt.birth.AgeOn(day.Add(-time.Second)) != 17 {
			t.Errorf("%v: AgeOn disagrees at %v", tt.birth, got)
		}
	}
}
