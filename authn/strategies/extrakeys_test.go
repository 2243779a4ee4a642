package strategies

import (
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestExtraKeys: a remembered key is the one the suffix gives, whatever
// else shares its slot, and suffixes that cannot be remembered still get
// theirs.
func TestExtraKeys(t *testing.T) {
	// Two suffixes that fall into one slot, the first filling it.
	first := "Scopes"
	var second string
	for i := 0; second == ""; i++ {
		if c := "Key" + strconv.Itoa(i); suffixHash(c)%extraKeySlots == suffixHash(first)%extraKeySlots {
			second = c
		}
	}
	long := "Long" + strings.Repeat("A", maxRememberedSuffix)
	var k extraKeys
	for round := 0; round < 3; round++ {
		for _, tt := range []struct{ suffix, want string }{
			{first, "scopes"},
			{second, strings.ToLower(second)},
			{"scopes", "scopes"},
			{"Acme.com%2fProject", "acme.com/project"},
			{long, strings.ToLower(long)},
		} {
			if got, err := k.key(tt.suffix); err != nil || got != tt.want {
				t.Errorf("round %d: key(%q) = %q, %v, want %q", round, tt.suffix, got, err, tt.want)
			}
		}
		if _, err := k.key("Bad%zz"); err == nil {
			t.Errorf("round %d: a malformed percent-encoding was accepted", round)
		}
	}
	if e := k.slots[suffixHash(second)%extraKeySlots].Load(); e == nil || e.suffix != first {
		t.Errorf("the slot of %q holds %+v, want the first suffix it saw", first, e)
	}
	if e := k.slots[suffixHash(long)%extraKeySlots].Load(); e != nil && e.suffix == long {
		t.Error("a suffix longer than the bound was remembered")
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = k.key(first) }); n != 0 {
		t.Errorf("a remembered key costs %v allocs", n)
	}
}

// TestExtraKeysConcurrent: requests that fill and read the slots at once
// each get their own key (run with -race).
func TestExtraKeysConcurrent(t *testing.T) {
	var k extraKeys
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				suffix := "Key-" + strconv.Itoa((g*7+i)%50)
				if got, err := k.key(suffix); err != nil || got != strings.ToLower(suffix) {
					t.Errorf("key(%q) = %q, %v", suffix, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
