package authn_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/authchain/authchain/authn"
)

func TestTakeHeader(t *testing.T) {
	const name, secret = "X-Api-Key", "k3y-Value_with.dots"
	tests := []struct {
		name    string
		header  http.Header
		want    string
		wantErr error
	}{
		{"absent", http.Header{"Accept": {"*/*"}}, "", nil},
		{"empty value", http.Header{"X-Api-Key": {""}}, "", nil},
		{"one value", http.Header{"X-Api-Key": {secret}}, secret, nil},
		{"two values", http.Header{"X-Api-Key": {secret, "other"}}, "", authn.ErrHeaderRepeated},
		{"two spellings", http.Header{"X-Api-Key": {secret}, "X_Api_Key": {"other"}}, "", authn.ErrHeaderRepeated},
		{"underscore spelling alone", http.Header{"X_Api_Key": {secret}}, "", authn.ErrHeaderNonCanonical},
		{"lower case written by code", http.Header{"x-api-key": {secret}}, "", authn.ErrHeaderNonCanonical},
		{"too long", http.Header{"X-Api-Key": {strings.Repeat("a", 65)}}, "", authn.ErrHeaderTooLong},
		{"control character", http.Header{"X-Api-Key": {"a\nb"}}, "", authn.ErrNameControl},
		{"invalid UTF-8", http.Header{"X-Api-Key": {"a\xffb"}}, "", authn.ErrNameUTF8},
		{"zero-width space", http.Header{"X-Api-Key": {"a\u200bb"}}, "", authn.ErrNameFormat},
		{"surrounding space", http.Header{"X-Api-Key": {" " + secret}}, "", authn.ErrNameSpace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := authn.TakeHeader(tt.header, name, 64)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Errorf("TakeHeader = %q, %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
			for k := range tt.header {
				if authn.HeaderNameEqual(k, name) {
					t.Errorf("header %q left in the request", k)
				}
			}
			if err != nil {
				var he *authn.HeaderError
				if !errors.As(err, &he) || he.Header != name {
					t.Errorf("error %v does not name the header", err)
				}
				for _, vs := range tt.header {
					for _, v := range vs {
						if v != "" && strings.Contains(err.Error(), v) {
							t.Errorf("error %q quotes a header value", err)
						}
					}
				}
			}
		})
	}
}

// TestTakeHeaderAllocs holds the promise that a valid or absent header costs
// no allocation.
func TestTakeHeaderAllocs(t *testing.T) {
	h := http.Header{"Accept": {"*/*"}, "X-Api-Key": {"secret"}}
	vals := h["X-Api-Key"]
	valid := testing.AllocsPerRun(100, func() {
		h["X-Api-Key"] = vals // taken out by the previous round
		if v, err := authn.TakeHeader(h, "X-Api-Key", 64); v != "secret" || err != nil {
			t.Fatal(v, err)
		}
	})
	absent := testing.AllocsPerRun(100, func() {
		if v, err := authn.TakeHeader(h, "X-Api-Key", 64); v != "" || err != nil {
			t.Fatal(v, err)
		}
	})
	if valid != 0 || absent != 0 {
		t.Errorf("%v allocs/op for a valid header, %v for an absent one; want 0", valid, absent)
	}
}

// A custom strategy reads its API key with TakeHeader: the key is taken out
// of the request in every spelling, and a repeated or odd one is refused.
func ExampleTakeHeader() {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Api-Key", "k-123")
	r.Header["X_Api_Key"] = []string{"k-456"} // a second spelling, as a CGI gateway might fold it

	key, err := authn.TakeHeader(r.Header, "X-Api-Key", 256)
	fmt.Printf("%q %v\n", key, err)
	fmt.Println("left for the handler:", len(r.Header))
	// Output:
	// "" X-Api-Key header is repeated
	// left for the handler: 0
}
