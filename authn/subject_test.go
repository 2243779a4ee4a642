package authn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/authchain/authchain/authn"
)

func TestParseServiceAccountSubject(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	name253 := strings.Repeat("b", 61) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + "." + strings.Repeat("e", 63)
	longPart := strings.Repeat("f", 200) // a part of a subdomain is not bound to 63 bytes
	tests := []struct {
		name    string
		subject string
		want    authn.ServiceAccount
		wantErr error
	}{
		{"simple", "system:serviceaccount:team:key", authn.ServiceAccount{Namespace: "team", Name: "key"}, nil},
		{"digits and dashes", "system:serviceaccount:stackrox-1:ambient-key-2b3908aa", authn.ServiceAccount{Namespace: "stackrox-1", Name: "ambient-key-2b3908aa"}, nil},
		{"dotted name", "system:serviceaccount:ns:a.b-c.d", authn.ServiceAccount{Namespace: "ns", Name: "a.b-c.d"}, nil},
		{"single characters", "system:serviceaccount:a:b", authn.ServiceAccount{Namespace: "a", Name: "b"}, nil},
		{"namespace of 63", "system:serviceaccount:" + label63 + ":x", authn.ServiceAccount{Namespace: label63, Name: "x"}, nil},
		{"name of 253", "system:serviceaccount:ns:" + name253, authn.ServiceAccount{Namespace: "ns", Name: name253}, nil},
		{"long name part", "system:serviceaccount:ns:" + longPart, authn.ServiceAccount{Namespace: "ns", Name: longPart}, nil},

		{"empty", "", authn.ServiceAccount{}, authn.ErrSubjectParts},
		{"human", "alice@example.com", authn.ServiceAccount{}, authn.ErrSubjectParts},
		{"group prefix", "system:serviceaccounts:team", authn.ServiceAccount{}, authn.ErrSubjectParts},
		{"prefix only", "system:serviceaccount:", authn.ServiceAccount{}, authn.ErrSubjectParts},
		{"no name part", "system:serviceaccount:team", authn.ServiceAccount{}, authn.ErrSubjectParts},
		{"extra part", "system:serviceaccount:team:key:extra", authn.ServiceAccount{}, authn.ErrSubjectParts},
		{"trailing colon", "system:serviceaccount:team:key:", authn.ServiceAccount{}, authn.ErrSubjectParts},
		{"upper-case prefix", "System:ServiceAccount:team:key", authn.ServiceAccount{}, authn.ErrSubjectParts},
		{"empty namespace", "system:serviceaccount::key", authn.ServiceAccount{}, authn.ErrSubjectNamespace},
		{"upper-case namespace", "system:serviceaccount:Team:key", authn.ServiceAccount{}, authn.ErrSubjectNamespace},
		{"namespace of 64", "system:serviceaccount:" + label63 + "a:x", authn.ServiceAccount{}, authn.ErrSubjectNamespace},
		{"dotted namespace", "system:serviceaccount:a.b:key", authn.ServiceAccount{}, authn.ErrSubjectNamespace},
		{"namespace leading dash", "system:serviceaccount:-team:key", authn.ServiceAccount{}, authn.ErrSubjectNamespace},
		{"namespace trailing dash", "system:serviceaccount:team-:key", authn.ServiceAccount{}, authn.ErrSubjectNamespace},
		{"namespace with space", "system:serviceaccount: team:key", authn.ServiceAccount{}, authn.ErrSubjectNamespace},
		{"empty name", "system:serviceaccount:team:", authn.ServiceAccount{}, authn.ErrSubjectName},
		{"upper-case name", "system:serviceaccount:team:Key", authn.ServiceAccount{}, authn.ErrSubjectName},
		{"name of 254", "system:serviceaccount:ns:" + name253 + "e", authn.ServiceAccount{}, authn.ErrSubjectName},
		{"name leading dot", "system:serviceaccount:ns:.key", authn.ServiceAccount{}, authn.ErrSubjectName},
		{"name trailing dot", "system:serviceaccount:ns:key.", authn.ServiceAccount{}, authn.ErrSubjectName},
		{"name double dot", "system:serviceaccount:ns:a..b", authn.ServiceAccount{}, authn.ErrSubjectName},
		{"name part leading dash", "system:serviceaccount:ns:a.-b", authn.ServiceAccount{}, authn.ErrSubjectName},
		{"name with slash", "system:serviceaccount:ns:a/b", authn.ServiceAccount{}, authn.ErrSubjectName},
		{"name with underscore", "system:serviceaccount:ns:a_b", authn.ServiceAccount{}, authn.ErrSubjectName},
		{"name with NUL", "system:serviceaccount:ns:a\x00b", authn.ServiceAccount{}, authn.ErrSubjectName},
		{"name with newline", "system:serviceaccount:ns:key\n", authn.ServiceAccount{}, authn.ErrSubjectName},
		{"name with non-ASCII", "system:serviceaccount:ns:kéy", authn.ServiceAccount{}, authn.ErrSubjectName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := authn.ParseServiceAccountSubject(tt.subject)
			// The very sentinel, not a wrapper: it cannot echo the input.
			if err != tt.wantErr {
				t.Fatalf("ParseServiceAccountSubject(%q) error = %v, want %v", tt.subject, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseServiceAccountSubject(%q) mismatch (-want +got):\n%s", tt.subject, diff)
			}
			if err == nil && got.Subject() != tt.subject {
				t.Errorf("Subject() = %q, want the input %q", got.Subject(), tt.subject)
			}
		})
	}
}

