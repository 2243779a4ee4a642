// Module authchain answers, for every HTTP request behind an OAuth proxy on
// Kubernetes, who the request is really acting for and through which
// ServiceAccount.
//
// Package authn holds the model (Principal, Chain); authn/strategies the
// strategies; chiadapter the HTTP middleware; cmd/whoami a demo and
// debugging server. This root package holds no code: only the golden tests
// in testdata/, which run the whole stack.
package authchain
