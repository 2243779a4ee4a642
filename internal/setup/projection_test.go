package setup

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/authchain/authchain/authn"
	"github.com/authchain/authchain/authn/strategies"
	"github.com/authchain/authchain/binding"
	"github.com/authchain/authchain/kubecache"
)

func TestConfigProjection(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want kubecache.Projection
	}{{
		name: "defaults",
		cfg:  Config{RequireLabels: map[string]string{"app": "ambient-access-key"}},
		want: kubecache.Projection{
			Labels:      []string{"app"},
			Annotations: []string{strategies.DefaultCreatorUIDAnnotation, strategies.DefaultCreatorAnnotation},
		},
	}, {
		name: "every key the chain reads",
		cfg: Config{
			Annotation:           "example.com/owner",
			CreatorUIDAnnotation: "example.com/owner-uid",
			RequireLabels:        map[string]string{"app": "ambient-access-key", "tier": "keys"},
			BindingKey:           "0123456789abcdef0123456789abcdef",
			CopyAttributes:       []string{"ambient-code.io/role", "app"},
		},
		want: kubecache.Projection{
			Labels:      []string{"ambient-code.io/role", "app", "tier"},
			Annotations: []string{binding.DefaultAnnotation, "ambient-code.io/role", "app", "example.com/owner", "example.com/owner-uid"},
		},
	}, {
		name: "a config whose chain cannot be built",
		cfg:  Config{}, // no provenance policy
		want: kubecache.Projection{},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cfg.Projection()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Projection() (-want +got):\n%s", diff)
			}
			// The zero Projection is only for a chain that cannot be built.
			cfg := tc.cfg
			cfg.InsecureTrustAnyPeer = true
			_, err := cfg.Chain(syncedEmpty{})
			if (err != nil) != cmp.Equal(got, kubecache.Projection{}) {
				t.Errorf("Chain error %v with projection %+v", err, got)
			}
		})
	}
}

// TestProjectedCacheAnswersAsFullCache runs the golden cases that need
// neither tokens nor client certificates against a full and a projected
// cache: the answers must be the same, or the projection drops something
// the chain reads.
func TestProjectedCacheAnswersAsFullCache(t *testing.T) {
	files, err := filepath.Glob("../../testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	ran := 0
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		sections := map[string][]byte{}
		for _, f := range ar.Files {
			sections[f.Name] = f.Data
		}
		var cfg struct {
			Config
			Unsynced bool `json:"unsynced"`
		}
		if err := json.Unmarshal(sections["config.json"], &cfg); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if cfg.Unsynced || cfg.Issuer != "" || len(cfg.TrustClientNames) > 0 ||
			bytes.Contains(sections["request"], []byte("{{")) || len(sections["cluster.yaml"]) == 0 {
			continue
		}
		ran++
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			t.Parallel() // most of the time is waiting for informers to sync
			cluster, err := ExpandCluster(sections["cluster.yaml"], cfg.BindingKey)
			if err != nil {
				t.Fatal(err)
			}
			answer := func(opts ...kubecache.Option) string {
				ctx, cancel := context.WithCancel(context.Background())
				c, err := FakeCache(ctx, bytes.NewReader(cluster), opts...)
				if err != nil {
					cancel()
					t.Fatal(err)
				}
				t.Cleanup(func() { cancel(); c.Shutdown() })
				chain, err := cfg.Chain(c)
				if err != nil {
					t.Fatal(err)
				}
				req, _, err := ParseRequest(bytes.NewReader(sections["request"]))
				if err != nil {
					t.Fatal(err)
				}
				p, trace, err := chain.Authenticate(req)
				out, _ := json.MarshalIndent(struct {
					P     authn.Principal
					Trace authn.Trace
					Err   string
				}{p, trace, errString(err)}, "", "  ")
				return string(out)
			}
			full, projected := answer(), answer(kubecache.WithProjection(cfg.Projection()))
			if diff := cmp.Diff(full, projected); diff != "" {
				t.Errorf("projected cache answers differently (-full +projected):\n%s", diff)
			}
		})
	}
	if ran < 20 {
		t.Errorf("only %d golden cases ran; the filter above skips too much", ran)
	}
}

// syncedEmpty is a synced cache holding no ServiceAccount.
type syncedEmpty struct{ Unsynced }

func (syncedEmpty) HasSynced() bool { return true }

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
