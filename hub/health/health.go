// Package health tracks the hub's startup steps and builds the report that
// GET /health serves.
package health

import (
	"sync"
	"time"
)

// Status is the overall state of a hub process.
type Status string

// Overall states. Only StatusReady makes /health return 200.
const (
	StatusStarting Status = "starting"
	StatusReady    Status = "ready"
	StatusStopping Status = "stopping"
	StatusFailed   Status = "failed"
)

// StepStatus is the state of one startup step.
type StepStatus string

// Step states.
const (
	StepPending StepStatus = "pending"
	StepRunning StepStatus = "running"
	StepOK      StepStatus = "ok"
	StepFailed  StepStatus = "failed"
	StepSkipped StepStatus = "skipped"
)

// Step is one startup step as the report shows it.
type Step struct {
	Name       string     `json:"name"`
	Status     StepStatus `json:"status"`
	StartedAt  string     `json:"startedAt,omitempty"`
	DurationMs *int64     `json:"durationMs,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// Check values.
const (
	CheckOK   = "ok"
	CheckDown = "down"
)

// Checks are the background health probes.
type Checks struct {
	Database        string `json:"database"`
	Bus             string `json:"bus"`
	SpokesConnected int    `json:"spokesConnected"`
}

// Report is the body of GET /health.
type Report struct {
	Status     Status `json:"status"`
	Version    string `json:"version"`
	InstanceID string `json:"instanceId"`
	StartedAt  string `json:"startedAt"`
	UptimeMs   int64  `json:"uptimeMs"`
	Steps      []Step `json:"steps"`
	Checks     Checks `json:"checks"`
}

// Tracker records step progress and the overall status. It is safe for
// concurrent use.
type Tracker struct {
	mu         sync.Mutex
	now        func() time.Time
	version    string
	instanceID string
	startedAt  time.Time
	status     Status
	steps      []Step
	began      map[string]time.Time
	checks     Checks
}

// NewTracker returns a tracker in StatusStarting with every named step
// pending. now may be nil (time.Now).
func NewTracker(version string, steps []string, now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	t := &Tracker{
		now:       now,
		version:   version,
		startedAt: now(),
		status:    StatusStarting,
		began:     make(map[string]time.Time),
		checks:    Checks{Database: CheckDown, Bus: CheckDown},
	}
	for _, s := range steps {
		t.steps = append(t.steps, Step{Name: s, Status: StepPending})
	}
	return t
}

// SetInstanceID records the instance id once it is known.
func (t *Tracker) SetInstanceID(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.instanceID = id
}

// Begin marks a step running.
func (t *Tracker) Begin(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.began[name] = now
	t.update(name, func(s *Step) {
		s.Status = StepRunning
		s.StartedAt = formatTime(now)
	})
}

// End marks a step ok, or failed when err is not nil; a failed step turns
// the overall status to StatusFailed.
func (t *Tracker) End(name string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	elapsed := t.now().Sub(t.began[name]).Milliseconds()
	t.update(name, func(s *Step) {
		s.DurationMs = &elapsed
		s.Status = StepOK
		if err != nil {
			s.Status = StepFailed
			s.Error = err.Error()
		}
	})
	if err != nil {
		t.status = StatusFailed
	}
}

// Skip marks a step skipped.
func (t *Tracker) Skip(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.update(name, func(s *Step) { s.Status = StepSkipped })
}

func (t *Tracker) update(name string, fn func(*Step)) {
	for i := range t.steps {
		if t.steps[i].Name == name {
			fn(&t.steps[i])
			return
		}
	}
	s := Step{Name: name}
	fn(&s)
	t.steps = append(t.steps, s)
}

// SetStatus sets the overall status.
func (t *Tracker) SetStatus(s Status) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.status = s
}

// Status returns the overall status.
func (t *Tracker) Status() Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status
}

// SetChecks records the latest probe results.
func (t *Tracker) SetChecks(c Checks) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.checks = c
}

// Report returns a snapshot for /health.
func (t *Tracker) Report() Report {
	t.mu.Lock()
	defer t.mu.Unlock()
	steps := make([]Step, len(t.steps))
	copy(steps, t.steps)
	return Report{
		Status:     t.status,
		Version:    t.version,
		InstanceID: t.instanceID,
		StartedAt:  formatTime(t.startedAt),
		UptimeMs:   t.now().Sub(t.startedAt).Milliseconds(),
		Steps:      steps,
		Checks:     t.checks,
	}
}

// formatTime renders RFC 3339 in UTC with milliseconds, the hub's time
// format on the HTTP surface.
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}
