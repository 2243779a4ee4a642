package authntest

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fatalTB records the message of Fatalf, which ends the goroutine as
// testing's does.
type fatalTB struct {
	testing.TB
	fatal string
}

func (*fatalTB) Helper()             {}
func (f *fatalTB) Cleanup(fn func()) { f.TB.Cleanup(fn) }
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestClusterRefusesOtherKinds(t *testing.T) {
	for _, tc := range []struct{ name, yaml, want string }{
		{"a Secret", "apiVersion: v1\nkind: Secret\nmetadata: {namespace: a, name: b}\n", "is v1 Secret, want v1 ServiceAccount"},
		{"no namespace", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b}\n", "needs a name and a namespace"},
		{"not YAML", "apiVersion: [\n", "document 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fatalTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				Cluster(f, []byte(tc.yaml))
			}()
			<-done
			if !strings.Contains(f.fatal, tc.want) {
				t.Errorf("Cluster failed with %q, want %q", f.fatal, tc.want)
			}
		})
	}
}

func TestClusterServesServiceAccounts(t *testing.T) {
	c, client := Cluster(t, []byte("apiVersion: v1\nkind: ServiceAccount\nmetadata: {namespace: a, name: b, uid: u}\n---\n"))
	sa, found, err := c.ServiceAccount("a", "b")
	if !found || err != nil || sa.UID != "u" || !c.HasSynced() {
		t.Fatalf("ServiceAccount = %v, %v, %v; synced %t", sa, found, err, c.HasSynced())
	}
	if _, err := client.CoreV1().ServiceAccounts("a").Get(t.Context(), "b", metav1.GetOptions{}); err != nil {
		t.Fatalf("clientset: %v", err)
	}
}
