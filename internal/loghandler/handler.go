// Package loghandler is a slog.Handler that writes exactly what slog's own
// TextHandler or JSONHandler writes, byte for byte, but formats the common
// record itself: the one-line-per-request log of a busy server.
//
// A record takes the fast path when the handler has no ReplaceAttr, no
// AddSource, no WithAttrs and no WithGroup, and every part of the record
// needs no quoting or escaping: a message and keys of plain printable ASCII,
// and attributes of kind String, Int64, Uint64, Bool or Duration. Every other
// record goes to the slog handler that the Handler wraps, over the same
// writer and the same lock, so the output is the same either way.
package loghandler

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Handler is a slog.Handler that is a faster slog.TextHandler or
// slog.JSONHandler. Make one with NewText or NewJSON.
type Handler struct {
	std   slog.Handler // slog's own handler, for records the fast path does not take
	out   *lockedWriter
	json  bool
	fast  bool // the options leave the output to the built-in format
	level slog.Leveler
	// second caches the formatted date and time of the last second seen,
	// which every record in that second shares.
	second atomic.Pointer[stamp]
	bufs   sync.Pool
}

// NewText returns a handler whose output is that of
// slog.NewTextHandler(w, opts).
func NewText(w io.Writer, opts *slog.HandlerOptions) *Handler {
	out := &lockedWriter{w: w}
	return newHandler(slog.NewTextHandler(out, opts), out, false, opts)
}

// NewJSON returns a handler whose output is that of
// slog.NewJSONHandler(w, opts).
func NewJSON(w io.Writer, opts *slog.HandlerOptions) *Handler {
	out := &lockedWriter{w: w}
	return newHandler(slog.NewJSONHandler(out, opts), out, true, opts)
}

func newHandler(std slog.Handler, out *lockedWriter, json bool, opts *slog.HandlerOptions) *Handler {
	if opts == nil {
		opts = &slog.HandlerOptions{}
	}
	h := &Handler{
		std:   std,
		out:   out,
		json:  json,
		fast:  opts.ReplaceAttr == nil && !opts.AddSource,
		level: opts.Level,
	}
	if h.level == nil {
		h.level = slog.LevelInfo
	}
	h.bufs.New = func() any { b := make([]byte, 0, 512); return &b }
	return h
}

// Enabled reports whether level is at least the handler's minimum level.
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= h.level.Level()
}

// WithAttrs returns slog's own handler with attrs: derived handlers do not
// take the fast path.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler { return h.std.WithAttrs(attrs) }

// WithGroup returns slog's own handler with the group: derived handlers do
// not take the fast path.
func (h *Handler) WithGroup(name string) slog.Handler { return h.std.WithGroup(name) }

// Handle writes r as one line in one Write call.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if !h.fast {
		return h.std.Handle(ctx, r)
	}
	bp := h.bufs.Get().(*[]byte)
	b, ok := h.appendRecord((*bp)[:0], r)
	if !ok {
		h.bufs.Put(bp)
		return h.std.Handle(ctx, r)
	}
	_, err := h.out.Write(b)
	if cap(b) <= 16<<10 {
		*bp = b
		h.bufs.Put(bp)
	}
	return err
}

// appendRecord appends r as slog would format it, or reports false when r
// needs something the fast path does not do.
func (h *Handler) appendRecord(b []byte, r slog.Record) ([]byte, bool) {
	var ok bool
	if h.json {
		b = append(b, '{')
	}
	sep := false
	if !r.Time.IsZero() {
		b = h.appendKey(b, slog.TimeKey, sep)
		if b, ok = h.appendTime(b, r.Time); !ok {
			return b, false
		}
		sep = true
	}
	b = h.appendKey(b, slog.LevelKey, sep)
	if b, ok = h.appendString(b, r.Level.String()); !ok {
		return b, false
	}
	b = h.appendKey(b, slog.MessageKey, true)
	if b, ok = h.appendString(b, r.Message); !ok {
		return b, false
	}
	ok = true
	r.Attrs(func(a slog.Attr) bool {
		if !h.plain(a.Key) || a.Key == "" {
			ok = false
			return false
		}
		b = h.appendKey(b, a.Key, true)
		b, ok = h.appendValue(b, a.Value)
		return ok
	})
	if !ok {
		return b, false
	}
	if h.json {
		b = append(b, '}')
	}
	return append(b, '\n'), true
}

// appendKey appends a separator when sep is set, then key (already known
// to need no quoting) and the key's terminator.
func (h *Handler) appendKey(b []byte, key string, sep bool) []byte {
	if h.json {
		if sep {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, key...)
		return append(b, '"', ':')
	}
	if sep {
		b = append(b, ' ')
	}
	b = append(b, key...)
	return append(b, '=')
}

func (h *Handler) appendString(b []byte, s string) ([]byte, bool) {
	if !h.plain(s) {
		return b, false
	}
	if h.json {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"'), true
	}
	return append(b, s...), true
}

func (h *Handler) appendValue(b []byte, v slog.Value) ([]byte, bool) {
	switch v.Kind() {
	case slog.KindString:
		return h.appendString(b, v.String())
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10), true
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10), true
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool()), true
	case slog.KindDuration:
		if h.json {
			return strconv.AppendInt(b, int64(v.Duration()), 10), true
		}
		return append(b, v.Duration().String()...), true
	}
	return b, false
}

// plain reports whether slog writes s as it is: in text, a non-empty string
// of printable ASCII without space, '"' or '='; in JSON, printable ASCII
// without '"' or '\'.
func (h *Handler) plain(s string) bool {
	table := &textPlain
	if h.json {
		table = &jsonPlain
	} else if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !table[s[i]] {
			return false
		}
	}
	return true
}

// textPlain and jsonPlain mark the bytes that each format writes as they
// are; they are read only.
var textPlain, jsonPlain = func() (text, json [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		json[c] = c != '"' && c != '\\'
		text[c] = c != ' ' && c != '"' && c != '='
	}
	return text, json
}()

// stamp is one second's date and time, formatted.
type stamp struct {
	unix int64
	loc  *time.Location
	date []byte // "2006-01-02T15:04:05"
	zone []byte // "Z" or "-07:00"
}

// appendTime appends t as slog does: RFC 3339 with milliseconds in text,
// with nanoseconds (trailing zeros trimmed) in JSON, in t's location.
func (h *Handler) appendTime(b []byte, t time.Time) ([]byte, bool) {
	st := h.second.Load()
	if st == nil || st.unix != t.Unix() || st.loc != t.Location() {
		if y := t.Year(); y < 0 || y > 9999 {
			return b, false
		}
		f := t.Truncate(time.Second).AppendFormat(make([]byte, 0, 32), time.RFC3339)
		const dateLen = len("2006-01-02T15:04:05")
		st = &stamp{unix: t.Unix(), loc: t.Location(), date: f[:dateLen:dateLen], zone: f[dateLen:]}
		h.second.Store(st)
	}
	if h.json {
		b = append(b, '"')
	}
	b = append(b, st.date...)
	ns := t.Nanosecond()
	if h.json {
		if ns != 0 {
			var digits [10]byte
			digits[0] = '.'
			for i, n := 9, ns; i > 0; i-- {
				digits[i] = byte('0' + n%10)
				n /= 10
			}
			end := 10
			for digits[end-1] == '0' {
				end--
			}
			b = append(b, digits[:end]...)
		}
	} else {
		ms := ns / int(time.Millisecond)
		b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	}
	b = append(b, st.zone...)
	if h.json {
		b = append(b, '"')
	}
	return b, true
}

// lockedWriter serialises the writes of the Handler and of the slog handler
// it wraps.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}
