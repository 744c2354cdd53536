package main

// runtime.go is the container runtime behind the kubelet stand-in: it
// implements the CRI streaming package's Runtime interface with local
// processes. A "container" is a working directory plus environment; exec runs
// a new process there (with a pseudo-terminal when a TTY is asked for),
// attach joins the container's long-running main process, and port-forward
// dials the loopback port that the pod's port map names.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"
	remotecommandserver "k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
)

// containerSpec is what the runtime needs to know about one container.
type containerSpec struct {
	name    string
	env     []string
	command []string
}

// podSpec is what the runtime needs to know about one pod.
type podSpec struct {
	namespace  string
	name       string
	workDir    string
	containers []containerSpec
	// ports maps a container port to the loopback address that serves it.
	ports map[int32]string
}

// localRuntime runs containers as local processes.
type localRuntime struct {
	mu    sync.Mutex
	pods  map[string]*podSpec
	mains map[string]*mainProcess
	// children are the processes started for exec, so shutdown can end
	// those that live in their own session (TTY execs) and so escape a
	// process-group kill.
	children map[*os.Process]struct{}
	ctx      context.Context
}

func newLocalRuntime(ctx context.Context) *localRuntime {
	return &localRuntime{
		pods:     map[string]*podSpec{},
		mains:    map[string]*mainProcess{},
		children: map[*os.Process]struct{}{},
		ctx:      ctx,
	}
}

func containerID(namespace, pod, container string) string {
	return namespace + "/" + pod + "/" + container
}

func sandboxID(namespace, pod string) string {
	return namespace + "/" + pod
}

// addPod registers a pod, creates its working directory and starts the main
// process of each container that has a command.
func (r *localRuntime) addPod(spec *podSpec) error {
	if err := os.MkdirAll(spec.workDir, 0o755); err != nil {
		return err
	}
	r.mu.Lock()
	r.pods[sandboxID(spec.namespace, spec.name)] = spec
	r.mu.Unlock()
	for _, c := range spec.containers {
		if len(c.command) == 0 {
			continue
		}
		main := newMainProcess(r.ctx, c.command, spec.workDir, r.environment(spec, c))
		r.mu.Lock()
		r.mains[containerID(spec.namespace, spec.name, c.name)] = main
		r.mu.Unlock()
		go main.run()
	}
	return nil
}

// hasPod tells whether the runtime knows the pod, as the kubelet's pod
// manager would.
func (r *localRuntime) hasPod(namespace, name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.pods[sandboxID(namespace, name)]
	return ok
}

func (r *localRuntime) environment(pod *podSpec, c containerSpec) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + pod.workDir,
		"HOSTNAME=" + pod.name,
		"LANG=C",
	}
	return append(env, c.env...)
}

func (r *localRuntime) lookupContainer(id string) (*podSpec, containerSpec, error) {
	parts := strings.Split(id, "/")
	if len(parts) != 3 {
		return nil, containerSpec{}, fmt.Errorf("malformed container id %q", id)
	}
	r.mu.Lock()
	pod, ok := r.pods[sandboxID(parts[0], parts[1])]
	r.mu.Unlock()
	if !ok {
		return nil, containerSpec{}, fmt.Errorf("pod %s/%s not found", parts[0], parts[1])
	}
	for _, c := range pod.containers {
		if c.name == parts[2] {
			return pod, c, nil
		}
	}
	return nil, containerSpec{}, fmt.Errorf("container %q not found in pod %s/%s", parts[2], parts[0], parts[1])
}

func (r *localRuntime) track(p *os.Process) {
	r.mu.Lock()
	r.children[p] = struct{}{}
	r.mu.Unlock()
}

func (r *localRuntime) untrack(p *os.Process) {
	r.mu.Lock()
	delete(r.children, p)
	r.mu.Unlock()
}

// shutdown kills every process the runtime started.
func (r *localRuntime) shutdown() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for p := range r.children {
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
		_ = p.Kill()
	}
	for _, m := range r.mains {
		m.kill()
	}
}

// exitError turns a finished command's error into what the streaming
// server reports: a CodeExitError becomes the exec status with the exit code.
func exitError(err error) error {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code := exitErr.ExitCode()
		if status, ok := exitErr.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			code = 128 + int(status.Signal())
		}
		return utilexec.CodeExitError{Err: err, Code: code}
	}
	return err
}

