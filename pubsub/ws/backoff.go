package ws

import (
	"math/rand/v2"
	"time"
)

// backoff returns the wait before reconnect attempt n (from 1): a random duration in
// [d/2, d] with d = min(maxDelay, minDelay * 2^(n-1)).
func backoff(n int, minDelay, maxDelay time.Duration, jitter func(time.Duration) time.Duration) time.Duration {
	d := minDelay
	for i := 1; i < n && d < maxDelay; i++ {
		d *= 2
	}
	if d > maxDelay || d <= 0 {
		d = maxDelay
	}
	return jitter(d)
}

// randomJitter returns a random duration in [d/2, d].
func randomJitter(d time.Duration) time.Duration {
	half := d / 2
	return half + rand.N(d-half+1)
}

// clock lets tests observe and skip backoff waits.
type clock struct {
	jitter func(time.Duration) time.Duration
	after  func(time.Duration) <-chan time.Time
}

func (c *clock) withDefaults() clock {
	out := clock{jitter: randomJitter, after: time.After}
	if c != nil && c.jitter != nil {
		out.jitter = c.jitter
	}
	if c != nil && c.after != nil {
		out.after = c.after
	}
	return out
}
