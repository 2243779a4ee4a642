// Package setup assembles the standard authchain chain from a plain
// configuration, loads ServiceAccounts from YAML into an informer cache and
// reads requests written as text. cmd/whoami and the golden tests share it,
// so what the tests prove is what the demo server runs.
package setup
