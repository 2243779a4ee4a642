package authntest

import (
	"testing"

	"github.com/authchain/authchain/internal/textrequest"
)

// A golden case's request and one NewRequest builds come from one peer.
func TestDefaultPeerIsTheGoldenPeer(t *testing.T) {
	if DefaultPeer != textrequest.DefaultPeer {
		t.Errorf("DefaultPeer = %q, golden requests come from %q", DefaultPeer, textrequest.DefaultPeer)
	}
	if got := NewRequest().RemoteAddr; got != DefaultPeer {
		t.Errorf("NewRequest().RemoteAddr = %q, want %q", got, DefaultPeer)
	}
}
