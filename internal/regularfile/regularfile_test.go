//go:build unix

package regularfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		max  int64
		want error
	}{
		{file, 5, nil},
		{link, 5, nil}, // a ConfigMap's files are links
		{file, 4, ErrTooLarge},
		{fifo, 5, ErrNotRegular},
		{dir, 5, ErrNotRegular},
		{"/dev/zero", 5, ErrNotRegular},
		{filepath.Join(dir, "absent"), 5, os.ErrNotExist},
	} {
		data, err := Read(tc.path, tc.max)
		if !errors.Is(err, tc.want) {
			t.Errorf("Read(%s, %d) = %v, want %v", filepath.Base(tc.path), tc.max, err, tc.want)
		}
		if tc.want == nil && string(data) != "12345" {
			t.Errorf("Read(%s) = %q", filepath.Base(tc.path), data)
		}
	}
}
