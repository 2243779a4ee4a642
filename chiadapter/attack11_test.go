package chiadapter_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/chiadapter"
)

// Attacks on the reuse of encoded problem bodies and on the shared array
// of a response's error headers: one response influencing another.

// inPlaceWriter is a middleware's writer that rewrites what it is given in
// place before passing it on, as a careless masking or transcoding
// wrapper might. io.Writer forbids modifying p; the attack is what one
// such wrapper costs the other requests.
type inPlaceWriter struct{ http.ResponseWriter }

func (w inPlaceWriter) Write(p []byte) (int, error) {
	if i := bytes.Index(p, []byte("token expired")); i >= 0 {
		copy(p[i:], "ADMIN GRANTED")
	}
	return w.ResponseWriter.Write(p)
}

// TestAttack11_WriterEditingBodyPoisonsOthers: a writer that edits the
// body it is handed must change its own response only.
//
// This broke while WriteProblem handed every writer the one cached []byte
// of a problem: a writer that broke io.Writer's contract rewrote the body of
// every later request with the same problem. Each response now gets its own
// copy of the kept body.
func TestAttack11_WriterEditingBodyPoisonsOthers(t *testing.T) {
	// A reason no other test uses, so that the entry is fresh.
	err := &authn.Error{Strategy: "attack11", Kind: authn.ErrRejected, Reason: "token expired"}
	want := `{"type":"urn:authchain:problem:rejected","title":"Unauthorized","status":401,"detail":"token expired","strategy":"attack11"}` + "\n"

	clean := httptest.NewRecorder()
	chiadapter.WriteProblem(clean, httptest.NewRequest(http.MethodGet, "/", nil), err)
	if clean.Body.String() != want {
		t.Fatalf("first body %s", clean.Body)
	}
	chiadapter.WriteProblem(inPlaceWriter{httptest.NewRecorder()}, httptest.NewRequest(http.MethodGet, "/careless", nil), err)

	other := httptest.NewRecorder()
	chiadapter.WriteProblem(other, httptest.NewRequest(http.MethodGet, "/", nil), err)
	if got := other.Body.String(); got != want {
		t.Errorf("another request's body was rewritten by the careless writer:\n got %s\nwant %s", got, want)
	}
}

// TestAttack11_HeaderEditsStayInResponse: a middleware that edits the
// error headers after WriteProblem, in place, by Set, Add or Del, changes
// neither the body nor the headers of the next refused request.
func TestAttack11_HeaderEditsStayInResponse(t *testing.T) {
	err := &authn.Error{Strategy: "attack11-headers", Kind: authn.ErrRejected, Reason: "no"}
	write := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		chiadapter.WriteProblem(rec, httptest.NewRequest(http.MethodGet, "/", nil), err)
		return rec
	}
	want := write()
	wantHeaders, wantBody := want.Header().Clone(), want.Body.String()
	for range 3 {
		rec := write()
		h := rec.Header()
		for k := range h {
			h[k][0] = "evil"
		}
		h["Cache-Control"] = append(h["Cache-Control"][:1], "public")
		h.Add("Www-Authenticate", "Basic")
		h.Set("X-Content-Type-Options", "evil")
		h.Del("Content-Type")
	}
	got := write()
	for k, v := range wantHeaders {
		if g := got.Header()[k]; len(g) != len(v) || g[0] != v[0] {
			t.Errorf("%s = %q after edits to earlier responses, want %q", k, g, v)
		}
	}
	if got.Body.String() != wantBody {
		t.Errorf("body %s after edits to earlier responses, want %s", got.Body, wantBody)
	}
}

// TestAttack11_HostileReasons: reasons that break JSON, carry invalid
// UTF-8 or are huge are encoded as one valid JSON object whose detail is
// the reason (invalid bytes replaced), never a forged member.
func TestAttack11_HostileReasons(t *testing.T) {
	for _, reason := range []string{
		`x","status":200,"type":"ok`,
		"}\n{\"status\":200}",
		"\x00\xff\xfe</script><!--",
		"\u2028\u2029",
		strings.Repeat(`"\`, 1<<16),
	} {
		rec := httptest.NewRecorder()
		chiadapter.WriteProblem(rec, httptest.NewRequest(http.MethodGet, "/", nil),
			&authn.Error{Strategy: "custom", Kind: authn.ErrRejected, Reason: reason})
		dec := json.NewDecoder(rec.Body)
		var body map[string]any
		if err := dec.Decode(&body); err != nil {
			t.Fatalf("reason %.20q: body is not JSON: %v", reason, err)
		}
		if dec.More() {
			t.Errorf("reason %.20q: more than one JSON value", reason)
		}
		wantDetail := string([]rune(reason)) // each invalid byte as U+FFFD, as encoding/json writes it
		if body["status"] != 401.0 || body["type"] != chiadapter.ProblemTypeRejected || body["detail"] != wantDetail || len(body) != 5 {
			t.Errorf("reason %.20q: body %.200v", reason, body)
		}
	}
}

// TestAttack11_ConcurrentProblemsKeepTheirBodies: many requests refused
// at once for different and equal problems each get their own problem's
// body; run with -race.
func TestAttack11_ConcurrentProblemsKeepTheirBodies(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reason := fmt.Sprintf("reason %d", w%5)
			for i := range 300 {
				if i%50 == 0 {
					// Distinct problems churn the bounded cache meanwhile.
					reason = fmt.Sprintf("reason %d-%d", w, i)
				}
				rec := httptest.NewRecorder()
				chiadapter.WriteProblem(rec, httptest.NewRequest(http.MethodGet, "/", nil),
					&authn.Error{Strategy: "s", Kind: authn.ErrRejected, Reason: reason})
				var body struct{ Detail string }
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Detail != reason {
					errs <- fmt.Errorf("worker %d: detail %q, want %q (%v)", w, body.Detail, reason, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