// Exec runs cmd in the container's working directory.
func (r *localRuntime) Exec(ctx context.Context, id string, cmd []string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommandserver.TerminalSize) error {
	pod, container, err := r.lookupContainer(id)
	if err != nil {
		return err
	}
	if len(cmd) == 0 {
		return errors.New("no command given")
	}
	command := exec.Command(cmd[0], cmd[1:]...)
	command.Dir = pod.workDir
	command.Env = r.environment(pod, container)
	if tty {
		return r.execWithTerminal(ctx, command, in, out, resize)
	}
	return r.execWithPipes(ctx, command, in, out, errOut)
}

func (r *localRuntime) execWithPipes(ctx context.Context, command *exec.Cmd, in io.Reader, out, errOut io.WriteCloser) error {
	// Children share the harness's process group so that killing the group
	// ends them too; Pdeathsig covers the harness dying by itself.
	command.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if out != nil {
		command.Stdout = out
	}
	if errOut != nil {
		command.Stderr = errOut
	}
	var stdin io.WriteCloser
	if in != nil {
		pipe, err := command.StdinPipe()
		if err != nil {
			return err
		}
		stdin = pipe
	}
	if err := command.Start(); err != nil {
		return fmt.Errorf("starting %q: %w", command.Path, err)
	}
	r.track(command.Process)
	defer r.untrack(command.Process)
	if stdin != nil {
		// Copied by hand rather than via command.Stdin: Wait would then block
		// until the client closes stdin, even after the process has exited.
		go func() {
			_, _ = io.Copy(stdin, in)
			_ = stdin.Close()
		}()
	}
	stop := context.AfterFunc(ctx, func() { _ = command.Process.Kill() })
	defer stop()
	return exitError(command.Wait())
}

func (r *localRuntime) execWithTerminal(ctx context.Context, command *exec.Cmd, in io.Reader, out io.WriteCloser, resize <-chan remotecommandserver.TerminalSize) error {
	command.Env = append(command.Env, "TERM=xterm")
	// pty.StartWithSize adds Setsid and Setctty: the process leads its own
	// session, so a process-group kill misses it; Pdeathsig and shutdown
	// cover it.
	command.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	size := &pty.Winsize{Rows: 24, Cols: 80}
	// The first size usually arrives with the request; waiting briefly lets
	// the shell start with the client's real size.
	select {
	case s, ok := <-resize:
		if ok {
			size = &pty.Winsize{Rows: s.Height, Cols: s.Width}
		}
	case <-time.After(200 * time.Millisecond):
	}
	terminal, err := pty.StartWithSize(command, size)
	if err != nil {
		return fmt.Errorf("starting %q on a terminal: %w", command.Path, err)
	}
	defer terminal.Close()
	r.track(command.Process)
	defer r.untrack(command.Process)
	go func() {
		for s := range resize {
			_ = pty.Setsize(terminal, &pty.Winsize{Rows: s.Height, Cols: s.Width})
		}
	}()
	if in != nil {
		go func() { _, _ = io.Copy(terminal, in) }()
	}
	outputDone := make(chan struct{})
	go func() {
		defer close(outputDone)
		if out != nil {
			_, _ = io.Copy(out, terminal)
		} else {
			_, _ = io.Copy(io.Discard, terminal)
		}
	}()
	stop := context.AfterFunc(ctx, func() { _ = command.Process.Kill() })
	defer stop()
	waitErr := command.Wait()
	// Output written just before exit is still in the terminal buffer; the
	// reader ends with EIO once it is drained and every slave fd is closed.
	select {
	case <-outputDone:
	case <-time.After(5 * time.Second):
	}
	return exitError(waitErr)
}

// Attach joins the container's main process: its output is copied to out
// and errOut, and in is written to its standard input.
func (r *localRuntime) Attach(ctx context.Context, id string, in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommandserver.TerminalSize) error {
	if _, _, err := r.lookupContainer(id); err != nil {
		return err
	}
	r.mu.Lock()
	main, ok := r.mains[id]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("container %s has no running main process to attach to", id)
	}
	return main.attach(ctx, in, out, errOut)
}

// PortForward connects stream to the loopback server mapped to port.
func (r *localRuntime) PortForward(ctx context.Context, sandbox string, port int32, stream io.ReadWriteCloser) error {
	defer stream.Close()
	r.mu.Lock()
	pod, ok := r.pods[sandbox]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("pod %s not found", sandbox)
	}
	address, ok := pod.ports[port]
	if !ok {
		return fmt.Errorf("failed to connect to localhost:%d inside namespace of pod %s: connection refused", port, sandbox)
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", address)
	if err != nil {
		return fmt.Errorf("failed to connect to localhost:%d inside namespace of pod %s: %w", port, sandbox, err)
	}
	defer conn.Close()
	toServer := make(chan struct{})
	go func() {
		_, _ = io.Copy(conn, stream)
		_ = conn.(*net.TCPConn).CloseWrite()
		close(toServer)
	}()
	_, _ = io.Copy(stream, conn)
	select {
	case <-toServer:
	case <-ctx.Done():
	}
	return nil
}

