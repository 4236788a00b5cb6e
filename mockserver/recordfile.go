package mockserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/benjiconnect/benji/internal/contract"
)

// A record is read back, for replay and for verify, from what --record
// writes: JSON Lines, one RecordedExchange a line. The format is stable and
// may be written by hand; a line needs no more than a request and an
// answer:
//
//	{"request":{"body":{"mode":1,"display_name":"Reward Cookies"}},"response":{"status":200,"body":{"code":"ok","data":{"token":"tok_live_42"}}}}
//
// A request without a method is a POST, without a path one to
// /verify/token/create. An answer without a header has the Content-Type of
// its body: application/json for body, text/plain for body_text.

// Bounds on a record read back. They hold for the files of one record
// together: replay keeps every answer in memory.
const (
	// MaxRecordFileBytes bounds the bytes of a record read back, its files
	// together. --record may write more (up to MaxRecordBytes): keep the
	// exchanges that matter, a test's record is rarely over a few hundred
	// kilobytes.
	MaxRecordFileBytes = 64 << 20
	// MaxRecordLines bounds the lines of a record read back, its files
	// together, blank lines included.
	MaxRecordLines = 10_000
	// MaxRecordLineBytes bounds one line of a record, without its line
	// ending. A line --record writes holds at most a request body
	// (MaxBodyBytes, at most MaxMaxBodyBytes), an answer's body
	// (MaxUpstreamBodyBytes) and their headers (MaxHeaderBytes each); twice
	// that leaves room for the escaping of a body that is not JSON.
	MaxRecordLineBytes = 2 * (MaxMaxBodyBytes + MaxUpstreamBodyBytes + 2*MaxHeaderBytes)
)

// maxDroppedListed is how many dropped credentials a record read back lists
// (verify's report, replay's warnings), and how many recorded requests no
// request can get replay warns of, one line each; the rest are counted.
const maxDroppedListed = 10

// RecordError is a record that cannot be read back: a file missing or
// unreadable, a line that is not a record line, or a bound passed. Nothing
// of the record is used.
type RecordError struct {
	// File is the file's name as given.
	File string
	// Line is the line's number, from 1; 0 when the file as a whole is at
	// fault (missing, unreadable, too large, empty).
	Line int
	// Err says what is wrong.
	Err error
}

// Error returns "file:line: what is wrong", or "file: what is wrong".
func (e *RecordError) Error() string {
	file := printable(e.File) // printed to a terminal by benji-mock
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", file, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", file, e.Err)
}

// Unwrap returns Err: errors.Is(err, fs.ErrNotExist) holds for a missing
// file.
func (e *RecordError) Unwrap() error { return e.Err }

// recordPlace is where a line of a record is.
type recordPlace struct {
	file string
	line int
}

// String returns "file:line".
func (p recordPlace) String() string { return p.file + ":" + strconv.Itoa(p.line) }

// recordLine is one exchange read back from a record, and where it was.
type recordLine struct {
	at       recordPlace
	exchange RecordedExchange
}

// recordLimits are the bounds a record is read within: the Max* constants,
// smaller in tests.
type recordLimits struct {
	bytes, lines, lineBytes int64
}

var defaultRecordLimits = recordLimits{bytes: MaxRecordFileBytes, lines: MaxRecordLines, lineBytes: MaxRecordLineBytes}

// loadedRecord is a record read back: its exchanges in the order of its
// files and lines, and the credentials dropped on the way.
type loadedRecord struct {
	limits recordLimits
	files  []string
	// infos are the files' own, to tell the same file under two names.
	infos     []os.FileInfo
	bytes     int64 // read so far, files together
	lines     int64 // read so far, files together, blank ones included
	exchanges []recordLine
	// dropped lists the first credentials dropped ("file:line: the
	// request's Authorization header"); droppedTotal counts them all.
	dropped      []string
	droppedTotal int
}

// loadRecord reads the record in files, within the Max* bounds. The error
// is a *RecordError naming the file and the line at fault.
func loadRecord(files ...string) (*loadedRecord, error) {
	if len(files) == 0 {
		return nil, errors.New("no record file given")
	}
	rec := &loadedRecord{limits: defaultRecordLimits}
	for _, name := range files {
		if err := rec.readFile(name); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// readFile reads one file of the record.
func (rec *loadedRecord) readFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return &RecordError{File: name, Err: pathProblem(err)}
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return &RecordError{File: name, Err: pathProblem(err)}
	}
	for i, seen := range rec.infos {
		if os.SameFile(seen, info) {
			return &RecordError{File: name, Err: fmt.Errorf("names the same file as %s: its answers would be replayed twice", rec.files[i])}
		}
	}
	rec.infos = append(rec.infos, info)
	return rec.read(name, f)
}

