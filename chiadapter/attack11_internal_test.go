package chiadapter

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authchain/authchain/authn"
)

// TestAttack11_FloodOfReasonsIsBounded: a custom strategy giving every
// request a new reason leaves at most the cache's 256 bodies behind, not
// one per request.
func TestAttack11_FloodOfReasonsIsBounded(t *testing.T) {
	for i := range 5000 {
		WriteProblem(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil),
			&authn.Error{Strategy: "custom", Kind: authn.ErrRejected, Reason: fmt.Sprintf("attempt %d", i)})
	}
	if n := problemBodies.Len(); n > 256 {
		t.Errorf("%d bodies kept after a flood of distinct reasons, want at most 256", n)
	}
}
