package kubecache

import (
	"encoding/binary"
	"strings"
	"unique"

	corev1 "k8s.io/api/core/v1"

	"github.com/authchain/authchain/authn/strategies"
)

// storedServiceAccount is what a projected cache holds of one
// ServiceAccount: the namespace, shared by every key in it, and one string
// packing the rest. A corev1.ServiceAccount with its two maps costs about
// 750 bytes even when projected; this costs under 150 for an access key
// (BenchmarkCacheFill in the benchmarks module). It is never modified once
// built, so lookups may hand out substrings of it.
type storedServiceAccount struct {
	namespace unique.Handle[string]
	keys      *projectionKeys
	// data holds a flags byte, then the name and the uid, each preceded by
	// its length, then every kept label or annotation the object carries as
	// its index in keys, its length and its value, in ascending index
	// order. Lengths and indexes are uvarints.
	data string
}

// flagDeleting marks an object whose metadata.deletionTimestamp is set.
const flagDeleting = 1

// projectionKeys are the labels and annotations a projected cache keeps,
// numbered for storedServiceAccount: the labels from 0, the annotations
// after them.
type projectionKeys struct {
	labels, annotations []string
}

// store packs what p keeps of sa.
func (p *projectionKeys) store(sa *corev1.ServiceAccount) *storedServiceAccount {
	type kept struct {
		index int
		value string
	}
	var buf [8]kept
	fields := buf[:0]
	for i, k := range p.labels {
		if v, ok := sa.Labels[k]; ok {
			fields = append(fields, kept{i, v})
		}
	}
	for i, k := range p.annotations {
		if v, ok := sa.Annotations[k]; ok {
			fields = append(fields, kept{len(p.labels) + i, v})
		}
	}
	size := 1 + packedLen(sa.Name) + packedLen(string(sa.UID))
	for _, f := range fields {
		size += uvarintLen(uint64(f.index)) + packedLen(f.value)
	}
	// Grown to the exact size, so that String hands over the buffer
	// without a copy.
	var b strings.Builder
	b.Grow(size)
	var flags byte
	if sa.DeletionTimestamp != nil {
		// A key whose deletion has begun is refused; a finalizer may hold
		// it in the cache for long.
		flags |= flagDeleting
	}
	b.WriteByte(flags)
	writePacked(&b, sa.Name)
	writePacked(&b, string(sa.UID))
	for _, f := range fields {
		writeUvarint(&b, uint64(f.index))
		writePacked(&b, f.value)
	}
	return &storedServiceAccount{namespace: unique.Make(sa.Namespace), keys: p, data: b.String()}
}

// meta returns what the strategies read of s; its Values is s itself.
func (s *storedServiceAccount) meta() strategies.ServiceAccountMeta {
	name, rest := cutPacked(s.data[1:])
	uid, _ := cutPacked(rest)
	return strategies.ServiceAccountMeta{
		Namespace: s.namespace.Value(), Name: name, UID: uid,
		Values: s, Deleting: s.data[0]&flagDeleting != 0,
	}
}

// name returns the ServiceAccount's name.
func (s *storedServiceAccount) name() string {
	name, _ := cutPacked(s.data[1:])
	return name
}

// Label implements strategies.MetadataValues.
func (s *storedServiceAccount) Label(key string) (string, bool) {
	for i, k := range s.keys.labels {
		if k == key {
			return s.value(i)
		}
	}
	return "", false
}

// Annotation implements strategies.MetadataValues.
func (s *storedServiceAccount) Annotation(key string) (string, bool) {
	for i, k := range s.keys.annotations {
		if k == key {
			return s.value(len(s.keys.labels) + i)
		}
	}
	return "", false
}

// value returns the kept field numbered index, if s carries it.
func (s *storedServiceAccount) value(index int) (string, bool) {
	_, rest := cutPacked(s.data[1:]) // name
	_, rest = cutPacked(rest)        // uid
	for rest != "" {
		i, n := uvarint(rest)
		v, next := cutPacked(rest[n:])
		switch {
		case int(i) == index:
			return v, true
		case int(i) > index:
			return "", false
		}
		rest = next
	}
	return "", false
}

// packedLen returns the length of s packed with its length.
func packedLen(s string) int { return uvarintLen(uint64(len(s))) + len(s) }

func writePacked(b *strings.Builder, s string) {
	writeUvarint(b, uint64(len(s)))
	b.WriteString(s)
}

func writeUvarint(b *strings.Builder, x uint64) {
	var tmp [binary.MaxVarintLen64]byte
	b.Write(tmp[:binary.PutUvarint(tmp[:], x)])
}

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

// cutPacked splits the length-prefixed string at the front of s off the
// rest.
func cutPacked(s string) (field, rest string) {
	n, w := uvarint(s)
	end := w + int(n)
	return s[w:end], s[end:]
}

// uvarint decodes the uvarint at the front of s, as binary.Uvarint does
// for a byte slice (which would cost a conversion here), and returns it
// with its length. s is always written by writeUvarint, so it is never
// malformed.
func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return x, len(s)
}
