package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logWriter batches log lines: under load, one write to stderr per flush
// instead of one per request. Lines reach the output at most flushEvery
// late, and Close writes what is left.
type logWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// flushEvery bounds how late a line reaches the output.
const flushEvery = 100 * time.Millisecond

// newLogWriter returns a logWriter that writes to w; Close it.
func newLogWriter(w io.Writer) *logWriter {
	lw := &logWriter{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go lw.flushLoop()
	return lw
}

// Write buffers p; it is safe for concurrent use.
func (lw *logWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.buf.Write(p)
}

// flush writes what is buffered.
func (lw *logWriter) flush() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.buf.Flush()
}

// flushLoop flushes every flushEvery until Close.
func (lw *logWriter) flushLoop() {
	defer close(lw.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			lw.flush()
		case <-lw.stop:
			lw.flush()
			return
		}
	}
}

// Close stops the flushing and writes what is buffered.
func (lw *logWriter) Close() error {
	close(lw.stop)
	<-lw.done
	return nil
}
