// Command benchtable turns `go test -bench` output into the README's table:
// for every benchmark case, the median ns/op and allocs/op of ptpwatch and of
// each peer measured in the same run, and the peer's time as a multiple of
// ours. Benchmarks are named Benchmark<Group>/<case>/<implementation>.
//
//	go test -run '^$' -bench . -benchmem -count 5 ./... | go run ./benchtable
package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

var line = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:.*?\s([\d.]+) allocs/op)?`)

type sample struct{ ns, allocs []float64 }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// num prints a figure with sensible precision for the table.
func num(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func main() {
	results := map[string]map[string]*sample{} // case -> implementation -> samples
	var order []string
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name := m[1]
		i := strings.LastIndex(name, "/")
		if i < 0 {
			continue
		}
		c, impl := name[:i], name[i+1:]
		if results[c] == nil {
			results[c] = map[string]*sample{}
			order = append(order, c)
		}
		s := results[c][impl]
		if s == nil {
			s = &sample{}
			results[c][impl] = s
		}
		ns, _ := strconv.ParseFloat(m[2], 64)
		s.ns = append(s.ns, ns)
		if m[3] != "" {
			a, _ := strconv.ParseFloat(m[3], 64)
			s.allocs = append(s.allocs, a)
		}
	}
	fmt.Println("| case | ptpwatch ns/op | allocs | peer | peer ns/op | allocs | peer ÷ ptpwatch |")
	fmt.Println("|---|---:|---:|---|---:|---:|---:|")
	for _, c := range order {
		var mine, peers []string
		for impl := range results[c] {
			if strings.HasPrefix(impl, "ptpwatch") {
				mine = append(mine, impl)
			} else {
				peers = append(peers, impl)
			}
		}
		sort.Strings(mine)
		sort.Strings(peers)
		for _, o := range mine {
			ours := results[c][o]
			name := c
			if o != "ptpwatch" {
				name += " (" + strings.TrimPrefix(o, "ptpwatch-") + ")"
			}
			if len(peers) == 0 {
				fmt.Printf("| %s | %s | %s | – | – | – | – |\n", name, num(median(ours.ns)), num(median(ours.allocs)))
			}
			for _, p := range peers {
				ps := results[c][p]
				fmt.Printf("| %s | %s | %s | %s | %s | %s | %.1f× |\n", name, num(median(ours.ns)), num(median(ours.allocs)),
					p, num(median(ps.ns)), num(median(ps.allocs)), median(ps.ns)/median(ours.ns))
			}
		}
	}
}
