package ws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/pubsub"
)

// Conn is one connection accepted by a Server. Its methods are safe for concurrent use.
type Conn struct {
	s    *Server
	ws   *websocket.Conn // nil only for connections built by frame-handler tests
	info ConnInfo

	// topics holds the connection's subscriptions; guarded by s.mu. nil after removal.
	topics map[string]struct{}

	qmu         sync.Mutex
	queue       frameQueue
	queuedBytes int // bytes queued or being written
	closing     bool
	closeCode   int
	closeReason string
	cause       error
	wake        chan struct{}

	dropped atomic.Uint64
	// running counts the connection's goroutines; the last to exit reports the disconnect.
	running atomic.Int32
}

// outFrame is one frame queued for a connection: a prepared message shared by the receivers
// of one publish, or the encoded bytes of a direct send.
type outFrame struct {
	pm   *websocket.PreparedMessage
	data []byte
	size int
}

func newConn(s *Server, ws *websocket.Conn, info ConnInfo) *Conn {
	c := &Conn{
		s:      s,
		ws:     ws,
		info:   info,
		topics: make(map[string]struct{}),
		wake:   make(chan struct{}, 1),
	}
	c.running.Store(2)
	return c
}

// ID returns the connection id.
func (c *Conn) ID() string { return c.info.ID }

// Info returns the ConnInfo the connection was accepted with, its id filled in.
func (c *Conn) Info() ConnInfo { return c.info }

// Topics returns the connection's subscribed topics, sorted.
func (c *Conn) Topics() []string {
	c.s.mu.RLock()
	out := make([]string, 0, len(c.topics))
	for t := range c.topics {
		out = append(out, t)
	}
	c.s.mu.RUnlock()
	slices.Sort(out)
	return out
}

// QueuedBytes returns the bytes queued for the connection or being written to it.
func (c *Conn) QueuedBytes() int {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return c.queuedBytes
}

// Dropped returns how many frames the drop policies discarded for this connection.
func (c *Conn) Dropped() uint64 { return c.dropped.Load() }

// Send writes env to this connection whatever its subscriptions, under the same budget rule
// as Publish. It returns pubsub.ErrClosed for a removed connection, pubsub.ErrSlowConsumer
// when the send made the server remove it, and pubsub.ErrDropped when a drop policy
// discarded the frame.
func (c *Conn) Send(_ context.Context, env pubsub.Envelope) error {
	if err := pubsub.ValidateType(env.Type); err != nil {
		return err
	}
	data, err := pubsub.EncodeEnvelope(env)
	if err != nil {
		return err
	}
	return c.enqueue(&outFrame{data: data, size: len(data)})
}

// Close removes the connection: it leaves the registry and every topic at once, then the
// writer sends a close frame with code and reason (cut to 123 bytes) and closes the socket.
// OnDisconnect then receives a nil error. Close is idempotent and always returns nil.
func (c *Conn) Close(code int, reason string) error {
	c.remove(code, reason, nil)
	return nil
}

// enqueue adds f to the send queue under the budget rule and slow-consumer policy.
func (c *Conn) enqueue(f *outFrame) error {
	opts := &c.s.opts
	c.qmu.Lock()
	if c.closing {
		c.qmu.Unlock()
		return pubsub.ErrClosed
	}
	if c.overBudget() {
		switch opts.SlowConsumer {
		case SlowDropNewest:
			c.qmu.Unlock()
			c.dropped.Add(1)
			c.s.dropped.Add(1)
			return pubsub.ErrDropped
		case SlowDropOldest:
			var evicted uint64
			for c.queue.len() > 0 && c.overBudget() {
				old := c.queue.pop()
				c.queuedBytes -= old.size
				evicted++
			}
			c.dropped.Add(evicted)
			c.s.dropped.Add(evicted)
		default:
			queued := c.queuedBytes
			c.markClosing(opts.SlowConsumerCloseCode, "slow consumer",
				fmt.Errorf("connection %s over its send budget: %w", c.info.ID, pubsub.ErrSlowConsumer))
			c.qmu.Unlock()
			c.s.slowDisconnects.Add(1)
			if opts.OnBackpressure != nil {
				opts.OnBackpressure(c, queued)
			}
			c.finishRemoval()
			return pubsub.ErrSlowConsumer
		}
	}
	c.queue.push(f)
	c.queuedBytes += f.size
	c.qmu.Unlock()
	c.poke()
	return nil
}

// overBudget reports whether a new frame finds the connection over budget; the caller holds
// qmu. The byte budget compares strictly, so one frame larger than the budget still goes to
// an idle connection.
func (c *Conn) overBudget() bool {
	return c.queue.len() >= c.s.opts.MaxQueuedFrames || c.queuedBytes > c.s.opts.MaxQueuedBytes
}

func (c *Conn) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// markClosing records the first close code, reason and cause; the caller holds qmu and has
// checked that the connection is not closing yet.
func (c *Conn) markClosing(code int, reason string, cause error) {
	c.closing = true
	c.closeCode = code
	c.closeReason = truncateReason(reason)
	c.cause = cause
	c.queue.clear()
	c.queuedBytes = 0
}

