// Command server is the benchmark's API server: just enough of kube-apiserver for `exec` (legacy
// discovery, GET pod, pods/exec over WebSocket with v5.channel.k8s.io / v4.channel.k8s.io), with
// in-memory commands so no process or disk sits in the data path:
//
//	__kubexec_generate BYTES   writes BYTES zero bytes to stdout, -chunk bytes per message
//	__kubexec_sink             reads stdin to its end (v5 CLOSE) and prints "COUNT -\n"
//	anything else              exits 0 at once (the latency scenario runs "true") — unless
//	                           -pods DIR is given and DIR/NAMESPACE/POD is a directory: then
//	                           the command runs as a process there, its streams wired to the
//	                           channels as a kubelet would (the cp rows)
//
// The WebSocket framing is written here with the standard library only: the real apiserver's
// wsstream (golang.org/x/net/websocket) was measured on this kind of machine at about 600 MiB/s
// sending and 200 MiB/s receiving, slower than the clients under test, so it would measure
// itself. Stdout messages are built once and written whole by the handler itself, each
// message's TLS records in one system call (heldConn); stdin frames are unmasked and counted.
//
// A second TLS listener (same certificate, same tls.Config, same process) serves the raw limit:
// a client sends "GEN n\n" and receives n bytes without WebSocket framing, or "SINK\n" and
// streams bytes until it half-closes, then receives the count.
//
// The same binary is also the "server alone" client (-client ws-read|ws-write|raw-read|raw-write):
// it drives either listener as fast as possible without interpreting what it reads, to show the
// server outruns every real client.
package main

import (
	"bufio"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

var chunk = flag.Int("chunk", 32*1024, "payload bytes per stdout message / raw write")
var podsDir = flag.String("pods", "", "run the commands of a pod with a directory DIR/NAMESPACE/POD as processes there")

// heldConn sits under a TLS connection. Once hold is set, the TLS records of a write collect
// until flush, so a message's records (a 32 KiB payload is three: 16 KiB, 16 KiB and the last 5
// bytes) leave in one system call instead of one each. The records themselves do not change:
// a client sees exactly the records it would see otherwise.
type heldConn struct {
	net.Conn
	hold    bool
	pending []byte
}

func (c *heldConn) Write(p []byte) (int, error) {
	if !c.hold {
		return c.Conn.Write(p)
	}
	c.pending = append(c.pending, p...)
	return len(p), nil
}

func (c *heldConn) flush() error {
	if len(c.pending) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.pending)
	c.pending = c.pending[:0]
	return err
}

// Close writes what is held and closes. The TLS close_notify alert is among it: tls.Conn writes
// the alert and then sets a write deadline in the past, so the deadline is lifted first.
func (c *heldConn) Close() error {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_ = c.flush()
	return c.Conn.Close()
}

// heldListener accepts connections as heldConn (not holding until asked).
type heldListener struct{ net.Listener }

func (l heldListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &heldConn{Conn: conn}, nil
}

// tlsListen listens on a loopback port for TLS connections whose sockets are heldConn.
func tlsListen(config *tls.Config) net.Listener {
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	return tls.NewListener(heldListener{plain}, config)
}

// messenger writes whole messages to a hijacked TLS connection: one message at a time (a mutex,
// since stdout and the answers to pings come from different goroutines) and one system call
// per message.
type messenger struct {
	lock sync.Mutex
	conn *tls.Conn
	held *heldConn
}

func newMessenger(conn net.Conn) *messenger {
	m := &messenger{conn: conn.(*tls.Conn)}
	m.held = m.conn.NetConn().(*heldConn)
	m.held.hold = true
	return m
}

func (m *messenger) send(message []byte) error {
	m.lock.Lock()
	defer m.lock.Unlock()
	if _, err := m.conn.Write(message); err != nil {
		return err
	}
	return m.held.flush()
}

