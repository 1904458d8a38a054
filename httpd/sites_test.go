package httpd

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestWalkSites(t *testing.T) {
	var v any
	json.Unmarshal([]byte(`{"tokyo":{"connected":false,"collectors":[{"url":"a"},{"url":"b"}]},"paris":{"connected":true}}`), &v)
	for _, c := range []struct {
		path []string
		want string
		ok   bool
	}{
		{nil, `{"paris":{"connected":true},"tokyo":{"collectors":[{"url":"a"},{"url":"b"}],"connected":false}}`, true},
		{[]string{"paris", "connected"}, `true`, true},
		{[]string{"*", "connected"}, `[true,false]`, true},
		{[]string{"*", "collectors", "*", "url"}, `[["a","b"]]`, true},
		{[]string{"berlin"}, ``, false},
		{[]string{"paris", "connected", "deeper"}, ``, false},
	} {
		got, ok := walkSites(v, c.path)
		if ok != c.ok {
			t.Errorf("%v: ok %v", c.path, ok)
			continue
		}
		if !ok {
			continue
		}
		var want any
		json.Unmarshal([]byte(c.want), &want)
		if !reflect.DeepEqual(got, want) {
			b, _ := json.Marshal(got)
			t.Errorf("%v = %s, want %s", c.path, b, c.want)
		}
	}
}
