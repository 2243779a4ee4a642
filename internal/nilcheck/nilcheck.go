// Package nilcheck tells a typed nil from a usable value. An interface that
// holds a nil pointer, map, func, channel or slice is not == nil, yet
// calling its methods usually panics; constructors ask IsNil so that such an
// argument is refused when something is built, not on the first request.
package nilcheck

import "reflect"

// IsNil reports whether v is nil or holds a nil pointer, map, func,
// channel, slice or interface. It uses reflection: call it at
// construction, never per request.
func IsNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Func, reflect.Chan, reflect.Slice, reflect.Interface, reflect.UnsafePointer:
		return rv.IsNil()
	}
	return false
}
