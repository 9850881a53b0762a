package health

import (
	"errors"
	"testing"
	"time"
)

func TestTrackerStepsAndStatus(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	tr := NewTracker("1.2.3", []string{"a", "b", "c"}, now)

	r := tr.Report()
	if r.Status != StatusStarting {
		t.Fatalf("initial status = %s, want starting", r.Status)
	}
	for _, s := range r.Steps {
		if s.Status != StepPending {
			t.Errorf("step %s = %s, want pending", s.Name, s.Status)
		}
	}

	tr.Begin("a")
	clock = clock.Add(25 * time.Millisecond)
	tr.End("a", nil)
	tr.Skip("b")
	tr.Begin("c")
	tr.End("c", errors.New("boom"))

	r = tr.Report()
	if r.Status != StatusFailed {
		t.Errorf("status after failed step = %s, want failed", r.Status)
	}
	if got := r.Steps[0]; got.Status != StepOK || got.DurationMs == nil || *got.DurationMs != 25 {
		t.Errorf("step a = %+v, want ok with 25 ms", got)
	}
	if got := r.Steps[1]; got.Status != StepSkipped {
		t.Errorf("step b = %s, want skipped", got.Status)
	}
	if got := r.Steps[2]; got.Status != StepFailed || got.Error != "boom" {
		t.Errorf("step c = %+v, want failed with error boom", got)
	}
	if r.StartedAt != "2026-01-01T00:00:00.000Z" {
		t.Errorf("StartedAt = %q", r.StartedAt)
	}
	if r.UptimeMs != 25 {
		t.Errorf("UptimeMs = %d, want 25", r.UptimeMs)
	}
}
