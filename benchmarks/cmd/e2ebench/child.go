package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// child is a server process started by startChild.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
	addr  string
}

// startChild runs this program again as the server of mode and waits for
// its address.
func startChild(mode string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve", mode)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout)}
	line, err := c.line()
	if err != nil || !strings.HasPrefix(line, "addr ") {
		c.stop()
		return nil, fmt.Errorf("%s server did not start: %q %v", mode, line, err)
	}
	c.addr = strings.TrimPrefix(line, "addr ")
	return c, nil
}

func (c *child) line() (string, error) {
	if !c.out.Scan() {
		if err := c.out.Err(); err != nil {
			return "", err
		}
		return "", io.ErrUnexpectedEOF
	}
	return c.out.Text(), nil
}

// cpu returns the child's user plus system CPU time so far.
func (c *child) cpu() (time.Duration, error) {
	if _, err := io.WriteString(c.stdin, "rusage\n"); err != nil {
		return 0, err
	}
	line, err := c.line()
	if err != nil {
		return 0, err
	}
	var user, sys int64
	if _, err := fmt.Sscanf(line, "rusage %d %d", &user, &sys); err != nil {
		return 0, fmt.Errorf("rusage answer %q: %w", line, err)
	}
	return time.Duration(user+sys) * time.Microsecond, nil
}

// stop closes the child's stdin, which ends it, and waits for it.
func (c *child) stop() {
	_ = c.stdin.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}
