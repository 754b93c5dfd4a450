//go:build unix

package postgres

import (
	"net"
	"testing"
	"time"
)

// TestIdleConnAlive checks the peek against a real TCP peer: a quiet peer is
// alive; one that has sent something (as a terminated backend sends its FATAL
// message), closed, or both, is not; and the peek consumes nothing.
func TestIdleConnAlive(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		peer func(net.Conn)
		want bool
	}{
		{"quiet", func(net.Conn) {}, true},
		{"sent a message", func(c net.Conn) { _, _ = c.Write([]byte("E")) }, false},
		{"closed", func(c net.Conn) { _ = c.Close() }, false},
		{"sent a message and closed", func(c net.Conn) { _, _ = c.Write([]byte("E")); _ = c.Close() }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			client, server := tcpPair(t)
			tc.peer(server)
			time.Sleep(20 * time.Millisecond) // let loopback deliver
			if got := idleConnAlive(client); got != tc.want {
				t.Errorf("idleConnAlive = %v, want %v", got, tc.want)
			}
			if got := idleConnAlive(client); got != tc.want {
				t.Errorf("idleConnAlive, asked again = %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("peek leaves the data", func(t *testing.T) {
		t.Parallel()
		a, b := tcpPair(t)
		if _, err := b.Write([]byte("Z")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
		if idleConnAlive(a) {
			t.Fatal("idleConnAlive = true with a byte waiting, want false")
		}
		buf := make([]byte, 2)
		_ = a.SetReadDeadline(time.Now().Add(time.Second))
		n, err := a.Read(buf)
		if err != nil || string(buf[:n]) != "Z" {
			t.Errorf("read after the peek = %q, %v, want \"Z\"", buf[:n], err)
		}
	})
	t.Run("not a socket", func(t *testing.T) {
		t.Parallel()
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		if !idleConnAlive(a) {
			t.Errorf("idleConnAlive(net.Pipe) = false, want true (cannot look, so assume alive)")
		}
	})
}

func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// TestIdleConnAliveBesideABlockedRead checks the peek does not wait for a Read
// parked on the same connection, as pgx's background reader can leave one.
func TestIdleConnAliveBesideABlockedRead(t *testing.T) {
	t.Parallel()
	a, b := tcpPair(t)
	read := make(chan struct{})
	go func() {
		defer close(read)
		var buf [1]byte
		_, _ = a.Read(buf[:])
	}()
	time.Sleep(20 * time.Millisecond) // let the Read park
	done := make(chan bool, 1)
	go func() { done <- idleConnAlive(a) }()
	select {
	case got := <-done:
		if !got {
			t.Errorf("idleConnAlive = false on a quiet connection, want true")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("idleConnAlive blocked behind a parked Read")
	}
	_ = b.Close()
	<-read
}