func (c *Conn) isClosing() bool {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return c.closing
}

// remove starts the removal of the connection unless it already started, and reports
// whether this call started it.
func (c *Conn) remove(code int, reason string, cause error) bool {
	c.qmu.Lock()
	if c.closing {
		c.qmu.Unlock()
		return false
	}
	c.markClosing(code, reason, cause)
	c.qmu.Unlock()
	c.finishRemoval()
	return true
}

// finishRemoval drops the connection from the registry and wakes the writer, which sends
// the close frame and closes the socket.
func (c *Conn) finishRemoval() {
	c.s.unregister(c)
	c.poke()
	if c.ws == nil {
		c.disconnected()
	}
}

// exit runs when one of the connection's goroutines returns; the last one reports the
// disconnect.
func (c *Conn) exit() {
	if c.running.Add(-1) == 0 {
		c.disconnected()
	}
	c.s.wg.Done()
}

func (c *Conn) disconnected() {
	c.qmu.Lock()
	cause, code := c.cause, c.closeCode
	c.qmu.Unlock()
	c.s.logger.Info("websocket connection removed", "conn", c.info.ID, "code", code, "cause", cause)
	if c.s.opts.OnDisconnect != nil {
		c.s.opts.OnDisconnect(c, cause)
	}
}

func (c *Conn) readLoop() {
	defer c.exit()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			code, reason, cause := c.readFailure(err)
			c.remove(code, reason, fmt.Errorf("reading from connection %s: %w", c.info.ID, cause))
			return
		}
		if c.isClosing() {
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(c.s.opts.PongWait))
		c.s.handleFrame(c, data)
	}
}

// readFailure maps a read error to the close code and reason sent back and the cause
// reported to OnDisconnect.
func (c *Conn) readFailure(err error) (int, string, error) {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return CloseNormal, "", &ClosedError{Code: ce.Code, Reason: ce.Text}
	}
	if errors.Is(err, websocket.ErrReadLimit) {
		return CloseMessageTooBig, "message too big", err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return c.s.opts.HeartbeatCloseCode, "heartbeat timeout", ErrHeartbeatTimeout
	}
	return CloseGoingAway, "", err
}

func (c *Conn) writeLoop() {
	defer c.exit()
	opts := &c.s.opts
	ping := time.NewTicker(opts.PingInterval)
	defer ping.Stop()

	for {
		c.qmu.Lock()
		for !c.closing && c.queue.len() == 0 {
			c.qmu.Unlock()
			select {
			case <-c.wake:
			case <-ping.C:
				c.ping()
			}
			c.qmu.Lock()
		}
		if c.closing {
			code, reason := c.closeCode, c.closeReason
			c.qmu.Unlock()
			closeSocket(c.ws, code, reason)
			return
		}
		f := c.queue.pop()
		c.qmu.Unlock()

		err := c.writeFrame(f)
		c.qmu.Lock()
		c.queuedBytes -= f.size
		if c.queuedBytes < 0 || c.closing {
			c.queuedBytes = 0
		}
		c.qmu.Unlock()
		if err != nil {
			c.writeFailed(err)
			continue
		}
		c.s.sent.Add(1)
		select {
		case <-ping.C:
			c.ping()
		default:
		}
	}
}

func (c *Conn) writeFrame(f *outFrame) error {
	c.ws.SetWriteDeadline(time.Now().Add(c.s.opts.WriteTimeout))
	if f.pm != nil {
		return c.ws.WritePreparedMessage(f.pm)
	}
	return c.ws.WriteMessage(c.s.msgType, f.data)
}

// writeFailed removes the connection after a failed write. An expired write deadline means
// the peer stopped reading, so it counts as a slow consumer.
func (c *Conn) writeFailed(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		cause := fmt.Errorf("writing to connection %s timed out: %w: %w", c.info.ID, pubsub.ErrSlowConsumer, err)
		if c.remove(c.s.opts.SlowConsumerCloseCode, "slow consumer", cause) {
			c.s.slowDisconnects.Add(1)
		}
		return
	}
	c.remove(CloseGoingAway, "", fmt.Errorf("writing to connection %s: %w", c.info.ID, err))
}

func (c *Conn) ping() {
	deadline := time.Now().Add(c.s.opts.WriteTimeout)
	if err := c.ws.WriteControl(websocket.PingMessage, nil, deadline); err != nil {
		c.writeFailed(fmt.Errorf("sending ping: %w", err))
	}
}

// frameQueue is a FIFO of frames that reuses its backing array.
type frameQueue struct {
	items []*outFrame
	head  int
}

func (q *frameQueue) len() int { return len(q.items) - q.head }

func (q *frameQueue) push(f *outFrame) { q.items = append(q.items, f) }

func (q *frameQueue) pop() *outFrame {
	f := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	switch {
	case q.head == len(q.items):
		q.items = q.items[:0]
		q.head = 0
	case q.head >= 64 && q.head*2 >= len(q.items):
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items = q.items[:n]
		q.head = 0
	}
	return f
}

func (q *frameQueue) clear() {
	q.items = nil
	q.head = 0
}
