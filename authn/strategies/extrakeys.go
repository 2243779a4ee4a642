package strategies

import (
	"net/url"
	"strings"
	"sync/atomic"
)

// extraKeys turns the suffix of an ExtraPrefix header into its User.Extra
// key (lower-cased, percent-unescaped, as Kubernetes does) and remembers the
// first few it saw: a deployment's proxy sends the same handful of keys on
// every request, and building each anew was one allocation of every
// front-proxy request (BenchmarkForwardedFrontProxy). Keys are strings, so
// requests share them without sharing anything they could edit.
//
// A slot is filled once and never replaced, so a proxy sending many keys
// costs the allocation it always did and no more; and an entry is found
// only by its exact suffix, so no suffix can be handed another's key.
type extraKeys struct {
	slots [extraKeySlots]atomic.Pointer[extraKey]
}

const (
	extraKeySlots = 32
	// maxRememberedSuffix bounds what the slots hold.
	maxRememberedSuffix = 64
)

type extraKey struct {
	suffix, key string
}

// key returns the Extra key of suffix, or an error if its percent-encoding
// is malformed.
func (k *extraKeys) key(suffix string) (string, error) {
	slot := &k.slots[suffixHash(suffix)%extraKeySlots]
	if e := slot.Load(); e != nil && e.suffix == suffix {
		return e.key, nil
	}
	key, err := url.PathUnescape(strings.ToLower(suffix))
	if err == nil && len(suffix) <= maxRememberedSuffix {
		slot.CompareAndSwap(nil, &extraKey{suffix: strings.Clone(suffix), key: key})
	}
	return key, err
}

// suffixHash is FNV-1a: the slots need spread, not resistance to chosen
// collisions, which cost only the allocation a miss costs anyway.
func suffixHash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
