package storage

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestInTxRetriesDeadlock(t *testing.T) {
	s := openTest(t, testConfig(t, DialectPostgres), Options{})
	ctx := testContext(t)
	a, b := Account{Email: "a@example.com"}, Account{Email: "b@example.com"}
	for _, acc := range []*Account{&a, &b} {
		if err := s.Accounts().Create(ctx, acc); err != nil {
			t.Fatalf("creating account: %v", err)
		}
	}

	// Each transaction locks one row, waits until the other has locked the
	// other row, then requests it. Postgres detects the deadlock and fails
	// one of them with 40P01, so InTx runs that one again.
	var attempts atomic.Int32
	var locked sync.WaitGroup
	locked.Add(2)
	run := func(first, second string) error {
		var once sync.Once
		return s.InTx(ctx, func(r Repos) error {
			attempts.Add(1)
			if err := r.Accounts().SetEnabled(ctx, first, false); err != nil {
				return err
			}
			once.Do(func() {
				locked.Done()
				waitGroupTimeout(&locked, 10*time.Second)
			})
			return r.Accounts().SetEnabled(ctx, second, false)
		})
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = run(a.ID, b.ID) })
	wg.Go(func() { errs[1] = run(b.ID, a.ID) })
	wg.Wait()

	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction %d: %v", i, err)
		}
	}
	if n := attempts.Load(); n != 3 {
		t.Errorf("fn ran %d times, want 3 (one deadlock victim retried once)", n)
	}
	got, _ := s.Accounts().Get(ctx, a.ID)
	if got.RowVersion != 3 {
		t.Errorf("row version = %d, want 3 (one update per committed transaction)", got.RowVersion)
	}
}

func waitGroupTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(d):
	}
}

func TestInTxDoesNotRetryOtherErrors(t *testing.T) {
	s := openTest(t, testConfig(t, DialectSQLite), Options{})
	boom := errors.New("boom")
	calls := 0
	err := s.InTx(testContext(t), func(Repos) error {
		calls++
		return boom
	})
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("InTx = %v after %d calls, want boom after 1", err, calls)
	}
}
