package search

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

// evalTask is one natural-language task of testdata/eval.json and the
// operations that accomplish it.
type evalTask struct {
	Spec string `json:"spec"`
	Task string `json:"task"`
	// Expect lists acceptable operations: an operationId, a tool name, or
	// "METHOD /path". Several entries only where the API really offers
	// equivalent operations.
	Expect []string `json:"expect"`
	// Set is "dev" for tasks written before the ranking was tuned and looked
	// at while tuning, "holdout" for tasks written after it was frozen.
	Set string `json:"set"`
}

func loadEvalFile(tb testing.TB) []evalTask {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "eval.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var tasks []evalTask
	if err := json.Unmarshal(data, &tasks); err != nil {
		tb.Fatalf("testdata/eval.json: %v", err)
	}
	return tasks
}

// expected reports whether op is one of the accepted answers.
func expected(op *catalog.Operation, accept []string) bool {
	for _, a := range accept {
		if a == op.OperationID || a == op.Name || a == op.Method+" "+op.Path {
			return true
		}
	}
	return false
}

// TestSearchQuality measures how often the expected operation of a task is
// ranked first and among the first five, over large real specs.
func TestSearchQuality(t *testing.T) {
	tasks := loadEvalFile(t)
	if len(tasks) < 40 {
		t.Fatalf("eval set has %d tasks, want at least 40", len(tasks))
	}
	indexes := map[string]*Index{}
	var top1, top5 int
	perSpec := map[string][2]int{}
	perSet := map[string][3]int{}
	for _, task := range tasks {
		cat := loadCatalog(t, task.Spec)
		for _, want := range task.Expect {
			if !slices.ContainsFunc(cat.Operations(), func(op *catalog.Operation) bool { return expected(op, []string{want}) }) {
				t.Fatalf("eval task %q: expected operation %q is not in %s", task.Task, want, task.Spec)
			}
		}
		if task.Set != "dev" && task.Set != "holdout" {
			t.Fatalf("eval task %q: set %q, want dev or holdout", task.Task, task.Set)
		}
		idx, ok := indexes[task.Spec]
		if !ok {
			idx = Build(cat)
			indexes[task.Spec] = idx
		}
		res := idx.Search(Query{Text: task.Task, Limit: 5}, nil)
		rank := slices.IndexFunc(res.Hits, func(h Hit) bool { return expected(h.Op, task.Expect) })
		s := perSpec[task.Spec]
		s[1]++
		if rank == 0 {
			top1++
		} else if rank > 0 {
			t.Logf("rank %d: %s %q: want %v, top %s (%.2f) vs %.2f", rank+1, task.Spec, task.Task, task.Expect, res.Hits[0].Op.Name, res.Hits[0].Score, res.Hits[rank].Score)
		}
		if rank >= 0 {
			top5++
			s[0]++
		} else {
			var got []string
			for _, h := range res.Hits {
				got = append(got, fmt.Sprintf("%s(%.2f)", h.Op.Name, h.Score))
			}
			t.Logf("miss: %s %q: want %v, got %s", task.Spec, task.Task, task.Expect, strings.Join(got, " "))
		}
		perSpec[task.Spec] = s
		ps := perSet[task.Set]
		ps[2]++
		if rank == 0 {
			ps[0]++
		}
		if rank >= 0 {
			ps[1]++
		}
		perSet[task.Set] = ps
	}
	for _, set := range slices.Sorted(maps.Keys(perSet)) {
		ps := perSet[set]
		t.Logf("set %-8s %d tasks: top-1 %.1f%%, top-5 %.1f%%", set, ps[2], 100*float64(ps[0])/float64(ps[2]), 100*float64(ps[1])/float64(ps[2]))
	}
	n := float64(len(tasks))
	for _, spec := range slices.Sorted(maps.Keys(perSpec)) {
		s := perSpec[spec]
		t.Logf("%-28s top-5 %d/%d", spec, s[0], s[1])
	}
	t.Logf("search quality over %d tasks: top-1 %.1f%% (%d), top-5 %.1f%% (%d)", len(tasks), 100*float64(top1)/n, top1, 100*float64(top5)/n, top5)
	if float64(top5)/n < 0.90 {
		t.Fatalf("top-5 hit rate %.1f%% is below 90%%", 100*float64(top5)/n)
	}
}
