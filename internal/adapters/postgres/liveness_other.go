//go:build !unix

package postgres

import "net"

// idleConnAlive cannot peek at sockets here; the pool's ping of connections idle
// for over a second is the only check.
func idleConnAlive(net.Conn) bool { return true }
