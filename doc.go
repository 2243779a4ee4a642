// Module authchain answers, for every HTTP request behind an OAuth proxy on
// Kubernetes, who the request is really acting for and through which
// ServiceAccount.
//
// Package authn holds the model (Principal, Chain); authn/strategies the
// header strategies; authn/bearer and the packages below it the
// bearer-token strategies (jwt, with its key sets in jwks, and
// tokenreview); kubecache the ServiceAccount cache; chiadapter the HTTP
// middleware; cmd/whoami a demo and
// debugging server. This root package holds no code: only the golden tests
// in testdata/, which run the whole stack.
package authchain