// TestParseServiceAccountSubjectAllocs holds the parser to the 0 allocs/op
// its doc comment promises, for valid and invalid input alike.
func TestParseServiceAccountSubjectAllocs(t *testing.T) {
	for _, subject := range []string{
		"system:serviceaccount:stackrox-1:ambient-key-test-write-2b3908aa",
		"system:serviceaccount:Team:key",
		"system:serviceaccount:team:a..b",
		"alice@example.com",
	} {
		if n := testing.AllocsPerRun(100, func() { _, _ = authn.ParseServiceAccountSubject(subject) }); n != 0 {
			t.Errorf("ParseServiceAccountSubject(%q): %v allocs/op, want 0", subject, n)
		}
	}
}

// FuzzParseServiceAccountSubject checks that the parser never panics and
// that whatever it accepts is a canonical, bounded subject.
func FuzzParseServiceAccountSubject(f *testing.F) {
	for _, seed := range []string{
		"system:serviceaccount:team:key",
		"system:serviceaccount:a:b.c-d",
		"system:serviceaccount:team:key:extra",
		"system:serviceaccount::",
		"system:serviceaccount:-a:b-",
		"system:serviceaccount:a:.",
		"system:serviceaccounts:team",
		"alice",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, subject string) {
		sa, err := authn.ParseServiceAccountSubject(subject)
		if err != nil {
			if !cmp.Equal(sa, authn.ServiceAccount{}) {
				t.Fatalf("error %v with non-zero result %+v", err, sa)
			}
			if !errors.Is(err, authn.ErrSubjectParts) && !errors.Is(err, authn.ErrSubjectNamespace) && !errors.Is(err, authn.ErrSubjectName) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if got := sa.Subject(); got != subject {
			t.Fatalf("Subject() = %q, want the input %q", got, subject)
		}
		if !authn.IsServiceAccountSubject(subject) {
			t.Fatalf("accepted %q, which IsServiceAccountSubject refuses", subject)
		}
		if len(sa.Namespace) == 0 || len(sa.Namespace) > 63 {
			t.Fatalf("namespace of %d bytes", len(sa.Namespace))
		}
		if len(sa.Name) == 0 || len(sa.Name) > 253 {
			t.Fatalf("name of %d bytes", len(sa.Name))
		}
		if strings.ContainsAny(sa.Namespace, ":.") || strings.Contains(sa.Name, ":") {
			t.Fatalf("separator inside a part: %+v", sa)
		}
		for _, s := range []string{sa.Namespace, sa.Name} {
			for i := 0; i < len(s); i++ {
				if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
					t.Fatalf("byte %q in %q", c, s)
				}
			}
		}
		if sa.UID != "" || sa.Attributes != nil {
			t.Fatalf("parser set more than the name: %+v", sa)
		}
	})
}

// BenchmarkParseServiceAccountSubject: 0 allocs/op (asserted by
// TestParseServiceAccountSubjectAllocs).
func BenchmarkParseServiceAccountSubject(b *testing.B) {
	b.ReportAllocs()
	const subject = "system:serviceaccount:stackrox-1:ambient-key-test-write-2b3908aa"
	for b.Loop() {
		if _, err := authn.ParseServiceAccountSubject(subject); err != nil {
			b.Fatal(err)
		}
	}
}