func main() {
	certFile := flag.String("cert", "", "server certificate PEM")
	keyFile := flag.String("key", "", "server key PEM")
	caFile := flag.String("ca", "", "CA PEM (client mode)")
	client := flag.String("client", "", "client mode: ws-read, ws-write, raw-read, raw-write")
	addr := flag.String("addr", "", "client mode: host:port")
	bytes := flag.Int64("bytes", 1<<30, "client mode: payload size")
	flag.Parse()
	if *client != "" {
		if err := runClient(*client, *addr, *caFile, *bytes); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		fail(err)
	}
	config := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	api := tlsListen(config)
	raw := tlsListen(config)
	go serveRaw(raw)
	mux := http.NewServeMux()
	mux.HandleFunc("/api", serveJSON(apiVersions))
	mux.HandleFunc("/apis", serveJSON(apiGroups))
	mux.HandleFunc("/api/v1", serveJSON(coreResources))
	mux.HandleFunc("/api/v1/namespaces/{ns}/pods/{pod}", servePod)
	mux.HandleFunc("/api/v1/namespaces/{ns}/pods/{pod}/exec", serveExec)
	fmt.Printf("{\"api\":%q,\"raw\":%q}\n", api.Addr().String(), raw.Addr().String())
	_ = (&http.Server{Handler: mux, ErrorLog: nil}).Serve(api)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

var apiVersions = map[string]any{
	"kind": "APIVersions", "versions": []string{"v1"},
	"serverAddressByClientCIDRs": []any{map[string]any{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}},
}

var apiGroups = map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": []any{}}

var coreResources = map[string]any{
	"kind": "APIResourceList", "groupVersion": "v1",
	"resources": []any{
		map[string]any{
			"name": "pods", "singularName": "pod", "namespaced": true, "kind": "Pod",
			"verbs": []string{"get", "list"}, "shortNames": []string{"po"},
		},
		map[string]any{"name": "pods/exec", "singularName": "", "namespaced": true, "kind": "PodExecOptions", "verbs": []string{"create", "get"}},
	},
}

func serveJSON(document any) http.HandlerFunc {
	body, _ := json.Marshal(document)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

func servePod(w http.ResponseWriter, r *http.Request) {
	pod := map[string]any{
		"kind": "Pod", "apiVersion": "v1",
		"metadata": map[string]any{
			"name": r.PathValue("pod"), "namespace": r.PathValue("ns"),
			"uid": "00000000-0000-0000-0000-000000000001", "resourceVersion": "1",
			"creationTimestamp": "2026-01-01T00:00:00Z",
		},
		"spec": map[string]any{
			"nodeName":   "node-1",
			"containers": []any{map[string]any{"name": "app", "image": "busybox"}},
		},
		"status": map[string]any{
			"phase": "Running",
			"containerStatuses": []any{map[string]any{
				"name": "app", "ready": true, "restartCount": 0, "image": "busybox",
				"state": map[string]any{"running": map[string]any{"startedAt": "2026-01-01T00:00:00Z"}},
			}},
		},
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(pod)
}

// frameHeader appends a server (unmasked) binary frame header for a payload of n bytes.
func frameHeader(out []byte, opcode byte, n int) []byte {
	out = append(out, 0x80|opcode)
	switch {
	case n < 126:
		return append(out, byte(n))
	case n < 65536:
		return append(out, 126, byte(n>>8), byte(n))
	default:
		out = append(out, 127)
		return binary.BigEndian.AppendUint64(out, uint64(n))
	}
}

// message builds one whole binary message: header, channel byte, payload.
func message(channel byte, payload []byte) []byte {
	out := frameHeader(make([]byte, 0, len(payload)+11), 2, len(payload)+1)
	out = append(out, channel)
	return append(out, payload...)
}

func serveExec(w http.ResponseWriter, r *http.Request) {
	offered := strings.Split(r.Header.Get("Sec-WebSocket-Protocol"), ",")
	protocol := ""
	for _, p := range offered {
		p = strings.TrimSpace(p)
		if p == "v5.channel.k8s.io" || p == "v4.channel.k8s.io" {
			protocol = p
			break
		}
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") || protocol == "" {
		http.Error(w, "websocket upgrade with v5/v4.channel.k8s.io required", http.StatusBadRequest)
		return
	}
	digest := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	conn, buffered, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = fmt.Fprintf(conn, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: %s\r\n\r\n",
		base64.StdEncoding.EncodeToString(digest[:]), protocol)
	// Output is written from this goroutine: a hand-off per message to a writer goroutine cost
	// the server a third of its speed (server alone 1443 against 2100 MiB/s, 3 runs).
	out := newMessenger(conn)
	session := &wsSession{
		out:      out,
		reader:   bufio.NewReaderSize(io.MultiReader(buffered, conn), 256*1024),
		gotClose: make(chan struct{}),
	}
	query := r.URL.Query()
	command := query["command"]
	var process *exec.Cmd
	var outputs []io.Reader
	dir := filepath.Join(*podsDir, r.PathValue("ns"), r.PathValue("pod"))
	if info, statErr := os.Stat(dir); *podsDir != "" && len(command) > 0 && statErr == nil && info.IsDir() {
		process, outputs, err = startProcess(command, dir, session, query)
		if err != nil {
			_ = out.send(message(3, []byte(execFailure(err))))
			_ = out.send(append(frameHeader(nil, 8, 2), 0x03, 0xe8))
			return
		}
	}
	stdinDone := make(chan int64, 1)
	go session.readLoop(stdinDone)
	status := `{"metadata":{},"status":"Success"}`
	switch {
	case process != nil:
		status = session.finishProcess(process, outputs)
	case len(command) >= 2 && command[0] == "__kubexec_generate":
		total, _ := strconv.ParseInt(command[1], 10, 64)
		full := message(1, make([]byte, *chunk))
		for ; total >= int64(*chunk) && err == nil; total -= int64(*chunk) {
			err = out.send(full)
		}
		if total > 0 && err == nil {
			err = out.send(message(1, make([]byte, total)))
		}
	case len(command) >= 1 && command[0] == "__kubexec_sink":
		count := <-stdinDone
		err = out.send(message(1, []byte(fmt.Sprintf("%d -\n", count))))
	}
	if err != nil {
		return
	}
	if out.send(message(3, []byte(status))) != nil {
		return
	}
	if out.send(append(frameHeader(nil, 8, 2), 0x03, 0xe8)) != nil {
		return
	}
	// Wait (bounded) for the client's close frame before dropping the connection.
	select {
	case <-session.gotClose:
	case <-time.After(5 * time.Second):
	}
}

type wsSession struct {
	out      *messenger
	reader   *bufio.Reader
	gotClose chan struct{}
	// stdin, when a process runs, receives channel 0; closed at the client's v5 CLOSE or when
	// the connection ends.
	stdin io.WriteCloser
}

// startProcess starts argv in dir with the streams the query asks for, the way a kubelet would:
// stdin from channel 0 when stdin=true, stdout and stderr read for channels 1 and 2.
func startProcess(argv []string, dir string, session *wsSession, query url.Values) (*exec.Cmd, []io.Reader, error) {
	process := exec.Command(argv[0], argv[1:]...)
	process.Dir = dir
	process.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	if query.Get("stdin") == "true" {
		stdin, err := process.StdinPipe()
		if err != nil {
			return nil, nil, err
		}
		session.stdin = stdin
	}
	var outputs []io.Reader
	for channel, wanted := range []bool{false, query.Get("stdout") == "true", query.Get("stderr") == "true"} {
		var pipe io.Reader
		var err error
		switch {
		case !wanted:
		case channel == 1:
			pipe, err = process.StdoutPipe()
		case channel == 2:
			pipe, err = process.StderrPipe()
		}
		if err != nil {
			return nil, nil, err
		}
		outputs = append(outputs, pipe)
	}
	if err := process.Start(); err != nil {
		return nil, nil, err
	}
	return process, outputs, nil
}

// finishProcess sends the process's stdout and stderr (32 KiB reads, a message each) until both
// end, waits for it and returns the channel-3 status the API server would send.
func (s *wsSession) finishProcess(process *exec.Cmd, outputs []io.Reader) string {
	var pumps sync.WaitGroup
	for channel, pipe := range outputs {
		if pipe == nil {
			continue
		}
		pumps.Add(1)
		go func() {
			defer pumps.Done()
			buffer := make([]byte, 14+32*1024)
			for {
				n, err := pipe.Read(buffer[14:])
				if n > 0 {
					frame := frameHeader(buffer[:0], 2, n+1)
					frame = append(frame, byte(channel))
					start := 14 - len(frame)
					copy(buffer[start:], frame)
					if s.out.send(buffer[start:14+n]) != nil {
						// The client is gone: end the process, as the kubelet does when the
						// stream closes, rather than let it run on into a pipe nobody reads.
						_ = process.Process.Kill()
						_, _ = io.Copy(io.Discard, pipe)
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
	}
	pumps.Wait()
	err := process.Wait()
	var exitError *exec.ExitError
	if errors.As(err, &exitError) {
		code := exitError.ExitCode()
		return fmt.Sprintf(`{"metadata":{},"status":"Failure","message":"command terminated with `+
			`non-zero exit code: error executing command [%s], exit code %d","reason":"NonZeroExitCode",`+
			`"details":{"causes":[{"reason":"ExitCode","message":"%d"}]}}`,
			strings.Join(process.Args, " "), code, code)
	}
	if err != nil {
		return execFailure(err)
	}
	return `{"metadata":{},"status":"Success"}`
}

// execFailure is the status of a command that could not start (a missing executable).
func execFailure(err error) string {
	message, _ := json.Marshal(err.Error())
	return `{"metadata":{},"status":"Failure","message":` + string(message) + `}`
}

// readLoop counts stdin payload until the v5 CLOSE for channel 0 (or the connection's end), then
// keeps reading control frames until the client's close frame.
func (s *wsSession) readLoop(stdinDone chan<- int64) {
	var count int64
	reported := false
	report := func() {
		if !reported {
			reported = true
			if s.stdin != nil {
				_ = s.stdin.Close()
			}
			stdinDone <- count
		}
	}
	forward := func(part []byte) {
		if s.stdin == nil {
			return
		}
		if _, err := s.stdin.Write(part); err != nil {
			_ = s.stdin.Close()
			s.stdin = nil
		}
	}
	defer close(s.gotClose)
	defer report()
	header := make([]byte, 14)
	buffer := make([]byte, 64*1024)
	for {
		if _, err := io.ReadFull(s.reader, header[:2]); err != nil {
			return
		}
		opcode := header[0] & 0x0f
		length := int64(header[1] & 0x7f)
		switch length {
		case 126:
			if _, err := io.ReadFull(s.reader, header[2:4]); err != nil {
				return
			}
			length = int64(binary.BigEndian.Uint16(header[2:4]))
		case 127:
			if _, err := io.ReadFull(s.reader, header[2:10]); err != nil {
				return
			}
			length = int64(binary.BigEndian.Uint64(header[2:10]))
		}
		var key [4]byte
		if header[1]&0x80 != 0 {
			if _, err := io.ReadFull(s.reader, key[:]); err != nil {
				return
			}
		}
		first := true
		channel := byte(0)
		var position int64
		for remaining := length; remaining > 0; {
			n := int64(len(buffer))
			if remaining < n {
				n = remaining
			}
			part := buffer[:n]
			if _, err := io.ReadFull(s.reader, part); err != nil {
				return
			}
			unmask(part, key, position)
			position += n
			if first && (opcode == 1 || opcode == 2) {
				channel = part[0]
				if channel == 255 && length == 2 && part[1] == 0 {
					report()
				} else if channel == 0 {
					count += n - 1
					forward(part[1:])
				}
				first = false
			} else if opcode == 0 || opcode == 2 {
				if channel == 0 {
					count += n
					forward(part)
				}
			}
			if opcode == 9 {
				_ = s.out.send(append(frameHeader(nil, 10, len(part)), part...))
			}
			remaining -= n
		}
		if opcode == 8 {
			return
		}
	}
}

// unmask XORs part (which starts at offset position of its frame's payload) with key, eight
// bytes at a time.
func unmask(part []byte, key [4]byte, position int64) {
	if key == [4]byte{} {
		return
	}
	var rotated [8]byte
	for i := range rotated {
		rotated[i] = key[(int64(i)+position)&3]
	}
	word := binary.LittleEndian.Uint64(rotated[:])
	i := 0
	for ; i+8 <= len(part); i += 8 {
		binary.LittleEndian.PutUint64(part[i:], binary.LittleEndian.Uint64(part[i:])^word)
	}
	for ; i < len(part); i++ {
		part[i] ^= rotated[i&7]
	}
}

func serveRaw(listener net.Listener) {
	for {
		conn, err := listener.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			reader := bufio.NewReader(conn)
			line, err := reader.ReadString('\n')
			if err != nil {
				return
			}
			fields := strings.Fields(line)
			if len(fields) == 2 && fields[0] == "GEN" {
				total, _ := strconv.ParseInt(fields[1], 10, 64)
				out := newMessenger(conn)
				buffer := make([]byte, *chunk)
				for total > 0 {
					n := min(int64(len(buffer)), total)
					if err := out.send(buffer[:n]); err != nil {
						return
					}
					total -= n
				}
			} else if len(fields) == 1 && fields[0] == "SINK" {
				count, _ := io.CopyBuffer(io.Discard, reader, make([]byte, 256*1024))
				_, _ = fmt.Fprintf(conn, "%d\n", count)
			}
		}()
	}
}

// runClient drives the server as fast as possible, discarding what it reads unparsed.
func runClient(mode, addr, caFile string, total int64) error {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		return err
	}
	defer conn.Close()
	started := time.Now()
	var moved int64
	switch mode {
	case "raw-read":
		if _, err = fmt.Fprintf(conn, "GEN %d\n", total); err == nil {
			moved, err = io.CopyBuffer(io.Discard, conn, make([]byte, 256*1024))
		}
	case "raw-write":
		if _, err = io.WriteString(conn, "SINK\n"); err == nil {
			moved, err = writeFrames(conn, total, nil)
		}
		if err == nil {
			err = conn.CloseWrite()
		}
		if err == nil {
			_, err = io.Copy(io.Discard, conn)
		}
	case "ws-read":
		// The close frame goes first: the server keeps sending the command's output, and needs
		// no answer to its own close at the end, so reading runs until the connection ends.
		var reader io.Reader
		if reader, err = upgrade(conn, addr, true, total); err == nil {
			_, err = conn.Write([]byte{0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8})
		}
		if err == nil {
			moved, err = io.CopyBuffer(io.Discard, reader, make([]byte, 256*1024))
		}
	case "ws-write":
		// One masked frame (mask key zero: XOR is a no-op, the server still unmasks) sent over
		// and over: stdin at the cost of the server alone.
		var reader io.Reader
		if reader, err = upgrade(conn, addr, false, total); err == nil {
			moved, err = writeFrames(conn, total, []byte{0})
		}
		if err == nil {
			_, err = conn.Write([]byte{0x82, 0x82, 0, 0, 0, 0, 255, 0, 0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8})
		}
		if err == nil {
			_, err = io.Copy(io.Discard, reader)
		}
	default:
		err = fmt.Errorf("unknown client mode %q", mode)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	fmt.Printf("{\"bytes\":%d,\"seconds\":%f}\n", moved, time.Since(started).Seconds())
	return nil
}

// writeFrames writes total payload bytes of zeros in -chunk pieces; with a channel prefix each
// piece becomes a masked binary frame (zero key) carrying that prefix.
func writeFrames(conn net.Conn, total int64, prefix []byte) (int64, error) {
	payload := *chunk
	frame := make([]byte, payload)
	if prefix != nil {
		frame = frameHeader(nil, 2, payload+len(prefix))
		frame[1] |= 0x80
		frame = append(frame, 0, 0, 0, 0)
		frame = append(frame, prefix...)
		frame = append(frame, make([]byte, payload)...)
	}
	var moved int64
	for moved < total {
		if total-moved < int64(payload) {
			return moved, fmt.Errorf("payload size must be a multiple of -chunk")
		}
		if _, err := conn.Write(frame); err != nil {
			return moved, err
		}
		moved += int64(payload)
	}
	return moved, nil
}

func upgrade(conn net.Conn, addr string, read bool, total int64) (io.Reader, error) {
	query := "command=__kubexec_sink&stdin=true&stdout=true"
	if read {
		query = fmt.Sprintf("command=__kubexec_generate&command=%d&stdout=true", total)
	}
	key := base64.StdEncoding.EncodeToString([]byte("kubexec-bench-16"))
	request := "GET /api/v1/namespaces/default/pods/web-0/exec?" + query + " HTTP/1.1\r\n" +
		"Host: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n"
	if _, err := io.WriteString(conn, request); err != nil {
		return nil, err
	}
	reader := bufio.NewReaderSize(conn, 256*1024)
	response, err := http.ReadResponse(reader, nil)
	if err != nil {
		return nil, err
	}
	if response.StatusCode != http.StatusSwitchingProtocols {
		return nil, fmt.Errorf("upgrade refused: %s", response.Status)
	}
	return reader, nil
}
