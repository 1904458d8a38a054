package main

import (
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	in := `{"Action":"run","Package":"p/a","Test":"TestOK"}
{"Action":"output","Package":"p/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"pass","Package":"p/a","Test":"TestOK"}
{"Action":"run","Package":"p/a","Test":"TestNeedsTshark"}
{"Action":"output","Package":"p/a","Test":"TestNeedsTshark","Output":"=== RUN   TestNeedsTshark\n"}
{"Action":"output","Package":"p/a","Test":"TestNeedsTshark","Output":"    x_test.go:9: tshark not installed and not root\n"}
{"Action":"output","Package":"p/a","Test":"TestNeedsTshark","Output":"--- SKIP: TestNeedsTshark (0.00s)\n"}
{"Action":"skip","Package":"p/a","Test":"TestNeedsTshark"}
{"Action":"output","Package":"p/a","Output":"ok  \tp/a\t0.1s\n"}
{"Action":"pass","Package":"p/a"}
{"Action":"run","Package":"p/b","Test":"TestBroken"}
{"Action":"output","Package":"p/b","Test":"TestBroken","Output":"    b_test.go:3: want 2, got 3\n"}
{"Action":"fail","Package":"p/b","Test":"TestBroken"}
{"Action":"output","Package":"p/b","Output":"FAIL\tp/b\t0.2s\n"}
{"Action":"fail","Package":"p/b"}
`
	var out strings.Builder
	failed, err := Summarize(strings.NewReader(in), &out)
	if err != nil || !failed {
		t.Fatalf("failed %v, err %v", failed, err)
	}
	for _, want := range []string{"ok  \tp/a", "want 2, got 3", "FAIL\tp/b", "1 tests skipped:\n  p/a TestNeedsTshark: x_test.go:9: tshark not installed and not root\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "TestOK") {
		t.Errorf("a passing test's output was printed:\n%s", out.String())
	}
	out.Reset()
	if failed, _ := Summarize(strings.NewReader(in[:strings.Index(in, `{"Action":"run","Package":"p/b"`)]), &out); failed {
		t.Error("passing run reported as failed")
	}
}

// TestSummarizeTimeout: a package killed by -timeout fails without a
// fail event for the test that was running; its output (the panic and
// the test's name) is printed all the same.
func TestSummarizeTimeout(t *testing.T) {
	in := `{"Action":"run","Package":"p/c","Test":"TestSlow"}
{"Action":"output","Package":"p/c","Test":"TestSlow","Output":"=== RUN   TestSlow\n"}
{"Action":"output","Package":"p/c","Test":"TestSlow","Output":"panic: test timed out after 10m0s\n"}
{"Action":"output","Package":"p/c","Test":"TestSlow","Output":"\trunning tests:\n\t\tTestSlow (10m0s)\n"}
{"Action":"output","Package":"p/c","Output":"FAIL\tp/c\t600.1s\n"}
{"Action":"fail","Package":"p/c"}
`
	var out strings.Builder
	failed, err := Summarize(strings.NewReader(in), &out)
	if err != nil || !failed {
		t.Fatalf("failed %v, err %v", failed, err)
	}
	for _, want := range []string{"panic: test timed out after 10m0s", "TestSlow (10m0s)", "FAIL\tp/c"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
