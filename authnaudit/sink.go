package authnaudit

import (
	"encoding/json"
	"io"
	"sync"
)

// Sink receives every event. Audit is called on the request's goroutine,
// before the request goes on, so that no admitted request escapes the
// record; a sink that may block (a network write) should queue.
type Sink interface {
	Audit(Event)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(Event)

// Audit calls f(e).
func (f SinkFunc) Audit(e Event) { f(e) }

// JSONLines is a Sink that writes each event as one line of JSON, the
// format of the Kubernetes API server's audit log file. It is safe for
// concurrent use: each line is written by one Write call, under a lock.
type JSONLines struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

// NewJSONLines returns a Sink that writes to w.
func NewJSONLines(w io.Writer) *JSONLines { return &JSONLines{w: w} }

// Audit writes e and a newline. After a failed write it writes nothing
// more; Err reports the failure.
func (j *JSONLines) Audit(e Event) {
	b, err := json.Marshal(e)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return
	}
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(append(b, '\n'))
}

// Err returns the first error that stopped the writing, or nil.
func (j *JSONLines) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}