// mainProcess is a container's long-running process. It is restarted when
// it exits, as a kubelet does for restartPolicy Always, and its output is
// broadcast to whoever is attached at the time.
type mainProcess struct {
	ctx     context.Context
	command []string
	dir     string
	env     []string

	mu       sync.Mutex
	stdin    io.WriteCloser
	process  *os.Process
	attached map[int]*attachment
	nextID   int
	exited   chan struct{}
}

type attachment struct {
	out, errOut io.Writer
}

func newMainProcess(ctx context.Context, command []string, dir string, env []string) *mainProcess {
	return &mainProcess{
		ctx: ctx, command: command, dir: dir, env: env,
		attached: map[int]*attachment{},
		exited:   make(chan struct{}),
	}
}

func (m *mainProcess) run() {
	for m.ctx.Err() == nil {
		if err := m.runOnce(); err != nil {
			fmt.Fprintf(os.Stderr, "harness: main process %v: %v\n", m.command, err)
		}
		select {
		case <-m.ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (m *mainProcess) runOnce() error {
	command := exec.Command(m.command[0], m.command[1:]...)
	command.Dir = m.dir
	command.Env = m.env
	command.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := command.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := command.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := command.StderrPipe()
	if err != nil {
		return err
	}
	if err := command.Start(); err != nil {
		return err
	}
	m.mu.Lock()
	m.stdin = stdin
	m.process = command.Process
	m.mu.Unlock()

	var copies sync.WaitGroup
	copies.Add(2)
	go func() { defer copies.Done(); m.broadcast(stdout, false) }()
	go func() { defer copies.Done(); m.broadcast(stderr, true) }()
	copies.Wait()
	waitErr := command.Wait()

	m.mu.Lock()
	close(m.exited)
	m.exited = make(chan struct{})
	m.process = nil
	m.stdin = nil
	m.mu.Unlock()
	var exitErr *exec.ExitError
	if errors.As(waitErr, &exitErr) {
		return nil
	}
	return waitErr
}

func (m *mainProcess) broadcast(from io.Reader, isStderr bool) {
	buffer := make([]byte, 32*1024)
	for {
		n, err := from.Read(buffer)
		if n > 0 {
			m.mu.Lock()
			targets := make([]io.Writer, 0, len(m.attached))
			ids := make([]int, 0, len(m.attached))
			for id := range m.attached {
				ids = append(ids, id)
			}
			sort.Ints(ids)
			for _, id := range ids {
				a := m.attached[id]
				if isStderr && a.errOut != nil {
					targets = append(targets, a.errOut)
				} else if !isStderr && a.out != nil {
					targets = append(targets, a.out)
				}
			}
			m.mu.Unlock()
			for _, target := range targets {
				_, _ = target.Write(buffer[:n])
			}
		}
		if err != nil {
			return
		}
	}
}

// attach registers the caller's streams until the process exits or the
// client goes away.
func (m *mainProcess) attach(ctx context.Context, in io.Reader, out, errOut io.Writer) error {
	// Between a restart's exit and start there is no process; a kubelet
	// would answer from the container's state, we wait a moment instead.
	deadline := time.Now().Add(10 * time.Second)
	m.mu.Lock()
	for m.process == nil {
		m.mu.Unlock()
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.New("container is not running")
		}
		time.Sleep(20 * time.Millisecond)
		m.mu.Lock()
	}
	id := m.nextID
	m.nextID++
	a := &attachment{}
	if out != nil {
		a.out = out
	}
	if errOut != nil {
		a.errOut = errOut
	}
	m.attached[id] = a
	exited := m.exited
	stdin := m.stdin
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.attached, id)
		m.mu.Unlock()
	}()
	if in != nil {
		// Client EOF does not close the process's stdin: other clients may
		// attach later, as with a container that is not stdinOnce.
		go func() { _, _ = io.Copy(stdin, in) }()
	}
	select {
	case <-exited:
	case <-ctx.Done():
	}
	return nil
}

func (m *mainProcess) kill() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.process != nil {
		_ = m.process.Kill()
	}
}
