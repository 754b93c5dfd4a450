//go:build unix

package postgres

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
)

// idleConnAlive reports whether the socket under an idle connection is still open
// with nothing waiting to be read. A backend that was terminated (by
// pg_terminate_backend, a shutdown or a crash) sends its FATAL message and closes
// the socket, so the socket is readable; a live backend sends nothing to an idle
// client. It peeks without blocking and without consuming a byte, so it costs one
// system call. Sockets it cannot look at count as alive.
//
// The peek runs under RawConn.Control, not RawConn.Read: pgx may leave a
// background reader parked in a Read on an idle connection (after a write that
// had to wait), and that Read holds the descriptor's read lock until data comes.
func idleConnAlive(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	alive := false
	var buf [1]byte
	err = raw.Control(func(fd uintptr) {
		_, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// Nothing to read is what a quiet idle connection looks like. Anything
		// else (end of stream, a reset, or data: most likely the FATAL message
		// that precedes a close) means the connection cannot be used.
		alive = errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK) || errors.Is(err, syscall.EINTR)
	})
	return alive && err == nil
}
