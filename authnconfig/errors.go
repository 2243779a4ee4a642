package authnconfig

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Error is the error of Load, Parse and Build: every problem of a
// configuration, each with its field path, such as
// "spec.strategies[2].jwt.audiences: Required value".
type Error struct {
	// File is the configuration file, when Load read it.
	File   string
	Errors field.ErrorList

	// causes are the errors of constructors behind some of Errors.
	causes []error
}

// Error lists the problems, one a line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("authnconfig: ")
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	if len(e.Errors) == 1 {
		b.WriteString(e.Errors[0].Error())
		return b.String()
	}
	fmt.Fprintf(&b, "%d errors:", len(e.Errors))
	for _, fe := range e.Errors {
		b.WriteString("\n  " + fe.Error())
	}
	return b.String()
}

// Unwrap returns the problems, and the errors of the strategies'
// constructors behind them, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	out := make([]error, 0, len(e.Errors)+len(e.causes))
	for _, fe := range e.Errors {
		out = append(out, fe)
	}
	return append(out, e.causes...)
}
