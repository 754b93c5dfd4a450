package faulttest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards TCP connections to a PostgreSQL server and, when told to, loses
// the reply to the next COMMIT, or to the next statement whose text contains a
// marker: the server commits, the connection drops, and the client cannot know
// whether its write was stored. It reads the frontend's side of the wire protocol:
// pgx sends COMMIT as a simple query, and other statements as Parse ... Sync.
type Proxy struct {
	// Addr is where the proxy listens, 127.0.0.1:port.
	Addr   string
	target string
	ln     net.Listener
	wg     sync.WaitGroup
	armed  atomic.Bool
	marker atomic.Pointer[string] // "" arms for COMMIT
	cuts   atomic.Int32
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
}

// StartProxy listens on a free port and forwards to target (host:port) until the
// test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// URL is a connection URL for database db through the proxy.
func (p *Proxy) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", p.Addr, db)
}

// LoseNextCommitReply makes the proxy forward the next COMMIT on any connection,
// give the server time to carry it out, and then close both sides without
// passing on the reply.
func (p *Proxy) LoseNextCommitReply() { p.LoseNextReplyTo("") }

// LoseNextReplyTo does the same for the next statement whose text contains
// marker (a COMMIT when marker is empty): the statement runs to completion on the
// server (an autocommit statement commits) and its reply is lost.
func (p *Proxy) LoseNextReplyTo(marker string) {
	p.marker.Store(&marker)
	p.armed.Store(true)
}

// Cuts is how many replies the proxy has lost.
func (p *Proxy) Cuts() int { return int(p.cuts.Load()) }

func (p *Proxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		p.track(client, true)
		p.track(server, true)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(client, server)
			_ = client.Close()
			_ = server.Close()
			p.track(client, false)
			p.track(server, false)
		}()
	}
}

// serve forwards one connection. The server's bytes are copied as they come,
// unless the connection is dropping a COMMIT's reply; the client's are read
// message by message.
func (p *Proxy) serve(client, server net.Conn) {
	var dropping atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 32<<10)
		for {
			n, err := server.Read(buf)
			if n > 0 && !dropping.Load() {
				if _, werr := client.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				_ = client.Close()
				return
			}
		}
	}()
	defer func() { <-done }()
	defer server.Close()

	// Startup packets have no type byte: an int32 length, then an int32 code.
	// SSL and GSS encryption requests are followed by another startup packet.
	for {
		pkt, err := readStartup(client)
		if err != nil {
			return
		}
		if _, err := server.Write(pkt); err != nil {
			return
		}
		code := binary.BigEndian.Uint32(pkt[4:8])
		if code != 80877103 && code != 80877104 { // SSLRequest, GSSENCRequest
			break
		}
	}
	// marked: the statement being parsed on this connection carries the marker;
	// executed: it has been sent for execution (pgx may first parse a statement
	// only to describe it), so the Sync that follows ends it and the reply from
	// there on is lost.
	marked, executed := false, false
	// named holds the text of the prepared statements on this connection: pgx
	// parses a named statement once and later only binds it, maybe after the
	// proxy was armed.
	named := map[string][]byte{}
	cut := func(msg []byte) {
		dropping.Store(true)
		if _, err := server.Write(msg); err != nil {
			return
		}
		time.Sleep(300 * time.Millisecond) // the server commits and replies into the void
		p.cuts.Add(1)
	}
	for {
		msg, err := readMessage(client)
		if err != nil {
			return
		}
		marker := ""
		if m := p.marker.Load(); m != nil {
			marker = *m
		}
		switch msg[0] {
		case 'Q':
			hit := isCommit(msg[5:])
			if marker != "" {
				hit = bytes.Contains(msg, []byte(marker))
			}
			if hit && p.armed.CompareAndSwap(true, false) {
				cut(msg)
				return
			}
		case 'P':
			marked = marker != "" && bytes.Contains(msg, []byte(marker))
			if name := cstring(msg[5:]); name != "" {
				named[name] = msg
			}
			executed = false
		case 'B':
			portal := cstring(msg[5:])
			if marker != "" && bytes.Contains(named[cstring(msg[5+len(portal)+1:])], []byte(marker)) {
				marked = true
			}
		case 'E':
			executed = marked
		case 'S':
			if executed && p.armed.CompareAndSwap(true, false) {
				cut(msg)
				return
			}
			marked, executed = false, false
		}
		if _, err := server.Write(msg); err != nil {
			return
		}
	}
}

func readStartup(r io.Reader) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n < 8 || n > 1<<20 {
		return nil, fmt.Errorf("startup packet of %d bytes", n)
	}
	pkt := make([]byte, n)
	copy(pkt, head[:])
	_, err := io.ReadFull(r, pkt[4:])
	return pkt, err
}

func readMessage(r io.Reader) ([]byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n < 4 || n > 1<<30 {
		return nil, fmt.Errorf("message of %d bytes", n)
	}
	msg := make([]byte, 1+n)
	copy(msg, head[:])
	_, err := io.ReadFull(r, msg[5:])
	return msg, err
}

// cstring returns the NUL-terminated string at the start of b.
func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// isCommit reports whether a simple query's text (NUL-terminated) is COMMIT.
func isCommit(q []byte) bool {
	q = bytes.TrimSpace(bytes.TrimSuffix(q, []byte{0}))
	q = bytes.TrimSuffix(q, []byte(";"))
	return bytes.EqualFold(q, []byte("commit")) || bytes.EqualFold(q, []byte("end"))
}
