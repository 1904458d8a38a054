package remote

import (
	"testing"

	"github.com/ptpwatch/ptpwatch/xdp/source"
)

type markedMemory struct {
	source.Memory
	resumed map[string]Mark
	stored  Mark
}

func (m *markedMemory) FrameMark() (string, Mark)          { return "paris", Mark{Run: 1, Frame: 9} }
func (m *markedMemory) Resume(marks map[string]Mark) error { m.resumed = marks; return nil }
func (m *markedMemory) Stored(_ string, mk Mark)           { m.stored = mk }

// TestTeeMarks: a tee passes a marked source's marks on only when it
// evaluates (a forwarding-only tee returns no frame for anyone to store).
func TestTeeMarks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		marked   bool
		evaluate bool
		want     bool
	}{
		{"marked, evaluating", true, true, true},
		{"marked, forwarding only", true, false, false},
		{"unmarked", false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var src source.Source = &source.Memory{}
			mm := &markedMemory{}
			if tc.marked {
				src = mm
			}
			tee := &Tee{Source: src, Evaluate: tc.evaluate}
			var _ source.Marked = tee
			if err := tee.Resume(map[string]Mark{"paris": {Run: 1, Frame: 3}}); err != nil {
				t.Fatal(err)
			}
			site, m := tee.FrameMark()
			tee.Stored("paris", Mark{Run: 1, Frame: 5})
			got := site != ""
			if got != tc.want || tc.want && (m != Mark{Run: 1, Frame: 9} || mm.resumed["paris"].Frame != 3 || mm.stored.Frame != 5) {
				t.Errorf("passed on %v (mark %q %v, resumed %v, stored %v), want %v", got, site, m, mm.resumed, mm.stored, tc.want)
			}
			if !tc.want && (mm.resumed != nil || mm.stored != Mark{}) {
				t.Errorf("resumed %v, stored %v through a tee that should not pass marks", mm.resumed, mm.stored)
			}
		})
	}
}
