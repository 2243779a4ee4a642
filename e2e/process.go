//go:build linux

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Reaper starts the harness's processes and makes sure none outlives the
// test binary, on every exit path:
//   - a test's t.Cleanup stops what it started (Process.Stop);
//   - TestMain calls KillAll after the tests, for anything left;
//   - when the test binary dies anyway (a panic, go test's -timeout, a
//     signal, SIGKILL), the kernel sends SIGKILL to every child, because
//     each is started with a parent-death signal.
//
// Each process leads its own process group, so a signal reaches anything it
// spawned and a Ctrl-C aimed at go test reaches only the test binary.
type Reaper struct {
	starts chan func()

	mu      sync.Mutex
	running map[*Process]bool
}

// NewReaper returns a Reaper. Its spawning goroutine lives as long as the
// process.
func NewReaper() *Reaper {
	r := &Reaper{starts: make(chan func()), running: map[*Process]bool{}}
	go r.spawn()
	return r
}

// spawn runs every fork on one OS thread that never exits. The
// parent-death signal fires when the thread that forked a child exits, not
// the process: forking from an arbitrary goroutine's thread could kill a
// child as soon as the runtime retires that thread.
func (r *Reaper) spawn() {
	runtime.LockOSThread() // and never unlocked: the thread lives with the process
	for start := range r.starts {
		start()
	}
}

// Process is one running binary.
type Process struct {
	Name    string
	LogPath string

	cmd    *exec.Cmd
	reaper *Reaper
	exited chan struct{}
	err    error // valid once exited is closed
	stop   sync.Once
}

// Start runs bin with args, its stdout and stderr appended to logPath, and
// registers it for KillAll. The process group is killed when ctx ends. The
// process is not waited for; see Process.Exited.
func (r *Reaper) Start(ctx context.Context, name, logPath, bin string, args ...string) (*Process, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer log.Close() // the child holds its own descriptor
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, reaper: r, exited: make(chan struct{})}

	done := make(chan error, 1)
	r.starts <- func() { done <- cmd.Start() }
	if err := <-done; err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	r.mu.Lock()
	r.running[p] = true
	r.mu.Unlock()
	go func() {
		p.err = cmd.Wait()
		r.mu.Lock()
		delete(r.running, p)
		r.mu.Unlock()
		close(p.exited)
	}()
	return p, nil
}

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stop sends SIGTERM to the process group, waits up to grace for the
// process to exit, then sends SIGKILL and waits for it. It may be called
// more than once.
func (p *Process) Stop(grace time.Duration) {
	p.stop.Do(func() {
		select {
		case <-p.exited:
			return // its pid, and so its group id, may be another's by now
		default:
		}
		_ = syscall.Kill(-p.Pid(), syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(grace):
		}
		// The group may hold children even after the leader exited.
		_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
		<-p.exited
	})
}

// Tail returns the last n lines of the process's log.
func (p *Process) Tail(n int) string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// ExitError describes how the process ended, once it has.
func (p *Process) ExitError() error {
	select {
	case <-p.exited:
		if p.err == nil {
			return fmt.Errorf("%s exited", p.Name)
		}
		return fmt.Errorf("%s: %w", p.Name, p.err)
	default:
		return nil
	}
}

// KillAll kills every process still running and waits for them.
func (r *Reaper) KillAll() {
	r.mu.Lock()
	procs := make([]*Process, 0, len(r.running))
	for p := range r.running {
		procs = append(procs, p)
	}
	r.mu.Unlock()
	for _, p := range procs {
		p.Stop(0)
	}
}

// Running returns the pids of the processes still running.
func (r *Reaper) Running() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	pids := make([]int, 0, len(r.running))
	for p := range r.running {
		pids = append(pids, p.Pid())
	}
	return pids
}

// waitReady polls ready every 50ms until it returns nil, p exits, ctx ends
// or timeout passes. The error names the last readiness failure.
func waitReady(ctx context.Context, p *Process, timeout time.Duration, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		last = ready(attempt)
		cancelAttempt()
		if last == nil {
			return nil
		}
		select {
		case <-p.Exited():
			return fmt.Errorf("%w before it was ready (last check: %v)\n--- %s log tail ---\n%s", p.ExitError(), last, p.Name, p.Tail(40))
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %v: %v\n--- %s log tail ---\n%s", p.Name, timeout, last, p.Name, p.Tail(40))
		case <-tick.C:
		}
	}
}

// freePort returns a loopback TCP port that was free a moment ago. Another
// process may take it before it is used; a start that fails to bind is
// reported with the process's log.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// errNotReady is a readiness check's "not yet".
var errNotReady = errors.New("not ready")
