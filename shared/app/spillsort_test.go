package app

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func TestSpillSorter(t *testing.T) {
	type item struct {
		Key string `json:"key"`
		Seq int    `json:"seq"`
	}
	less := func(a, b item) bool { return a.Key < b.Key }
	tests := []struct {
		name      string
		n, limit  int
		wantFiles bool
	}{
		{"none", 0, 10, false},
		{"fewer than a batch, in memory", 9, 10, false},
		{"exactly a batch", 10, 10, true},
		{"many runs and a partial one", 1003, 10, true},
		{"a run per value", 50, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TMPDIR", t.TempDir())
			rng := rand.New(rand.NewPCG(uint64(tt.n), 7))
			in := make([]item, tt.n)
			for i := range in {
				// Few distinct keys, so equal keys must keep the order they came in.
				in[i] = item{Key: string(rune('a' + rng.IntN(20))), Seq: i}
			}
			s := newSpillSorter(tt.limit, less)
			for _, v := range in {
				if err := s.Add(v); err != nil {
					t.Fatal(err)
				}
			}
			var got []item
			if err := s.Each(func(v item) error { got = append(got, v); return nil }); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(os.Getenv("TMPDIR"), "spillsort-*"))
			if (len(files) > 0) != tt.wantFiles {
				t.Errorf("temporary files %v, want some: %v", files, tt.wantFiles)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if files, _ := filepath.Glob(filepath.Join(os.Getenv("TMPDIR"), "spillsort-*")); len(files) > 0 {
				t.Errorf("Close left %v", files)
			}
			want := append([]item(nil), in...)
			sort.SliceStable(want, func(i, j int) bool { return less(want[i], want[j]) })
			if len(got) != len(want) {
				t.Fatalf("%d values out, %d in", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("value %d is %+v, want %+v (sorted, equal keys in the order added)", i, got[i], want[i])
				}
			}
		})
	}
}