// pathProblem words an *fs.PathError without the path, which RecordError
// names: "cannot open: no such file or directory".
func pathProblem(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("cannot %s: %w", pe.Op, pe.Err)
	}
	return err
}

// read reads the lines of one file of the record from r, named name.
func (rec *loadedRecord) read(name string, r io.Reader) error {
	rec.files = append(rec.files, name)
	counted := &countingReader{r: io.LimitReader(r, rec.limits.bytes-rec.bytes+1)}
	sc := bufio.NewScanner(counted)
	// Room for the longest line allowed, its line ending, and one byte
	// more, so that a longer line shows as one.
	sc.Buffer(make([]byte, 0, 64<<10), int(rec.limits.lineBytes)+3)
	line, exchanges := 0, len(rec.exchanges)
	for sc.Scan() {
		line++
		rec.lines++
		switch {
		case rec.bytes+counted.n > rec.limits.bytes:
			// Known by the last line at the latest, which the bound may
			// have cut short: the scanner has read past the bound by then.
			return &RecordError{File: name, Err: fmt.Errorf("the record is larger than %d bytes (MaxRecordFileBytes), its files together", rec.limits.bytes)}
		case rec.lines > rec.limits.lines:
			return &RecordError{File: name, Line: line, Err: fmt.Errorf("the record has more than %d lines (MaxRecordLines), its files together", rec.limits.lines)}
		case int64(len(sc.Bytes())) > rec.limits.lineBytes:
			return &RecordError{File: name, Line: line, Err: fmt.Errorf("the line is longer than %d bytes (MaxRecordLineBytes)", rec.limits.lineBytes)}
		}
		text := sc.Bytes()
		if line == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf")) // a byte order mark, as some editors write
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		x, dropped, err := parseRecordLine(text)
		if err != nil {
			return &RecordError{File: name, Line: line, Err: err}
		}
		at := recordPlace{name, line}
		for _, what := range dropped {
			rec.droppedTotal++
			if len(rec.dropped) < maxDroppedListed {
				rec.dropped = append(rec.dropped, at.String()+": "+what)
			}
		}
		rec.exchanges = append(rec.exchanges, recordLine{at: at, exchange: x})
	}
	rec.bytes += counted.n
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return &RecordError{File: name, Line: line + 1, Err: fmt.Errorf("the line is longer than %d bytes (MaxRecordLineBytes)", rec.limits.lineBytes)}
	case err != nil:
		return &RecordError{File: name, Err: pathProblem(err)}
	case len(rec.exchanges) == exchanges:
		return &RecordError{File: name, Err: errors.New(`holds no exchange: a record has one JSON line an exchange, such as {"request":{"body":{...}},"response":{"status":200,"body":{...}}}`)}
	}
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// recordLineForm is the form a record line is decoded in: the Request
// field, a pointer, shadows the embedded exchange's, so that a line without
// a request shows.
type recordLineForm struct {
	RecordedExchange
	Request *RecordedRequest `json:"request"`
}

