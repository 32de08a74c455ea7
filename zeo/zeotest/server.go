// Package zeotest is a stand-in ZEO server for tests: it speaks the frames a
// real ZEO 5/6 server speaks (greeting, register, lastTransaction, ruok), in
// either encoding, so that the probe and everything that supervises a ZEO
// server can be tested on loopback without Python and ZODB installed.
package zeotest

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"deploy/zeo"
)

// DefaultLastTransaction is the last transaction id every storage reports
// until SetLastTransaction changes it; it is the one in the Z5 wire capture.
const DefaultLastTransaction uint64 = 0x040d2d5429c29aee

// Server is a running stand-in ZEO server.
type Server struct {
	protocol string
	ln       net.Listener
	started  time.Time
	wg       sync.WaitGroup

	mu        sync.Mutex
	storages  map[string]bool
	tid       uint64
	conns     map[net.Conn]struct{}
	registers map[string]int // open connections registered per storage
	onConnect func(remote string)
	closed    bool
}

// Start listens on 127.0.0.1:0 (or on addr when it is not empty; an absolute
// path is a Unix socket) speaking protocol "M5" or "Z5", serving the named
// storages with DefaultLastTransaction.
func Start(protocol, addr string, storages ...string) (*Server, error) {
	if protocol != zeo.ProtocolMsgpack && protocol != zeo.ProtocolPickle {
		return nil, fmt.Errorf("zeotest: protocol %q: a ZEO 5 server speaks %s or %s",
			protocol, zeo.ProtocolMsgpack, zeo.ProtocolPickle)
	}
	network := "tcp"
	switch {
	case addr == "":
		addr = "127.0.0.1:0"
	case strings.HasPrefix(addr, "/"):
		network = "unix"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		return nil, fmt.Errorf("zeotest: listen on %s: %w", addr, err)
	}
	s := &Server{
		protocol:  protocol,
		ln:        ln,
		started:   time.Now(),
		tid:       DefaultLastTransaction,
		conns:     map[net.Conn]struct{}{},
		registers: map[string]int{},
	}
	s.SetStorages(storages...)
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is the address the server listens on: "127.0.0.1:PORT" or the socket path.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Protocol is the id the server greets with.
func (s *Server) Protocol() string { return s.protocol }

// SetStorages replaces the storages the server serves. Connections that
// already registered a storage keep it, as they would on a real server
// whose configuration changed under them.
func (s *Server) SetStorages(names ...string) {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	s.mu.Lock()
	s.storages = m
	s.mu.Unlock()
}

// SetLastTransaction sets the last transaction id every storage reports.
func (s *Server) SetLastTransaction(tid uint64) {
	s.mu.Lock()
	s.tid = tid
	s.mu.Unlock()
}

// OnConnect sets a function called with the remote address of every
// connection the server accepts (the zeostandin command logs them).
func (s *Server) OnConnect(f func(remote string)) {
	s.mu.Lock()
	s.onConnect = f
	s.mu.Unlock()
}

// Close stops listening, drops every connection and waits for the server's
// goroutines to end. Closing twice is harmless.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient accept error (too many files): keep serving.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		onConnect := s.onConnect
		s.wg.Add(1)
		s.mu.Unlock()
		if onConnect != nil {
			onConnect(c.RemoteAddr().String())
		}
		go s.handle(c)
	}
}

// handle speaks to one client: greeting, then either ruok or the echoed id
// followed by calls until the client goes away.
func (s *Server) handle(c net.Conn) {
	registered := ""
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		if registered != "" {
			s.registers[registered]--
		}
		s.mu.Unlock()
		_ = c.Close()
		s.wg.Done()
	}()
	if zeo.WriteFrame(c, []byte(s.protocol)) != nil {
		return
	}
	first, err := zeo.ReadFrame(c, 64)
	if err != nil {
		return
	}
	switch string(first) {
	case "ruok":
		_ = zeo.WriteFrame(c, s.status())
		return
	case s.protocol:
	default:
		return // a client speaking another protocol: ZEO logs and hangs up
	}
	for {
		m, err := zeo.ReadMessage(c, s.protocol, zeo.DefaultMaxFrame)
		if err != nil {
			return
		}
		reply, name := s.answer(m, registered)
		if name != "" && registered == "" {
			registered = name
		}
		if m.Flag == zeo.FlagAsync {
			continue
		}
		if zeo.WriteMessage(c, s.protocol, reply) != nil {
			return
		}
	}
}

// answer computes the reply to one call and, for a successful register, the
// storage the connection is now bound to.
func (s *Server) answer(m zeo.Message, registered string) (zeo.Message, string) {
	args, _ := m.Args.([]any)
	switch {
	case m.Method == "register" && registered == "":
		name, _ := argString(args)
		s.mu.Lock()
		served := s.storages[name]
		if served {
			s.registers[name]++
		}
		tid := s.tid
		s.mu.Unlock()
		if !served {
			return errorReply(m.ID, "builtins.ValueError", "unknown storage: "+name), ""
		}
		return reply(m.ID, tidBytes(tid)), name
	case m.Method == "lastTransaction" && registered != "":
		s.mu.Lock()
		tid := s.tid
		s.mu.Unlock()
		return reply(m.ID, tidBytes(tid)), ""
	}
	return errorReply(m.ID, "builtins.ValueError", fmt.Sprintf("Invalid method, %q", m.Method)), ""
}

func argString(args []any) (string, bool) {
	if len(args) == 0 {
		return "", false
	}
	switch a := args[0].(type) {
	case string:
		return a, true
	case []byte:
		return string(a), true
	}
	return "", false
}

func reply(id int64, result any) zeo.Message {
	return zeo.Message{ID: id, Flag: zeo.FlagSync, Method: zeo.ReplyMethod, Args: result}
}

// errorReply is an exception as ZEO 6 sends it: (class name, args).
func errorReply(id int64, class, text string) zeo.Message {
	return zeo.Message{ID: id, Flag: zeo.FlagError, Method: zeo.ReplyMethod, Args: []any{class, []any{text}}}
}

func tidBytes(tid uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, tid)
}

// storageStatus is one storage's ruok entry, with the fields of a real
// server in its order.
type storageStatus struct {
	Connections       int      `json:"connections"`
	Loads             int      `json:"loads"`
	Stores            int      `json:"stores"`
	Commits           int      `json:"commits"`
	Aborts            int      `json:"aborts"`
	ActiveTxns        int      `json:"active_txns"`
	LockTime          *float64 `json:"lock_time"`
	Conflicts         int      `json:"conflicts"`
	ConflictsResolved int      `json:"conflicts_resolved"`
	Start             string   `json:"start"`
	Waiting           int      `json:"waiting"`
	TimeoutThread     string   `json:"timeout-thread-is-alive"`
	LastTransaction   string   `json:"last-transaction"`
}

// status is the JSON a real server answers to ruok.
func (s *Server) status() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]storageStatus, len(s.storages))
	for name := range s.storages {
		out[name] = storageStatus{
			Connections:     s.registers[name],
			Start:           s.started.Format(time.ANSIC), // Python's time.ctime()
			TimeoutThread:   "stub",
			LastTransaction: hex.EncodeToString(tidBytes(s.tid)),
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err) // plain structs of ints and strings always marshal
	}
	return b
}
