package mockserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"
)

// The names an upstream lists in its Connection header are those of headers
// for that one connection, which a proxy drops (RFC 9110 section 7.6.1).
// net/http deletes the whole Connection header while reading an answer when
// it holds "close", so the other names are gone before forward sees the
// answer: a hopConn reads them as they come off the wire instead.

// Bounds of what a hopConn keeps while it reads an answer's header block.
const (
	// maxHopLineBytes is how much of one header line a hopConn keeps: a
	// Connection line past it has its further names ignored.
	maxHopLineBytes = 8 << 10
	// maxHopNames is how many names of one answer's Connection header a
	// hopConn keeps; further ones are ignored.
	maxHopNames = 64
)

// upstreamDialTimeout and upstreamHandshakeTimeout bound connecting to the
// upstream.
const (
	upstreamDialTimeout      = 10 * time.Second
	upstreamHandshakeTimeout = 10 * time.Second
)

// hopConn is an HTTP/1 connection to the upstream that notes the names the
// Connection header of each answer read on it lists. forward tells it when
// a request is about to be written on it (expectAnswer, from httptrace's
// GotConn) and asks for the names once the answer's header has been read.
type hopConn struct {
	net.Conn

	mu sync.Mutex
	// scanning says an answer's header block is being read.
	scanning bool
	// sawStatus says the block's status line has been read; interim that
	// it is a 1xx other than 101, which another block follows.
	sawStatus, interim bool
	// line is the start of the line being read.
	line []byte
	// inConnection says the header being read is Connection (for its
	// continuation lines).
	inConnection bool
	// names are those listed so far in the block being read; listed those
	// of the last final answer whose header block was read whole.
	names, listed []string
}

// expectAnswer starts reading the header block of the next answer.
func (c *hopConn) expectAnswer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scanning, c.sawStatus, c.interim, c.inConnection = true, false, false, false
	c.line, c.names, c.listed = c.line[:0], nil, nil
}

// connectionNames returns the names, canonical, that the Connection header
// of the answer read since expectAnswer lists; none on a nil hopConn.
func (c *hopConn) connectionNames() []string {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.listed
}

// Read reads from the connection, noting what an answer's header block
// holds.
func (c *hopConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		if c.scanning {
			c.scan(p[:n])
		}
		c.mu.Unlock()
	}
	return n, err
}

// scan reads p, a piece of an answer, line by line until its header block
// ends.
func (c *hopConn) scan(p []byte) {
	for len(p) > 0 && c.scanning {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		if room := maxHopLineBytes - len(c.line); room > 0 {
			c.line = append(c.line, chunk[:min(room, len(chunk))]...)
		}
		if i < 0 {
			return
		}
		p = p[i+1:]
		c.endLine(bytes.TrimSuffix(c.line, []byte("\r")))
		c.line = c.line[:0]
	}
}

// endLine takes in one whole line of a header block.
func (c *hopConn) endLine(line []byte) {
	switch {
	case !c.sawStatus:
		c.sawStatus = true
		c.interim = interimStatus(line)
	case len(line) == 0: // the end of the block
		if c.interim {
			c.sawStatus, c.interim, c.inConnection, c.names = false, false, false, nil
			return
		}
		c.listed, c.scanning, c.line = c.names, false, nil
	case line[0] == ' ' || line[0] == '\t': // a continuation of the header before
		if c.inConnection {
			c.addNames(line)
		}
	default:
		name, value, _ := bytes.Cut(line, []byte(":"))
		c.inConnection = strings.EqualFold(string(bytes.TrimSpace(name)), "Connection")
		if c.inConnection {
			c.addNames(value)
		}
	}
}

// addNames notes the comma-separated names in value.
func (c *hopConn) addNames(value []byte) {
	for name := range strings.SplitSeq(string(value), ",") {
		if name = strings.TrimSpace(name); name != "" && len(c.names) < maxHopNames {
			c.names = append(c.names, http.CanonicalHeaderKey(name))
		}
	}
}

// interimStatus reports whether a status line is that of a 1xx answer
// after which the final one follows: any but 101, which ends the exchange.
func interimStatus(line []byte) bool {
	_, rest, _ := bytes.Cut(line, []byte(" "))
	code, _, _ := bytes.Cut(rest, []byte(" "))
	return len(code) == 3 && code[0] == '1' && string(code) != "101"
}

// hopDialers sets t to dial the upstream through hopConns: in plain HTTP,
// and over TLS when HTTP/1.1 is negotiated. An HTTP/2 connection (which has
// no Connection header) is handed over as the *tls.Conn, so the transport
// speaks HTTP/2 on it. TLS is verified with t.TLSClientConfig, as the
// transport itself would.
func hopDialers(t *http.Transport) {
	dialer := &net.Dialer{Timeout: upstreamDialTimeout, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &hopConn{Conn: conn}, nil
	}
	t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		// Read now, not when hopDialers runs: the transport adds h2 to
		// NextProtos before its first request.
		cfg := t.TLSClientConfig.Clone()
		if cfg.ServerName == "" {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			cfg.ServerName = host
		}
		tc := tls.Client(conn, cfg)
		hctx, cancel := context.WithTimeout(ctx, upstreamHandshakeTimeout)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			conn.Close()
			return nil, err
		}
		if tc.ConnectionState().NegotiatedProtocol == "h2" {
			return tc, nil
		}
		return &hopConn{Conn: tc}, nil
	}
}

// traceHopConn returns ctx with a trace that tells the connection a request
// gets, if a hopConn, to expect an answer, and sets *conn to it (nil for
// another).
func traceHopConn(ctx context.Context, conn **hopConn) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		hc, _ := info.Conn.(*hopConn)
		if hc != nil {
			hc.expectAnswer()
		}
		*conn = hc
	}})
}