// parseRecordLine reads one line of a record: one JSON object, with a
// request, in the form RecordedExchange encodes to (fields it does not know
// are refused: a misspelt "reponse" would otherwise go unnoticed). Missing
// method, path and answer headers get their defaults; credential headers
// are dropped, and named in dropped.
func parseRecordLine(line []byte) (x RecordedExchange, dropped []string, err error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var form recordLineForm
	if err := dec.Decode(&form); err != nil {
		return RecordedExchange{}, nil, jsonProblem(err)
	}
	if end := dec.InputOffset(); len(bytes.TrimSpace(line[end:])) > 0 {
		next := end + int64(len(line[end:])-len(bytes.TrimLeft(line[end:], " \t\r\n")))
		return RecordedExchange{}, nil, fmt.Errorf("more than one JSON value on the line, the second at byte %d", next+1)
	}
	if form.Request == nil {
		return RecordedExchange{}, nil, errors.New(`the line has no request: a record line is at least {"request":{...}}`)
	}
	x, x.Request = form.RecordedExchange, *form.Request
	req := &x.Request
	if req.Method == "" {
		req.Method = http.MethodPost
	}
	if req.Path == "" {
		req.Path = contract.CreateTokenPath
	}
	switch {
	case len(req.Method) > 32 || !httpguts.ValidHeaderFieldName(req.Method): // a method is a token, as a header name is
		return RecordedExchange{}, nil, fmt.Errorf("request.method must be an HTTP method such as POST, got %q", cutString(req.Method, 32))
	case !strings.HasPrefix(req.Path, "/"):
		return RecordedExchange{}, nil, fmt.Errorf("request.path must start with /, got %q", cutString(req.Path, 64))
	case len(req.Body) > 0 && req.BodyText != "":
		return RecordedExchange{}, nil, errors.New("request has both body and body_text: body is for JSON, body_text for any other body")
	}
	req.Header, dropped, err = withoutRecordedCredentials(req.Header, "request")
	if err != nil {
		return RecordedExchange{}, nil, err
	}
	if resp := x.Response; resp != nil {
		switch {
		case x.Error != "":
			return RecordedExchange{}, nil, errors.New("the line has both a response and an error: an exchange that failed has no response")
		case resp.Status < 200 || resp.Status > 599:
			return RecordedExchange{}, nil, fmt.Errorf("response.status must be from 200 to 599, got %d", resp.Status)
		case len(resp.Body) > 0 && resp.BodyText != "":
			return RecordedExchange{}, nil, errors.New("response has both body and body_text: body is for JSON, body_text for any other body")
		}
		var more []string
		if resp.Header, more, err = withoutRecordedCredentials(resp.Header, "response"); err != nil {
			return RecordedExchange{}, nil, err
		}
		dropped = append(dropped, more...)
		if resp.Header == nil {
			resp.Header = http.Header{}
			// A line written by hand: the answer's type is what its body is.
			// --record always writes the header, so a missing Content-Type
			// there is the upstream's, and verify reports it.
			switch {
			case len(resp.Body) > 0:
				resp.Header.Set("Content-Type", "application/json")
			case resp.BodyText != "":
				resp.Header.Set("Content-Type", "text/plain; charset=utf-8")
			}
		}
	}
	return x, dropped, nil
}

// jsonProblem words encoding/json's errors for a person writing a record
// by hand, without Go's type names.
func jsonProblem(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("malformed JSON: the line ends before its value does")
	case errors.As(err, &syntax):
		return fmt.Errorf("malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the line"
		}
		return fmt.Errorf("%s must be %s, got %s", field, jsonKind(typ.Type), typ.Value)
	}
	return errors.New(strings.TrimPrefix(err.Error(), "json: "))
}

// jsonKind names what JSON value decodes into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// withoutRecordedCredentials returns h with its names in canonical form
// (a record written by hand may spell them in any case) and without the
// headers that carry credentials, and names those it dropped. A nil h
// stays nil: a line written by hand has no headers, which is not a record
// of a request sent without any.
func withoutRecordedCredentials(h http.Header, side string) (http.Header, []string, error) {
	if h == nil {
		return nil, nil, nil
	}
	if len(h) > maxRecordedHeaders {
		return nil, nil, fmt.Errorf("%s.header has %d names, more than %d", side, len(h), maxRecordedHeaders)
	}
	out := make(http.Header, len(h))
	var dropped []string
	for name, values := range h {
		// What a server may send, as net/http checks what it receives: a
		// control character in a value would break the caller's parser.
		if !httpguts.ValidHeaderFieldName(name) {
			return nil, nil, fmt.Errorf("%s.header has a name that is not an HTTP token: %q", side, cutString(name, 64))
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return nil, nil, fmt.Errorf("%s.header %s has a value with a control character: %q", side, cutString(name, 64), cutString(v, 64))
			}
		}
		canonical := http.CanonicalHeaderKey(name)
		if credentialHeader(canonical) {
			dropped = append(dropped, fmt.Sprintf("dropped the %s's %s header: a credential is never kept or replayed", side, cutString(canonical, 64)))
			continue
		}
		out[canonical] = append(out[canonical], values...)
	}
	slices.Sort(dropped)
	return out, dropped, nil
}

// maxRecordedHeaders bounds the header names of one side of a record line:
// the most a line --record writes has is what an answer within
// MaxHeaderBytes can carry, far more than an API's. It keeps a record of
// many short lines within memory that its size suggests.
const maxRecordedHeaders = 64
