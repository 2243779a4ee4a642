package nilcheck_test

import (
	"context"
	"io"
	"testing"

	"github.com/authchain/authchain/internal/nilcheck"
)

type pointerReader struct{}

func (*pointerReader) Read([]byte) (int, error) { return 0, io.EOF }

type funcReader func([]byte) (int, error)

func (f funcReader) Read(b []byte) (int, error) { return f(b) }

type valueReader struct{}

func (valueReader) Read([]byte) (int, error) { return 0, io.EOF }

func TestIsNil(t *testing.T) {
	var nilReader io.Reader
	var nilCtx context.Context
	for _, tt := range []struct {
		name string
		v    any
		want bool
	}{
		{"untyped nil", nil, true},
		{"nil interface", nilReader, true},
		{"nil context", nilCtx, true},
		{"typed-nil pointer", io.Reader((*pointerReader)(nil)), true},
		{"typed-nil func", io.Reader(funcReader(nil)), true},
		{"nil map", map[string]int(nil), true},
		{"nil slice", []byte(nil), true},
		{"nil channel", (chan int)(nil), true},
		{"pointer", io.Reader(&pointerReader{}), false},
		{"func", io.Reader(funcReader(func([]byte) (int, error) { return 0, io.EOF })), false},
		{"struct value", io.Reader(valueReader{}), false},
		{"context", context.Background(), false},
		{"zero int", 0, false},
		{"empty slice", []byte{}, false},
	} {
		if got := nilcheck.IsNil(tt.v); got != tt.want {
			t.Errorf("%s: IsNil = %v, want %v", tt.name, got, tt.want)
		}
	}
}
