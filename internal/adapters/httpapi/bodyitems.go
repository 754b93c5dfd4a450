package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
)

// errPulledOnce reports a bulk body's items pulled a second time.
var errPulledOnce = errors.New("the request body's items can be read only once")

// errStopped ends a decode whose consumer stopped pulling.
var errStopped = errors.New("stopped")

// bodyItems opens a bulk body (see openBatch) as a sequence of its items, read
// from the connection as they are pulled, so that the service can read ahead of
// its database work. The consumer may stop pulling in the middle of a read that
// waits for a slow client; stop then cuts that read short (the connection's read
// deadline) and waits until the sequence is done with the body. The handler must
// call stop before it returns: a body may not be read after that.
//
// A body that was not read to its end also closes the connection after the
// reply: net/http would otherwise read (and discard) the rest of it before it
// sends the reply, so as to keep the connection, and a client that keeps
// sending slowly would never get its answer.
func bodyItems[T any](c echo.Context, maxItems int) (single bool, items iter.Seq2[T, error], stop func(), err error) {
	single, decode, err := openBatch[T](c, maxItems)
	if err != nil {
		return false, nil, nil, err
	}
	var mu sync.Mutex
	var started, stopped, whole bool
	done := make(chan struct{})
	items = func(yield func(T, error) bool) {
		mu.Lock()
		first := !started && !stopped
		started = true
		mu.Unlock()
		var zero T
		if !first {
			yield(zero, errPulledOnce)
			return
		}
		defer close(done)
		err := decode(func(v T) error {
			if !yield(v, nil) {
				return errStopped
			}
			return nil
		})
		mu.Lock()
		whole = err == nil
		mu.Unlock()
		if err != nil && !errors.Is(err, errStopped) {
			yield(zero, err)
		}
	}
	stop = func() {
		mu.Lock()
		wasStarted := started
		stopped = true
		mu.Unlock()
		defer func() {
			mu.Lock()
			defer mu.Unlock()
			if !whole {
				c.Response().Header().Set(echo.HeaderConnection, "close")
			}
		}()
		if !wasStarted {
			return
		}
		// The decoder usually ends by itself a moment after the ingest stops
		// pulling (it has met the error or the end). Then leave the connection
		// alone: a read deadline set here would outlive the request and cut the
		// connection's next request short.
		select {
		case <-done:
			return
		case <-time.After(200 * time.Millisecond):
		}
		// net/http sets the next request's deadline itself, so this one ends with
		// the request. After the cut, the client gets half a second more: net/http
		// reads on (and discards) while the reply goes out, so that the client
		// gets the reply before the connection closes under the rest of its body
		// (a close with unread data resets the connection, and the reset can
		// overtake the reply).
		rc := http.NewResponseController(c.Response())
		_ = rc.SetReadDeadline(time.Now())
		<-done
		_ = rc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	}
	return single, items, stop, nil
}

// replyBatch answers a bulk POST: the counts with Prefer: return=minimal, the
// one item of a request of one object (with its Location), or else the batch,
// streamed.
func replyBatch[T, Out any](s *Server, c echo.Context, counts batchCounts, minimal, single bool, items iter.Seq2[T, error],
	toOut func(T) Out, location func(Out) string) error {
	status := http.StatusOK
	if counts.Created > 0 {
		status = http.StatusCreated
	}
	if minimal {
		c.Response().Header().Set("Preference-Applied", "return=minimal")
		return respond(c, status, counts)
	}
	if single {
		all, err := app.Collect(items)
		if err != nil {
			return err
		}
		out := toOut(all[0])
		c.Response().Header().Set(echo.HeaderLocation, location(out))
		return respond(c, status, out)
	}
	return streamBatch(s, c, status, app.MapItems(items, toOut), counts)
}

// streamBatch writes the reply to a bulk POST, {"items": [...], "created": n,
// "existing": m}, as the items come (they may be read back from the database a
// chunk at a time), so memory holds a chunk of the reply, not all of it. An error
// before the first item is an ordinary problem reply; one after it cuts the
// connection without a clean end, so that no client takes the reply for whole.
func streamBatch[T any](s *Server, c echo.Context, status int, items iter.Seq2[T, error], counts batchCounts) error {
	w := c.Response()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	started := false
	for item, err := range items {
		if err == nil {
			err = enc.Encode(item)
		}
		if err != nil && !started {
			return err
		}
		if err != nil {
			s.log.Error("bulk reply cut short", "error", err, "request_id", requestID(c))
			panic(http.ErrAbortHandler)
		}
		// Encode ends each item with a newline; JSON takes it as white space,
		// but the reply keeps the shape writeJSON gives it.
		buf.Truncate(buf.Len() - 1)
		if !started {
			w.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
			w.WriteHeader(status)
			if _, err := io.WriteString(w, `{"items":[`); err != nil {
				return err
			}
			started = true
		} else if _, err := io.WriteString(w, ","); err != nil {
			return err
		}
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
		buf.Reset()
	}
	if !started {
		return respond(c, status, batchOut[T]{Items: []T{}, Created: counts.Created, Existing: counts.Existing})
	}
	_, err := fmt.Fprintf(w, `],"created":%d,"existing":%d}`+"\n", counts.Created, counts.Existing)
	return err
}
