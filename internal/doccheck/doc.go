// Package doccheck holds a test that the published documentation names only
// exported identifiers: a doc comment that points at an unexported function
// sends its reader to code godoc does not show.
package doccheck
