package store

import (
	"errors"
	"math"
	"slices"
	"testing"
)

// TestOutboxFamilies: outbox entries are kept per channel in sequence
// order, survive a reopen, and delete one by one; channel names that are
// prefixes of others stay apart; alarm records put, list and delete.
func TestOutboxFamilies(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutOutbox("mail", []uint64{3, 1, 2}, [][]byte{[]byte("c"), []byte("a"), []byte("b")}))
	must(s.PutOutbox("mail2", []uint64{1}, [][]byte{[]byte("other")}))
	must(s.DeleteOutbox("mail", []uint64{2}))
	must(s.PutAlarmRecord("def", "gm", []byte(`{"name":"gm"}`)))
	must(s.PutAlarmRecord("def", "gone", []byte(`{}`)))
	must(s.PutAlarmRecord("def", "gone", nil))
	must(s.PutAlarmRecords("state", map[string][]byte{"gm\x00/api/v1/a": []byte("on"), "gm\x00/api/v1/b": []byte("off")}))
	must(s.PutAlarmRecords("state", map[string][]byte{"gm\x00/api/v1/b": nil}))
	if err := s.PutOutbox("bad\x00name", []uint64{1}, [][]byte{nil}); !errors.Is(err, ErrBadChannel) {
		t.Fatalf("NUL in a channel name: %v", err)
	}
	must(s.Close())

	s = openTest(t, dir, Options{})
	defer s.Close()
	var got []string
	must(s.EachOutbox("mail", func(seq uint64, v []byte) error {
		got = append(got, string(rune('0'+seq))+string(v))
		return nil
	}))
	if len(got) != 2 || got[0] != "1a" || got[1] != "3c" {
		t.Fatalf("mail outbox after reopen: %q", got)
	}
	chans, err := s.OutboxChannels()
	if err != nil || chans["mail"] != 2 || chans["mail2"] != 1 || len(chans) != 2 {
		t.Fatalf("channels %v %v", chans, err)
	}
	recs, err := s.AlarmRecords("def")
	if err != nil || len(recs) != 1 || string(recs["gm"]) != `{"name":"gm"}` {
		t.Fatalf("alarm records %v %v", recs, err)
	}
	recs, err = s.AlarmRecords("state")
	if err != nil || len(recs) != 1 || string(recs["gm\x00/api/v1/a"]) != "on" {
		t.Fatalf("alarm state records %q %v", recs, err)
	}
}

// TestOutboxDeleteRuns: runs of consecutive sequence numbers are deleted
// as ranges, lone ones key by key, and nothing else goes: not the
// neighbours of a run, not another channel's entries, not the entry at
// the largest sequence number.
func TestOutboxDeleteRuns(t *testing.T) {
	s := openTest(t, t.TempDir(), Options{})
	defer s.Close()
	var seqs []uint64
	var vals [][]byte
	for i := uint64(1); i <= 20; i++ {
		seqs, vals = append(seqs, i), append(vals, []byte{byte(i)})
	}
	seqs, vals = append(seqs, math.MaxUint64-1, math.MaxUint64), append(vals, []byte{254}, []byte{255})
	for _, ch := range []string{"a", "a2"} {
		if err := s.PutOutbox(ch, seqs, vals); err != nil {
			t.Fatal(err)
		}
	}
	del := []uint64{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 17, 18, math.MaxUint64 - 1, math.MaxUint64}
	if err := s.DeleteOutbox("a", del); err != nil {
		t.Fatal(err)
	}
	var got []uint64
	if err := s.EachOutbox("a", func(seq uint64, v []byte) error {
		if uint64(v[0]) != seq && !(seq > 20 && v[0] >= 254) {
			t.Errorf("seq %d holds %d", seq, v[0])
		}
		got = append(got, seq)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []uint64{1, 2, 13, 14, 16, 19, 20}; !slices.Equal(got, want) {
		t.Errorf("left %v, want %v", got, want)
	}
	chans, err := s.OutboxChannels()
	if err != nil || chans["a2"] != len(seqs) {
		t.Errorf("the other channel holds %d, want %d (%v)", chans["a2"], len(seqs), err)
	}
}
