package authntest

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
)

// DefaultPeer is the RemoteAddr of a request NewRequest builds, and of a
// golden case's request, unless WithPeer sets another.
const DefaultPeer = "127.0.0.1:40000"

// RequestOption changes a request NewRequest builds. Any func(*http.Request)
// will do.
type RequestOption func(r *http.Request)

// NewRequest returns a GET /whoami request from DefaultPeer, without TLS and
// without headers, changed by opts in order. It is what a server hands a
// handler: use it for calling a strategy or a chain directly.
func NewRequest(opts ...RequestOption) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/whoami", nil)
	r.RemoteAddr = DefaultPeer
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	return r
}

// WithPeer sets the connection's remote address, "IP:port".
func WithPeer(addr string) RequestOption {
	return func(r *http.Request) { r.RemoteAddr = addr }
}

// WithHeader adds value to the header spelled exactly name: the name is not
// canonicalized, so WithHeader("X_Api_Key", v) sends what a CGI-style
// gateway or a hand-written client could.
func WithHeader(name, value string) RequestOption {
	return func(r *http.Request) { r.Header[name] = append(r.Header[name], value) }
}

// WithBearer sets the Authorization header to "Bearer " + token,
// replacing any other.
func WithBearer(token string) RequestOption {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// WithTLS sets the request's TLS connection state, such as one
// CA.ClientState returns for a client certificate.
func WithTLS(state *tls.ConnectionState) RequestOption {
	return func(r *http.Request) { r.TLS = state }
}
