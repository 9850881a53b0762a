package ws

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/pubsub"
)

// link is one connection of a Client, served by one reader and one writer goroutine.
type link struct {
	conn *websocket.Conn
	// announced holds the topics this link's server received __subscribe for; only the
	// writer goroutine uses it.
	announced map[string]bool
	dead      chan struct{} // closed with the first failure
	once      sync.Once
	err       error // first failure; read after dead is closed
	wg        sync.WaitGroup
}

func (l *link) fail(err error) {
	l.once.Do(func() {
		l.err = err
		close(l.dead)
	})
}

// closeNormally sends close 1000 within timeout (best effort) and ends the link.
func (l *link) closeNormally(timeout time.Duration) {
	msg := websocket.FormatCloseMessage(CloseNormal, "")
	_ = l.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(timeout))
	l.fail(pubsub.ErrClosed)
}

// serve runs one link until it fails and returns the cause. The socket is closed and both
// goroutines have exited when serve returns.
func (c *Client) serve(conn *websocket.Conn) error {
	l := &link{conn: conn, announced: make(map[string]bool), dead: make(chan struct{})}

	c.mu.Lock()
	if c.ctx.Err() != nil {
		c.mu.Unlock()
		conn.Close()
		return pubsub.ErrClosed
	}
	c.link = l
	c.mu.Unlock()

	// The new server has no subscriptions, so every active topic is announced again.
	c.subMu.Lock()
	clear(c.dirty)
	for topic := range c.handlers {
		c.dirty[topic] = struct{}{}
	}
	c.hasDirty.Store(len(c.dirty) > 0)
	c.subMu.Unlock()

	conn.SetReadLimit(c.opts.ReadLimit)
	c.setState(StateConnected, nil)
	l.wg.Add(2)
	go c.readLoop(l)
	go c.writeLoop(l)

	<-l.dead
	conn.Close()
	l.wg.Wait()

	c.mu.Lock()
	c.link = nil
	c.mu.Unlock()
	return l.err
}

func (c *Client) readLoop(l *link) {
	defer l.wg.Done()
	pongWait := c.opts.PongWait
	l.conn.SetReadDeadline(time.Now().Add(pongWait))
	l.conn.SetPongHandler(func(string) error {
		return l.conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		_, data, err := l.conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				err = &ClosedError{Code: ce.Code, Reason: ce.Text}
			}
			l.fail(fmt.Errorf("reading from %s: %w", c.url, err))
			return
		}
		l.conn.SetReadDeadline(time.Now().Add(pongWait))
		c.dispatch(data)
	}
}

// dispatch delivers one inbound frame to the handlers of its topic.
func (c *Client) dispatch(data []byte) {
	env, err := pubsub.DecodeEnvelope(data)
	if err != nil {
		c.badFrames.Add(1)
		c.report(fmt.Errorf("inbound frame from %s: %w", c.url, err))
		return
	}
	if pubsub.IsReserved(env.Type) {
		c.controlIgnored.Add(1)
		return
	}
	topic := env.Topic()
	c.subMu.RLock()
	hs := c.handlers[topic]
	c.subMu.RUnlock()
	if len(hs) == 0 {
		return
	}
	c.received.Add(1)
	for _, e := range hs {
		if perr := pubsub.CallHandler(e.h, topic, env); perr != nil {
			c.report(perr)
		}
	}
}

func (c *Client) writeLoop(l *link) {
	defer l.wg.Done()
	ping := time.NewTicker(c.opts.PingInterval)
	defer ping.Stop()
	msgType := websocket.TextMessage
	if c.opts.Binary {
		msgType = websocket.BinaryMessage
	}

	for {
		if err := c.sendControl(l, msgType); err != nil {
			l.fail(err)
			return
		}
		if c.carry != nil {
			if err := c.write(l, msgType, c.carry); err != nil {
				l.fail(err)
				return
			}
			c.carry = nil
			c.sent.Add(1)
		}
		select {
		case <-l.dead:
			return
		case <-c.wake:
		case <-ping.C:
			deadline := time.Now().Add(c.opts.WriteTimeout)
			if err := l.conn.WriteControl(websocket.PingMessage, nil, deadline); err != nil {
				l.fail(fmt.Errorf("sending ping to %s: %w", c.url, err))
				return
			}
		case data := <-c.queue:
			// A subscription made before this frame was published goes first.
			if err := c.sendControl(l, msgType); err != nil {
				c.carry = data
				l.fail(err)
				return
			}
			if err := c.write(l, msgType, data); err != nil {
				l.fail(err)
				return
			}
			c.sent.Add(1)
		}
	}
}

func (c *Client) write(l *link, msgType int, data []byte) error {
	l.conn.SetWriteDeadline(time.Now().Add(c.opts.WriteTimeout))
	if err := l.conn.WriteMessage(msgType, data); err != nil {
		return fmt.Errorf("writing to %s: %w", c.url, err)
	}
	return nil
}

// sendControl writes one control frame per topic whose desired subscription differs from
// what was announced to this link's server.
func (c *Client) sendControl(l *link, msgType int) error {
	if !c.hasDirty.Load() {
		return nil
	}
	c.subMu.Lock()
	changed := make([]string, 0, len(c.dirty))
	want := make([]bool, 0, len(c.dirty))
	for topic := range c.dirty {
		changed = append(changed, topic)
		want = append(want, len(c.handlers[topic]) > 0)
	}
	clear(c.dirty)
	c.hasDirty.Store(false)
	c.subMu.Unlock()

	for i, topic := range changed {
		if want[i] == l.announced[topic] {
			continue
		}
		kind := pubsub.ControlUnsubscribe
		if want[i] {
			kind = pubsub.ControlSubscribe
		}
		data, err := pubsub.EncodeEnvelope(pubsub.ControlFrame(kind, topic))
		if err != nil {
			return fmt.Errorf("encoding %s for %q: %w", kind, topic, err)
		}
		if err := c.write(l, msgType, data); err != nil {
			// Leave the unsent changes for the next link, which re-tells everything.
			return err
		}
		if want[i] {
			l.announced[topic] = true
		} else {
			delete(l.announced, topic)
		}
	}
	return nil
}
