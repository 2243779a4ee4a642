package authntest

import (
	"strings"
	"testing"
)

// TestNoRepeatedMembers: a member name given twice in one object, in any
// letter case and at any depth, is refused; the same name in two objects
// (trace entries) is not.
func TestNoRepeatedMembers(t *testing.T) {
	for doc, refused := range map[string]string{
		`{"status": 200, "trace": [{"strategy": "a"}, {"strategy": "b"}], "problem": {"status": 401}}`: "",
		`{"status": 200, "status": 401}`:                                 `member "status" repeats "status"`,
		`{"status": 200, "Status": 401}`:                                 `member "Status" repeats "status"`,
		`{"principal": {"user": {"name": "a", "NAME": "b"}}}`:            `member "NAME" repeats "name"`,
		`{"trace": [{"strategy": "a", "outcome": "x", "Outcome": "y"}]}`: `member "Outcome" repeats "outcome"`,
		`{"headersAfter": {"X-A": ["1"], "x-a": ["2"]}}`:                 `member "x-a" repeats "X-A"`,
		// Only the first value is walked; decodeWant refuses what follows.
		`{"status": 200} {"status": 401}`: "",
	} {
		err := noRepeatedMembers([]byte(doc))
		switch {
		case refused == "" && err != nil:
			t.Errorf("%s: refused: %v", doc, err)
		case refused != "" && (err == nil || !strings.Contains(err.Error(), refused)):
			t.Errorf("%s: error %v, want one containing %q", doc, err, refused)
		}
	}
}
